"""The sale-order part of credit control moved from ar_collections_credit to the bridge
ar_collections_credit_sale (ar_collections_credit 18.0.1.1.0).

A database of the commit before the split (ar_collections_credit depending on Sales) with a
credit release tied to a quotation, a limit on orders not invoiced and the hold it causes is
upgraded with the working tree (``-u ar_collections``, credit control with it): the bridge gets installed in the
same upgrade and takes over the fields with their data; the release keeps its order, the order
is still held, and the database keeps blocking (new installs only warn).
"""

import json

import pytest

from .odoo_process import copy_of, odoo_shell, psql, run_odoo

BRIDGE = "ar_collections_credit_sale"
MARKER = "AR-SALESPLIT:"

# The database before the upgrade: tests/templates.py (build_sale_split) installs credit control
# with the code of the commit before the split, with a customer over its limit of 50 on orders
# not invoiced (held) and a quotation of 2,000 waiting for its credit release.

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
    "modules": dict(env["ir.module.module"].search([("name", "in", ["ar_collections_credit", {BRIDGE!r},
                                                                      "ar_collections_credit_stock"])])
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
def previous_db(sale_split_template, previous_addons):
    """A copy of the database made by the code of the commit before the split."""
    with copy_of(sale_split_template, "ar_salesplit") as name:
        yield name, previous_addons


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
