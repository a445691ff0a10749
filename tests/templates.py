"""Template databases of the process tests: built here once and copied by the tests.

``setup/test.sh`` builds them in the background (``python -m tests.templates PREFIX``) while the
linters, the test database and the first add-on tests take the cores. Each template's name is
written to the file ``AR_TEMPLATES_ENV`` as soon as it is built; a test waits there for the one
it needs, so that both pytest workers share one copy of each. A test run without that file (a
single test file) builds the templates it needs on first use.
"""

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from .odoo_process import ROOT, create_db, drop_db, odoo_shell, psql, run_odoo

# What an Invoicing-only company has (our add-ons' dependencies but Sales and Stripe), and all of them
BASE = "account,mail,portal,resource,sms,account_payment"
DEPENDENCIES = f"{BASE},sale_management,sale_stock,payment_stripe"
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


def build_base(name):
    """Only BASE installed: the start of the dependencies' and the lean templates."""
    create_db(name)
    run_odoo(name, "-i", BASE, "--without-demo=all", "--stop-after-init")


def build_deps(name, base=None):
    """Only the add-ons' dependencies installed (on a copy of ``base`` if given)."""
    create_db(name, template=base)
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


def build_lean(name, base=None):
    """Credit control and the portal installed together in a database with neither Sales nor Stripe
    (what an Invoicing-only company gets from Apps; on a copy of ``base`` if given)."""
    create_db(name, template=base)
    run_odoo(name, "-i", "ar_collections_credit,ar_collections_portal", "--without-demo=all", "--stop-after-init",
             timeout=2400)


def build_sale_split(name, deps, previous_addons):
    """Credit control installed by the code of PREVIOUS_COMMIT (in ``previous_addons``), with an
    order held and a quotation waiting for its credit release."""
    create_db(name, template=deps)
    _hide_newer_addons(name, PREVIOUS_ADDONS)
    run_odoo(name, "-i", "ar_collections_credit", "--stop-after-init", addons_dir=previous_addons, timeout=2400)
    odoo_shell(name, SALE_SPLIT_SETUP, addons_dir=previous_addons)


# The book of the dunning process tests (tests/test_dunning_processes.py): the demo generator, seeded
DUNNING_BOOK = """
from odoo.addons.ar_collections.tools.demo_book import generate_ar_book
generate_ar_book(env, invoices=400, customers=40, seed=11, months=6)
env.cr.commit()
"""


def build_book(name, ours):
    """Our add-ons with a small but real book of open and overdue invoices."""
    create_db(name, template=ours)
    odoo_shell(name, DUNNING_BOOK)


# The builder prints this line last, or AR_TEMPLATES_FAILED=<reason>
DONE = "AR_TEMPLATES_DONE"
FAILED = "AR_TEMPLATES_FAILED"
# Longest wait for a template (they are built in about 4 minutes on 2 cores)
WAIT_SECONDS = 1800


def _built():
    """``{variable: value}`` of the templates built so far, from the file setup/test.sh passes."""
    path = os.environ.get("AR_TEMPLATES_ENV")
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as lines:
        return dict(line.rstrip("\n").split("=", 1) for line in lines if "=" in line)


def _builder_alive():
    pid = os.environ.get("AR_TEMPLATES_PID")
    if not pid:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    return True


def all_built():
    """Whether setup/test.sh's builder is done (or there is none): the scheduler then hands out
    the process tests."""
    if not os.environ.get("AR_TEMPLATES_ENV"):
        return True
    built = _built()
    return DONE in built or FAILED in built or not _builder_alive()


def env_name(key):
    """The template (or extracted code) built by setup/test.sh for ``key``, waited for while it
    is being built; None when the tests run without setup/test.sh's builder."""
    variable = f"AR_TEMPLATE_{key.upper()}"
    if os.environ.get(variable) or not os.environ.get("AR_TEMPLATES_ENV"):
        return os.environ.get(variable)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        built = _built()
        if variable in built:
            return built[variable]
        if FAILED in built or DONE in built or not _builder_alive():
            raise RuntimeError(f"the template {key} was not built: {built.get(FAILED, 'builder stopped')}"
                               " (setup/test.sh prints the builder's log)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the template {key} was not built in {WAIT_SECONDS} s")
        time.sleep(2)


def main(prefix, out_dir):
    """Build every template as ``<prefix>_<key>``, printing ``AR_TEMPLATE_<KEY>=<name>`` as each is
    ready (the old add-ons' code, extracted to ``out_dir``, first), then ``AR_TEMPLATES_DONE=1``."""
    def ready(key, value):
        print(f"AR_TEMPLATE_{key.upper()}={value}", flush=True)

    try:
        ready("old_addons", extract_addons(OLD_COMMIT, OLD_ADDONS, Path(out_dir, "old_addons")))
        ready("previous_addons", extract_addons(PREVIOUS_COMMIT, PREVIOUS_ADDONS, Path(out_dir, "previous_addons")))
        # base: only a step (the lean template and the dependencies' share its installs)
        names = {key: f"{prefix}_{key}" for key in ("base", "deps", "ours", "book", "old", "sale_split", "lean")}
        for name in names.values():
            drop_db(name)
        builds = {
            "base": build_base,
            "deps": lambda name: build_deps(name, names["base"]),
            "ours": lambda name: build_ours(name, names["deps"]),
            "book": lambda name: build_book(name, names["ours"]),
            "old": lambda name: build_old(name, names["deps"], Path(out_dir, "old_addons")),
            "sale_split": lambda name: build_sale_split(name, names["deps"], Path(out_dir, "previous_addons")),
            "lean": lambda name: build_lean(name, names["base"]),
        }
        for key, name in names.items():
            builds[key](name)
            ready(key, name)
        drop_db(names["base"])
    except Exception as error:
        print(f"{FAILED}={type(error).__name__}: {str(error)[:300]!r}", flush=True)
        raise
    print(f"{DONE}=1", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="ar_templates_"))
