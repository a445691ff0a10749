"""The two README commands fail fast, with one clear line, when Odoo's source is missing."""

import os
import subprocess

import pytest

from .odoo_process import ROOT


@pytest.mark.parametrize("script", ["setup/run.sh", "setup/test.sh"])
def test_missing_odoo_source_is_one_clear_line(script, tmp_path):
    missing = tmp_path / "no-odoo-here"
    env = {k: v for k, v in os.environ.items() if k not in ("ODOO_CLONE",)}
    env["ODOO_SRC"] = str(missing)
    proc = subprocess.run([str(ROOT / script)], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("[ar] ERROR: Odoo 18.0 source not found")
    assert f"{missing}/odoo/release.py" in lines[0]
    assert "ODOO_CLONE=1" in lines[0]
