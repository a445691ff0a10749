"""Every add-on builds as a wheel the way OCA publishes ``odoo-addon-*`` (whool), offline from the
checkout, and the installed wheels put the add-ons where Odoo finds them (Apps' module list)."""

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from email.parser import Parser

import pytest

from .odoo_process import ROOT

ADDONS = sorted(path.parent.name for path in ROOT.glob("*/__manifest__.py"))
ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo/18.0")


def _manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text(encoding="utf-8"))


def _pip(*args, env=None):
    proc = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=300,
                          env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"pip {' '.join(args)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    """The wheels of every add-on, built by one ``pip wheel --no-deps`` from copies of the
    working tree (whool packs only the files git tracks: a build in place would leave out the
    files not committed yet)."""
    tmp = tmp_path_factory.mktemp("wheels")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    if importlib.util.find_spec("whool") is None:
        # Not in the project's venv: the build backend comes from the package index, once.
        _pip("install", "-q", "--target", str(tmp / "backend"), "whool")
        env["PYTHONPATH"] = str(tmp / "backend")
    sources = []
    for addon in ADDONS:
        shutil.copytree(ROOT / addon, tmp / "src" / addon,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build", "dist"))
        sources.append(str(tmp / "src" / addon))
    _pip("wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), *sources, env=env)
    return tmp / "dist"


def test_every_addon_is_packaged_as_oca_expects():
    for addon in ADDONS:
        pyproject = tomllib.loads((ROOT / addon / "pyproject.toml").read_text(encoding="utf-8"))
        assert pyproject["build-system"] == {"requires": ["whool"], "build-backend": "whool.buildapi"}, addon
        manifest = _manifest(addon)
        assert "description" not in manifest, f"{addon}: the description is readme/DESCRIPTION.md"
        assert manifest.get("development_status") in ("Alpha", "Beta", "Production/Stable", "Mature"), addon
        for image in manifest.get("images", []):
            assert (ROOT / addon / image).is_file(), f"{addon}: image {image} does not exist"
        for path in ("readme/DESCRIPTION.md", "readme/CONTRIBUTORS.md", "README.rst",
                     "static/description/index.html", "static/description/icon.png"):
            assert (ROOT / addon / path).is_file(), f"{addon}: {path} is missing"


def test_generated_readmes_are_current():
    proc = subprocess.run([sys.executable, str(ROOT / "setup" / "gen_readme.py"), "--check"],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_wheels_carry_the_addon_and_its_dependencies(wheelhouse):
    wheels = {path.name.split("-")[0]: path for path in wheelhouse.glob("*.whl")}
    assert sorted(wheels) == sorted(f"odoo_addon_{addon}" for addon in ADDONS)
    for addon in ADDONS:
        manifest = _manifest(addon)
        wheel = wheels[f"odoo_addon_{addon}"]
        assert wheel.name.startswith(f"odoo_addon_{addon}-{manifest['version']}-py3-none-any"), wheel.name
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
            metadata = Parser().parsestr(archive.read(metadata_name).decode())
        assert f"odoo/addons/{addon}/__manifest__.py" in names
        assert f"odoo/addons/{addon}/static/description/index.html" in names
        assert not any("__pycache__" in name or name.endswith("pyproject.toml") for name in names)
        requires = metadata.get_all("Requires-Dist") or []
        ours = {dep for dep in manifest["depends"] if (ROOT / dep / "__manifest__.py").exists()}
        for dep in ours:
            assert any(req.startswith(f"odoo-addon-{dep}") for req in requires), (addon, dep, requires)
        for pydep in manifest.get("external_dependencies", {}).get("python", []):
            assert any(req.startswith(pydep) for req in requires), (addon, pydep, requires)
        assert metadata["Name"] == f"odoo-addon-{addon}"


def test_installed_wheels_are_odoo_addons(wheelhouse, tmp_path):
    """Installed next to Odoo's source (no add-ons path of ours), each add-on is listed by Odoo's
    module scan, as Apps' "Update Apps List" does, and imports from the installed location."""
    site = tmp_path / "site"
    _pip("install", "-q", "--no-deps", "--no-index", "--target", str(site), *map(str, wheelhouse.glob("*.whl")))
    script = textwrap.dedent("""
        import json, sys
        import odoo
        from odoo.modules import module
        odoo.tools.config.parse_config(["--addons-path", sys.argv[1]])
        found = {name: module.get_module_path(name, display_warning=False) for name in json.loads(sys.argv[2])}
        listed = set(module.get_modules())
        import odoo.addons.ar_collections as addon
        print(json.dumps({"paths": found, "listed": sorted(listed & set(found)), "imported": addon.__file__}))
    """)
    addons_path = ",".join(path for path in (f"{ODOO_SRC}/addons", f"{ODOO_SRC}/odoo/addons") if os.path.isdir(path))
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, "-c", script, addons_path, json.dumps(ADDONS)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["listed"] == ADDONS
    for addon in ADDONS:
        assert result["paths"][addon] == str(site / "odoo" / "addons" / addon), (addon, result["paths"][addon])
    assert result["imported"] == str(site / "odoo" / "addons" / "ar_collections" / "__init__.py")
