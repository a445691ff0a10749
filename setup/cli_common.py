"""What the setup/ command-line scripts share: importing our add-ons' tools and printing tables."""
import importlib
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_addon_module(odoo, dotted):
    """Import ``odoo.addons.<dotted>``, even if the conf's addons_path lacks this repo."""
    odoo.modules.module.initialize_sys_path()
    if not any(os.path.isdir(os.path.join(path, "ar_collections")) for path in odoo.addons.__path__):
        odoo.addons.__path__.append(REPO)
    return importlib.import_module(f"odoo.addons.{dotted}")


def echo(line=""):
    sys.stdout.write(f"{line}\n")


def print_table(rows):
    width = max(len(label) for label, _value in rows)
    rule = "-" * (width + 3 + max(len(str(value)) for _label, value in rows))
    echo(rule)
    for label, value in rows:
        echo(f"{label:<{width}} | {value}")
    echo(rule)
