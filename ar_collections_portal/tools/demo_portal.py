"""Customer-portal demo on top of the AR demo book: a customer who can log in to the portal.

Used by ``setup/demo_book.py``; runs once per database (marker system parameter).
"""
from odoo import Command, fields

from odoo.addons.ar_collections.tools.demo_book import REF_PREFIX

MARKER_PARAM = "ar_collections_portal.demo_portal_done"
LOGIN = "portal"


def generate_portal_demo(env, company=None, login=LOGIN):
    """Give the demo customer with the largest overdue balance a portal login (``login``, with
    the same password; default portal/portal).

    Returns a summary dict, or None when it already ran in this database.
    """
    company = company or env.company
    params = env["ir.config_parameter"].sudo()
    if params.get_param(MARKER_PARAM):
        return None
    today = fields.Date.context_today(env.user)
    groups = env["account.move"]._read_group(
        [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
         ("payment_state", "in", ("not_paid", "partial")), ("invoice_date_due", "<", today),
         ("partner_id.ref", "=like", f"{REF_PREFIX}%")],
        ["commercial_partner_id"], ["amount_residual_signed:sum"],
        order="amount_residual_signed:sum desc", limit=1,
    )
    if not groups:
        return None
    customer, overdue = groups[0]
    contact = env["res.partner"].create({
        "name": f"Accounts payable of {customer.name}",
        "parent_id": customer.id,
        "type": "invoice",
        "email": f"ap.{customer.id}@demo-customer.example.com",
    })
    env["res.users"].with_context(no_reset_password=True).create({
        "name": contact.name,
        "login": login,
        "password": login,
        "partner_id": contact.id,
        "company_id": company.id,
        "company_ids": [Command.set(company.ids)],
        "groups_id": [Command.set(env.ref("base.group_portal").ids)],
    })
    params.set_param(MARKER_PARAM, "1")
    return {
        "portal customer": customer.name,
        "portal login": f"{login} / {login}",
        "overdue": f"{overdue:,.2f} {company.currency_id.name}",
        "statement": "/my/statement",
    }
