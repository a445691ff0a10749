"""Cash application demo: incoming bank lines for the demo book's open invoices.

A few dozen lines as a bank file brings them (no partner, the payer's account number when the
bank gives it), of every kind the matcher meets: exact references, typos, several invoices in
one payment, short and over payments, no reference at all, a payer's name only. The matcher then
runs once, so the exceptions queue and the match log have something to show.
"""
import random

from odoo import fields

# The key of when this generator was part of ar_collections: a demo database gets its lines once.
MARKER_PARAM = "ar_collections.demo_cash_seed"


def generate_cash_demo(env, seed=42, lines=40, company=None):
    """Create the demo bank lines and match them once; returns a summary dict, or None when the
    database already has them."""
    if env["ir.config_parameter"].get_param(MARKER_PARAM):
        return None
    rng = random.Random(seed)
    company = company or env.company
    today = fields.Date.context_today(env.user)
    journal = env["account.journal"].search([
        *env["account.journal"]._check_company_domain(company), ("type", "=", "bank")], limit=1)
    invoices = env["account.move"].search([
        ("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
        ("payment_state", "in", ("not_paid", "partial")), ("currency_id", "=", company.currency_id.id),
    ], order="invoice_date_due, id")
    by_customer = {}
    for invoice in invoices:
        by_customer.setdefault(invoice.commercial_partner_id, []).append(invoice)
    customers = sorted(by_customer, key=lambda p: p.id)
    # Most customers have paid us before from a known account.
    Bank = env["res.partner.bank"]
    accounts = {}
    for customer in customers:
        account = customer.bank_ids[:1]
        if not account and rng.random() < 0.8:
            account = Bank.create({"acc_number": f"BE{rng.randint(10, 99)}{rng.randint(10**11, 10**12 - 1)}",
                                   "partner_id": customer.id})
        accounts[customer] = account.acc_number if account else None
    kinds = ["exact", "exact", "exact", "typo", "several", "short", "over", "no_reference", "name_only"]
    vals_list, used = [], set()
    for _index in range(lines):
        customer = rng.choice(customers)
        open_invoices = [inv for inv in by_customer[customer] if inv.id not in used]
        if not open_invoices:
            continue
        kind = rng.choice(kinds)
        invoice = open_invoices[0]
        paid = [invoice]
        amount = invoice.amount_residual
        label = f"PAYMENT {invoice.name}"
        if kind == "typo":
            digits = invoice.name.replace("/", "")
            label = digits[:-2] + digits[-1] + digits[-2] if digits[-1] != digits[-2] else digits.lower()
        elif kind == "several" and len(open_invoices) > 1:
            paid = open_invoices[:rng.randint(2, min(4, len(open_invoices)))]
            amount = sum(inv.amount_residual for inv in paid)
            label = "INVOICES " + " ".join(inv.name for inv in paid)
        elif kind == "short":
            amount = round(amount * 0.99, 2)
        elif kind == "over":
            amount = round(amount + rng.choice([10, 25, 100]), 2)
        elif kind == "no_reference":
            label = "SEPA CREDIT TRANSFER"
        elif kind == "name_only":
            label = f"{customer.name.upper()} PAYMENT"
        used.update(inv.id for inv in paid)
        vals_list.append({
            "journal_id": journal.id, "date": today, "payment_ref": label, "amount": amount,
            "account_number": accounts[customer] if kind != "name_only" else False,
        })
    st_lines = env["account.bank.statement.line"].create(vals_list)
    stats = st_lines._ar_cash_match()
    env["ir.config_parameter"].set_param(MARKER_PARAM, str(seed))
    return {"bank lines": len(st_lines), "matched automatically": stats["applied"],
            "in the exceptions queue": stats["queued"]}
