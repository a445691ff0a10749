"""The translation templates know every term of the code: ``setup/i18n.sh check`` on this
worker's copy of the test database, run next to the other tests instead of before them."""

import os
import subprocess

from .odoo_process import ROOT, odoo_conf


def test_pot_files_know_every_term():
    import odoo  # pylint: disable=import-outside-toplevel

    _path, options = odoo_conf()
    # The peers' folders (OCA's statement import) on the suite's addons path, for its registry.
    odoo_source = os.path.realpath(os.path.dirname(os.path.dirname(odoo.__file__)))
    paths = [os.path.realpath(path.strip()) for path in options["addons_path"].split(",") if path.strip()]
    extra = [path for path in paths if path != str(ROOT) and not path.startswith(odoo_source + os.sep)]
    result = subprocess.run(
        [str(ROOT / "setup" / "i18n.sh"), "check", odoo.tools.config["db_name"]],
        env={**os.environ, "AR_EXTRA_ADDONS": ",".join(extra)},
        capture_output=True, text=True, check=False, timeout=900,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
