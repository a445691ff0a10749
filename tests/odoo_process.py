"""Helpers for tests that drive separate Odoo processes and scratch databases."""

import configparser
import contextlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def odoo_conf():
    """Path and [options] of the Odoo configuration the suite runs with."""
    path = os.environ.get("AR_ODOO_CONF") or os.environ.get("ODOO_RC")
    if not path:
        raise RuntimeError("AR_ODOO_CONF/ODOO_RC is not set: run the suite through setup/test.sh")
    parser = configparser.ConfigParser()
    parser.read(path)
    return path, parser["options"]


def _pg_env(options):
    env = dict(os.environ)
    env.update({
        "PGHOST": options.get("db_host", "127.0.0.1"),
        "PGPORT": options.get("db_port", "5432"),
        "PGUSER": options.get("db_user", "odoo"),
        "PGPASSWORD": options.get("db_password", ""),
    })
    return env


def psql(db, sql):
    """Run one query in ``db`` and return its rows as lists of strings."""
    _path, options = odoo_conf()
    out = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-F", "\t", "-d", db, "-c", sql],
        env=_pg_env(options), check=True, capture_output=True, text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def create_db(name, template=None):
    _path, options = odoo_conf()
    drop_db(name)
    cmd = ["createdb", name] + (["-T", template] if template else [])
    subprocess.run(cmd, env=_pg_env(options), check=True, capture_output=True)


def drop_db(name):
    _path, options = odoo_conf()
    subprocess.run(["dropdb", "--if-exists", "--force", name], env=_pg_env(options), check=True, capture_output=True)


def scratch_name(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def copy_of(template, prefix):
    """A scratch copy of the database ``template`` (its name), dropped on exit."""
    name = scratch_name(prefix)
    create_db(name, template=template)
    try:
        yield name
    finally:
        drop_db(name)


def addons_path_with(addons_dir):
    """The conf's addons path with ``addons_dir`` in place of this working tree
    (e.g. the add-ons as of an older commit)."""
    _path, options = odoo_conf()
    paths = [p.strip() for p in options.get("addons_path", "").split(",") if p.strip()]
    replaced = [str(addons_dir) if Path(p).resolve() == ROOT else p for p in paths]
    assert replaced != paths, f"the working tree {ROOT} is not on the addons path {paths}"
    return ",".join(replaced)


def run_odoo(db, *args, command=None, timeout=900, stdin=None, addons_dir=None):
    """Run Odoo's CLI (``command``: a subcommand such as ``shell``) on ``db`` in its
    own process, with our add-ons from ``addons_dir`` if given; fail with Odoo's output on error."""
    path, _options = odoo_conf()
    env = {**os.environ, "TZ": "UTC"}
    if addons_dir:
        args = (f"--addons-path={addons_path_with(addons_dir)}", *args)
        # Odoo reads ODOO_RC's addons path before the command line's, which would put the
        # working tree first again (we pass the same file with -c anyway)
        env.pop("ODOO_RC", None)
    cmd = [sys.executable, "-m", "odoo", *([command] if command else []), "-c", path, "-d", db, *args, "--log-level=warn"]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    errors = [line for line in proc.stderr.splitlines() if " ERROR " in line or " CRITICAL " in line]
    if errors:
        raise AssertionError("Odoo logged errors:\n" + "\n".join(errors[:20]))
    return proc


def odoo_shell(db, code, timeout=900, addons_dir=None):
    """Run Python ``code`` in `odoo shell` on ``db`` (``env`` is available; commit yourself)."""
    return run_odoo(db, "--no-http", command="shell", stdin=code, timeout=timeout, addons_dir=addons_dir)


def odoo_shell_process(db, code):
    """Start `odoo shell` on ``db`` running ``code`` in the background; returns the Popen."""
    path, _options = odoo_conf()
    proc = subprocess.Popen(
        [sys.executable, "-m", "odoo", "shell", "-c", path, "-d", db, "--no-http", "--log-level=warn"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TZ": "UTC"}, cwd=ROOT, start_new_session=True,
    )
    proc.stdin.write(code)
    proc.stdin.close()
    proc.stdin = None  # so that communicate() only reads
    return proc


def shell_json(db, code, marker, addons_dir=None):
    """Run ``code`` in `odoo shell` on ``db`` and return the JSON it printed after ``marker``
    (on a line of its own)."""
    out = odoo_shell(db, code, addons_dir=addons_dir).stdout
    line = next((line for line in out.splitlines() if line.startswith(marker)), None)
    assert line is not None, f"the shell printed no {marker!r} line:\n{out[-3000:]}"
    return json.loads(line[len(marker):])
