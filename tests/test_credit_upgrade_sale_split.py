"""The sale-order part of credit control moved from ar_collections_credit to the bridge
ar_collections_credit_sale (ar_collections_credit 18.0.1.1.0).

A database of the commit before the split (ar_collections_credit depending on Sales) with a
credit release tied to a quotation, a limit on orders not invoiced and the hold it causes is
upgraded with the working tree (``-u ar_collections``, credit control with it): the bridge gets installed in the
same upgrade and takes over the fields with their data; the release keeps its order, the order
is still held, and the database keeps blocking (new installs only warn).
"""

import io
import json
import subprocess
import tarfile

import pytest

from .odoo_process import ROOT, create_db, drop_db, odoo_shell, psql, run_odoo, scratch_name

# The last commit before the split, and the add-ons it needs
PREVIOUS_COMMIT = "74b9207"
PREVIOUS_ADDONS = ("ar_collections", "ar_collections_credit", "ar_collections_credit_stock")
BRIDGE = "ar_collections_credit_sale"
MARKER = "AR-SALESPLIT:"

# With the code of PREVIOUS_COMMIT: a customer with a limit of 1,000 and of 50 on its orders not
# invoiced, a confirmed order of 80 (held: orders over their limit), and a quotation of 2,000 with
# a credit release requested for it.
SETUP = """
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

READ = f"""
import json
from odoo.exceptions import UserError
customer = env["res.partner"].search([("name", "=", "Split Customer")])
release = env["ar.credit.release"].search([("partner_id", "=", customer.id)])
quotation = release.sale_order_id
out = {{
    "release": [release.id, release.name, release.state, quotation.id, quotation.state],
    "limit on orders": customer.ar_credit_limit_orders,
    "holds": sorted(env["ar.credit.hold"].search([("partner_id", "=", customer.id)]).mapped("reason")),
    "blocking": env.company._fields.get("ar_credit_block") and env.company.ar_credit_block,
    "modules": dict(env["ir.module.module"].search([("name", "like", "ar_collections_credit%")])
                    .mapped(lambda m: (m.name, m.state))),
    "pending on quotation": quotation._fields.get("ar_credit_release_id") and quotation.ar_credit_release_id.id,
}}
try:
    quotation.action_confirm()
    out["refused"] = None
except UserError as error:
    out["refused"] = str(error)
env.cr.rollback()
print({MARKER!r} + json.dumps(out))
"""


def read_state(db, addons_dir=None):
    out = odoo_shell(db, READ, addons_dir=addons_dir).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith(MARKER))[len(MARKER):])


@pytest.fixture
def previous_db(deps_db, tmp_path):
    """A database with credit control installed by the code of PREVIOUS_COMMIT."""
    archive = subprocess.run(["git", "archive", PREVIOUS_COMMIT, *PREVIOUS_ADDONS], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp_path, filter="data")
    name = scratch_name("ar_salesplit")
    create_db(name, template=deps_db)
    # that commit never heard of the add-ons the working tree has more (the bridge among them)
    newer = sorted(path.parent.name for path in ROOT.glob("*/__manifest__.py")
                   if path.parent.name not in PREVIOUS_ADDONS)
    psql(name, "UPDATE ir_module_module SET state = 'uninstallable' WHERE state = 'uninstalled' AND name IN ({})"
         .format(", ".join(f"'{module}'" for module in newer)))
    run_odoo(name, "-i", "ar_collections_credit", "--stop-after-init", addons_dir=tmp_path, timeout=2400)
    odoo_shell(name, SETUP, addons_dir=tmp_path)
    yield name, tmp_path
    drop_db(name)


def test_upgrade_hands_orders_to_the_sales_bridge(previous_db):
    db, previous_addons = previous_db
    before = read_state(db, addons_dir=previous_addons)
    assert BRIDGE not in before["modules"] or before["modules"][BRIDGE] == "uninstallable"
    assert before["holds"] == ["limit_orders"] and before["limit on orders"] == 50.0
    assert before["refused"] and "still waiting for the approval" in before["refused"]

    # the whole suite, as an upgrade does (ar_collections changed since too); credit control among it
    run_odoo(db, "-u", "ar_collections", "--stop-after-init", timeout=2400)
    after = read_state(db)

    assert after["modules"] == {"ar_collections_credit": "installed", BRIDGE: "installed",
                                "ar_collections_credit_stock": "installed"}, after["modules"]
    assert after["release"] == before["release"], "the release keeps its order"
    assert after["pending on quotation"] == before["release"][0]
    assert after["limit on orders"] == 50.0, "the limit on orders not invoiced keeps its value"
    assert after["holds"] == ["limit_orders"], "the customer is still held for its orders"
    assert after["blocking"] is True, "a database that blocked keeps blocking"
    assert after["refused"] and "still waiting for the approval" in after["refused"], after["refused"]
    assert before["release"][1] in after["refused"]
    owners = dict(psql(db, """SELECT name, module FROM ir_model_data WHERE name IN (
        'field_ar_credit_release__sale_order_id', 'field_res_partner__ar_credit_limit_orders',
        'selection__ar_credit_hold__reason__limit_orders', 'sale_order_view_form', 'menu_sale_ar_credit_release',
        'ar_credit_release_rule_salesman') AND module LIKE 'ar_collections_credit%'"""))
    assert set(owners.values()) == {BRIDGE} and len(owners) == 6, owners
    assert psql(db, "SELECT count(*) FROM ar_credit_release WHERE sale_order_id IS NOT NULL") == [["1"]]
