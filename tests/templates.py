"""Template databases of the process tests: built here once and copied by the tests.

``setup/test.sh`` builds them all before the tests (``python -m tests.templates PREFIX``, in the
background while the linters and the test database take the other core) and passes their names to
the pytest workers through ``AR_TEMPLATE_<KEY>`` variables, so that both workers share one copy of
each; a test run without them (a single test file) builds the ones it needs on first use.
"""

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .odoo_process import ROOT, create_db, drop_db, odoo_shell, psql, run_odoo

DEPENDENCIES = "account,mail,portal,sms,sale_management,sale_stock,account_payment,payment_stripe"
OURS = ("ar_collections", "ar_collections_cash", "ar_collections_credit", "ar_collections_portal")

# The last release before the add-ons were split (cash application, Stripe bridge) and the
# dunning channels became lines: the upgrade tests start from a database made by its code.
OLD_COMMIT = "3c7411a"
OLD_ADDONS = ("ar_collections", "ar_collections_credit", "ar_collections_credit_stock", "ar_collections_portal")

# The last commit before the sale-order part of credit control moved to ar_collections_credit_sale
PREVIOUS_COMMIT = "74b9207"
PREVIOUS_ADDONS = ("ar_collections", "ar_collections_credit", "ar_collections_credit_stock")

# With the code of PREVIOUS_COMMIT: a customer with a limit of 1,000 and of 50 on its orders not
# invoiced, a confirmed order of 80 (held: orders over their limit), and a quotation of 2,000 with
# a credit release requested for it.
SALE_SPLIT_SETUP = """
from odoo import Command
customer = env["res.partner"].create({"name": "Split Customer", "is_company": True})
customer.credit_limit = 1000.0
product = env["product.product"].create({"name": "Split widget", "list_price": 10.0, "invoice_policy": "order",
                                         "taxes_id": [Command.clear()]})


def order(amount):
    return env["sale.order"].create({
        "partner_id": customer.id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": amount,
                                       "tax_id": [Command.clear()]})],
    })


order(80.0).action_confirm()
customer.ar_credit_limit_orders = 50.0
quotation = order(2000.0)
env["ar.credit.release"].create({
    "partner_id": customer.id, "sale_order_id": quotation.id, "amount": 2000.0, "state": "requested",
    "reason": "Season order",
})
env.cr.commit()
"""


def extract_addons(commit, addons, path):
    """The add-ons ``addons`` as of ``commit``, extracted from git into ``path``."""
    archive = subprocess.run(["git", "archive", commit, *addons], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(path, filter="data")
    return Path(path)


def _hide_newer_addons(db, known):
    """An older commit never heard of the add-ons the working tree has more (a bridge auto-installed
    with the old ones): the dependencies' database lists them, the old code cannot install them."""
    newer = sorted(path.parent.name for path in ROOT.glob("*/__manifest__.py") if path.parent.name not in known)
    psql(db, "UPDATE ir_module_module SET state = 'uninstallable' WHERE state = 'uninstalled' AND name IN ({})"
         .format(", ".join(f"'{module}'" for module in newer)))


def build_deps(name):
    """Only the add-ons' dependencies installed."""
    create_db(name)
    run_odoo(name, "-i", DEPENDENCIES, "--without-demo=all", "--stop-after-init")


def build_ours(name, deps):
    """Our main add-ons installed by the working tree's code, no data."""
    create_db(name, template=deps)
    run_odoo(name, "-i", ",".join(OURS), "--stop-after-init")


def build_old(name, deps, old_addons):
    """OLD_ADDONS installed by the code of OLD_COMMIT (in ``old_addons``)."""
    create_db(name, template=deps)
    _hide_newer_addons(name, OLD_ADDONS)
    run_odoo(name, "-i", ",".join(OLD_ADDONS), "--stop-after-init", addons_dir=old_addons)


def build_lean(name):
    """Credit control and the portal installed together in a database with neither Sales nor Stripe
    (what an Invoicing-only company gets from Apps)."""
    create_db(name)
    run_odoo(name, "-i", "ar_collections_credit,ar_collections_portal", "--without-demo=all", "--stop-after-init",
             timeout=2400)


def build_sale_split(name, deps, previous_addons):
    """Credit control installed by the code of PREVIOUS_COMMIT (in ``previous_addons``), with an
    order held and a quotation waiting for its credit release."""
    create_db(name, template=deps)
    _hide_newer_addons(name, PREVIOUS_ADDONS)
    run_odoo(name, "-i", "ar_collections_credit", "--stop-after-init", addons_dir=previous_addons, timeout=2400)
    odoo_shell(name, SALE_SPLIT_SETUP, addons_dir=previous_addons)


def env_name(key):
    """The template built by setup/test.sh for ``key``, if any."""
    return os.environ.get(f"AR_TEMPLATE_{key.upper()}")


def main(prefix, out_dir):
    """Build every template as ``<prefix>_<key>`` and print ``AR_TEMPLATE_<KEY>=<name>`` lines;
    the old add-ons' code goes to ``out_dir`` (AR_TEMPLATE_OLD_ADDONS, ..._PREVIOUS_ADDONS)."""
    old_addons = extract_addons(OLD_COMMIT, OLD_ADDONS, Path(out_dir, "old_addons"))
    previous_addons = extract_addons(PREVIOUS_COMMIT, PREVIOUS_ADDONS, Path(out_dir, "previous_addons"))
    names = {key: f"{prefix}_{key}" for key in ("deps", "ours", "old", "lean", "sale_split")}
    for name in names.values():
        drop_db(name)
    build_deps(names["deps"])
    build_ours(names["ours"], names["deps"])
    build_old(names["old"], names["deps"], old_addons)
    build_sale_split(names["sale_split"], names["deps"], previous_addons)
    build_lean(names["lean"])
    for key, name in names.items():
        print(f"AR_TEMPLATE_{key.upper()}={name}")
    print(f"AR_TEMPLATE_OLD_ADDONS={old_addons}")
    print(f"AR_TEMPLATE_PREVIOUS_ADDONS={previous_addons}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="ar_templates_"))
