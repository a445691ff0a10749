"""Credit-control demo on top of the AR demo book: scores, limits, blocked quotations.

Used by ``setup/demo_book.py``; runs once per database (marker system parameter).
"""
import math

from odoo import Command

from odoo.addons.ar_collections.tools.demo_book import REF_PREFIX

MARKER_PARAM = "ar_collections_credit.demo_credit_done"
MIN_LIMIT = 500.0


def generate_credit_demo(env, company=None):
    """Score the demo customers, give them their suggested credit limit and open a few quotations.

    Returns a summary dict, or None when it already ran in this database.
    """
    company = company or env.company
    params = env["ir.config_parameter"].sudo()
    if params.get_param(MARKER_PARAM):
        return None
    env = env(context=dict(env.context, allowed_company_ids=[company.id], tracking_disable=True))
    customers = env["res.partner"].search([("ref", "=like", f"{REF_PREFIX}%"), ("is_company", "=", True)])
    if not customers:
        return None
    scores = env["ar.credit.score"]._ar_compute_scores(customers)
    suggested = env["ar.credit.score"]._ar_suggested_limits(customers, company)
    exposure = customers._ar_credit_exposure(company)
    for partner in customers.with_company(company):
        limit = max(suggested[partner.id], MIN_LIMIT)
        if partner.ar_credit_score >= 50:
            # good payers were granted room above what they owe today
            limit = max(limit, math.ceil(exposure[partner.id]["total"] * 1.2 / 100) * 100)
        partner.credit_limit = limit
    limits = customers._ar_credit_limits(company)
    over = customers.filtered(lambda partner: exposure[partner.id]["total"] > limits[partner.id])
    # the demo shows holds that refuse, as a Credit Manager who turned blocking on has them
    company.sudo().ar_credit_block = True
    blocked = _demo_quotations(env, company, customers, over) if "sale.order" in env else []
    # the list of customers on hold, as the daily run leaves it
    env["ar.credit.hold"]._ar_refresh_all()
    holds = env["ar.credit.hold"].search([("company_id", "=", company.id)])
    params.set_param(MARKER_PARAM, "1")
    return {
        "customers on credit hold": len(holds.partner_id),
        "credit holds by reason": {
            reason: len(holds.filtered(lambda hold, r=reason: hold.reason == r))
            for reason in sorted(set(holds.mapped("reason")))
        },
        "customers scored": len(scores),
        "average score": round(sum(scores.mapped("score")) / len(scores)),
        "scores below 50": len(scores.filtered(lambda score: score.score < 50)),
        "credit limits set": len(customers),
        "customers over their limit": len(over),
        "quotations blocked by the credit check": len(blocked),
    }


def _demo_quotations(env, company, customers, over):
    """Quotations the credit check will refuse (with the reason on the form) and one it accepts
    (with the Sales bridge)."""
    product = env["product.product"].search([("sale_ok", "=", True), ("list_price", ">", 0)], limit=1)
    fine = (customers - over).sorted(lambda partner: -partner.ar_credit_score)[:1]
    quotations = env["sale.order"].create([{
        "partner_id": partner.id,
        "company_id": company.id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 10})],
    } for partner in over[:3] | fine])
    blocked = quotations.filtered("ar_credit_warning")
    if blocked:
        admin = env.ref("base.user_admin")
        env["ar.credit.release"].with_user(admin).create({
            "partner_id": blocked[0].partner_id.id,
            "sale_order_id": blocked[0].id,
            "amount": blocked[0].amount_total,
            "reason": "Long-standing customer, large order before the season; pays by transfer on delivery.",
        }).action_request()
    return blocked
