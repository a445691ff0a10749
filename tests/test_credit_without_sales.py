"""Credit control for an Invoicing-only company: ar_collections_credit installs without Sales.

Exposure comes from invoices, and the credit check holds invoice posting: it warns until a
Credit Manager turns blocking on, then refuses to post an invoice that takes the customer over
its limit. The Sales bridge stays out until Sales is installed.
"""

import re

from .odoo_process import shell_json

MARKER = "AR-NOSALE:"

CHECK = f"""
import json
from odoo import Command
from odoo.exceptions import UserError
out = {{}}
modules = env["ir.module.module"].search([("name", "in", ["sale", "sale_management", "sales_team",
                                                            "ar_collections_credit", "ar_collections_credit_sale"])])
out["modules"] = dict(modules.mapped(lambda m: (m.name, m.state)))
out["sale models"] = [name for name in ("sale.order", "sale.order.line") if name in env]
company = env.company
customer = env["res.partner"].create({{"name": "Invoicing Only Ltd", "is_company": True}})
customer.credit_limit = 100.0
company.ar_credit_check_invoice = True
out["blocking by default"] = company.ar_credit_block


def invoice(amount):
    return env["account.move"].create({{
        "move_type": "out_invoice", "partner_id": customer.id,
        "invoice_line_ids": [Command.create({{"name": "Service", "quantity": 1, "price_unit": amount,
                                              "tax_ids": [Command.clear()]}})],
    }})


warned = invoice(80.0)
warned.action_post()  # within the limit
over = invoice(500.0)
over.action_post()  # over it, but blocking is off: a warning, as Odoo's own credit limit
out["posted while warning"] = over.state
env["ar.credit.hold"]._ar_refresh(customer)
out["holds"] = env["ar.credit.hold"].search([("partner_id", "=", customer.id)]).mapped("reason")
out["exposure"] = customer._ar_credit_exposure(company)[customer.id]
company.ar_credit_block = True
blocked = invoice(50.0)
try:
    blocked.action_post()
    out["refused"] = None
except UserError as error:
    out["refused"] = str(error)
out["blocked state"] = blocked.state
print({MARKER!r} + json.dumps(out))
"""


def test_credit_control_installs_and_holds_invoices_without_sales(lean_db):
    state = shell_json(lean_db, CHECK, MARKER)  # not committed: the database stays as installed
    assert state["modules"] == {"ar_collections_credit": "installed", "ar_collections_credit_sale": "uninstalled",
                                "sale": "uninstalled", "sale_management": "uninstalled",
                                "sales_team": "uninstalled"}, state["modules"]
    assert state["sale models"] == []
    assert state["blocking by default"] is False, "a new install only warns until a Credit Manager turns blocking on"
    assert state["posted while warning"] == "posted"
    assert state["holds"] == ["limit"], "the customer over its limit is on the hold list all the same"
    assert set(state["exposure"]) == {"open", "overdue", "draft", "total"}, "no orders bucket without Sales"
    assert state["exposure"]["open"] == state["exposure"]["total"] == 580.0
    assert state["refused"] and "over its credit limit of" in state["refused"], state["refused"]
    assert re.search(r"\(open invoices \$\s?580\.00, draft invoices \$\s?0\.00\)\.", state["refused"]), \
        state["refused"]
    assert "Collections > Credit > Credit Releases" in state["refused"], "no Sales menu to point to"
    assert state["blocked state"] == "draft"
