"""Autopay and Stripe moved from ar_collections_portal to the bridge ar_collections_portal_stripe.

A database of the last release (3c7411a, where the portal held autopay and required Stripe) with a
Stripe provider, a mandate, a done autopay charge and an admin's changes is upgraded with the
working tree: the bridge gets installed in that same upgrade and every record, id and change is
kept. And the portal alone installs on a database without payment_stripe.
"""

import pytest

from .odoo_process import create_db, drop_db, odoo_shell, psql, run_odoo, scratch_name, shell_json

ADDONS = ("ar_collections", "ar_collections_portal")
BRIDGE = "ar_collections_portal_stripe"
MARKER = "AR-SPLIT:"
# Records the portal of OLD_COMMIT had that later versions removed on purpose (18.0.1.2.0: the
# Stripe API URL field of the tests and its view).
REMOVED = {
    ("ar_collections_portal", "field_payment_provider__ar_stripe_api_url"),
    ("ar_collections_portal", "payment_provider_view_form"),
}

# With the code of OLD_COMMIT: a Stripe provider, a saved card, a mandate with a done charge,
# then the admin's changes (the queue cron's interval, the retry days, a reworded mail template).
SETUP = """
from odoo import Command, fields
company = env.company
card = env.ref("payment.payment_method_card")
provider = env.ref("payment.payment_provider_stripe")
provider.write({
    "state": "test", "stripe_publishable_key": "pk_test_ar", "stripe_secret_key": "sk_test_ar",
    "stripe_webhook_secret": "whsec_test_ar", "payment_method_ids": [Command.set(card.ids)],
    "journal_id": env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1).id,
})
card.active = True
partner = env["res.partner"].create({"name": "Autopay customer", "is_company": True, "email": "ap@example.com"})
token = env["payment.token"].create({
    "provider_id": provider.id, "payment_method_id": card.id, "partner_id": partner.id,
    "payment_details": "4242", "provider_ref": "cus_split", "stripe_payment_method": "pm_card_visa",
})
token.write({"ar_card_exp_month": 3, "ar_card_exp_year": 2031})
mandate = env["ar.autopay.mandate"].create({
    "partner_id": partner.id, "company_id": company.id, "token_id": token.id,
    "date_consented": "2026-01-05 10:00:00",
})
invoice = env["account.move"].create({
    "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": "2026-01-01",
    "invoice_date_due": "2026-01-31",
    "invoice_line_ids": [Command.create({"name": "Subscription", "price_unit": 120.0, "tax_ids": [Command.clear()]})],
})
invoice.action_post()
tx = env["payment.transaction"].create({
    "provider_id": provider.id, "payment_method_id": card.id, "amount": 120.0,
    "currency_id": invoice.currency_id.id, "partner_id": partner.id, "token_id": token.id,
    "operation": "offline", "reference": "AR-SPLIT-1", "provider_reference": "pi_split_1",
    "invoice_ids": [Command.set(invoice.ids)],
})
tx._set_done()
attempt = env["ar.autopay.attempt"].sudo().create({
    "mandate_id": mandate.id, "partner_id": partner.id, "company_id": company.id, "token_id": token.id,
    "invoice_ids": [Command.set(invoice.ids)], "amount": 120.0, "currency_id": invoice.currency_id.id,
    "transaction_id": tx.id, "state": "done", "chain_date": "2026-01-31", "date_sent": "2026-01-31 05:10:00",
})
env.ref("ar_collections_portal.ir_cron_autopay_queue").write({"interval_number": 3, "interval_type": "weeks"})
env.ref("ar_collections_portal.mail_template_autopay_hard_decline").subject = "Our subject"
company.ar_autopay_retry_offsets = "2,4"
env.cr.commit()
"""

# The state to compare, printed as JSON after MARKER (readable by the old and the new code).
READ = f"""
import json
mandate = env["ar.autopay.mandate"].search([])
attempt = env["ar.autopay.attempt"].search([])
cron = env["ir.cron"].search([("code", "=", "model._cron_autopay_queue()")])
template = env["mail.template"].search([("subject", "=", "Our subject")])
data = env["ir.model.data"].search([("module", "like", "ar_collections_portal%")])
state = {{
    "mandates": [[m.id, m.partner_id.name, m.token_id.id, m.state, m.active, str(m.date_consented)] for m in mandate],
    "attempts": [[a.id, a.mandate_id.id, a.state, a.amount, a.transaction_id.reference, a.invoice_ids.ids,
                  str(a.date_sent)] for a in attempt],
    "token": [[t.id, t.ar_card_exp_month, t.ar_card_exp_year, str(t.ar_card_expiry_date)]
              for t in mandate.token_id],
    "cron": [[c.id, c.interval_number, c.interval_type, c.active] for c in cron],
    "template": template.ids,
    "retry days": env.company.ar_autopay_retry_offsets,
    "xmlids": sorted([d.module, d.name, d.model, d.res_id] for d in data),
    "modules": dict(env["ir.module.module"].search([("name", "in", {[*ADDONS, BRIDGE, "payment_stripe"]!r})])
                    .mapped(lambda m: (m.name, m.state))),
}}
print({MARKER!r} + json.dumps(state))
"""


def read_state(db, addons_dir=None):
    return shell_json(db, READ, MARKER, addons_dir=addons_dir)


@pytest.fixture
def old_db(deps_db, old_addons):
    """A database with the portal installed by the code of OLD_COMMIT."""
    name = scratch_name("ar_split")
    create_db(name, template=deps_db)
    # A database of that release never heard of the bridge (the template listed the working
    # tree's add-ons): else installing the old portal would auto-install a bridge it cannot load.
    psql(name, f"DELETE FROM ir_module_module WHERE name = '{BRIDGE}'")
    psql(name, f"DELETE FROM ir_model_data WHERE module = 'base' AND name = 'module_{BRIDGE}'")
    run_odoo(name, "-i", ",".join(ADDONS), "--stop-after-init", addons_dir=old_addons)
    yield name
    drop_db(name)


def test_upgrade_moves_autopay_to_the_bridge(old_db, old_addons):
    odoo_shell(old_db, SETUP, addons_dir=old_addons)
    before = read_state(old_db, addons_dir=old_addons)
    assert before["modules"].get(BRIDGE) is None, "the bridge is not known to the old database"
    assert len(before["mandates"]) == len(before["attempts"]) == len(before["cron"]) == 1
    assert before["cron"][0][1:3] == [3, "weeks"] and before["retry days"] == "2,4"

    run_odoo(old_db, "-u", ",".join(ADDONS), "--stop-after-init")
    after = read_state(old_db)

    assert after["modules"] == {"ar_collections": "installed", "ar_collections_portal": "installed",
                                BRIDGE: "installed", "payment_stripe": "installed"}
    for key in ("mandates", "attempts", "token", "cron", "template", "retry days"):
        assert after[key] == before[key], f"{key}: {before[key]} -> {after[key]}"
    # every record of the portal is still there, with the same id, owned by the portal or the bridge
    after_rows = {(name, model, res_id) for _module, name, model, res_id in after["xmlids"]}
    lost = [(module, name, model, res_id) for module, name, model, res_id in before["xmlids"]
            if (module, name) not in REMOVED and (name, model, res_id) not in after_rows]
    assert not lost, f"{len(lost)} records lost or recreated: {lost[:20]}"
    moved = {(name, model) for module, name, model, _res_id in after["xmlids"] if module == BRIDGE}
    for name, model in (("model_ar_autopay_mandate", "ir.model"), ("ir_cron_autopay_queue", "ir.cron"),
                        ("field_res_company__ar_autopay_retry_offsets", "ir.model.fields"),
                        ("field_payment_token__ar_card_exp_month", "ir.model.fields"),
                        ("selection__ar_autopay_attempt__state__done", "ir.model.fields.selection"),
                        ("portal_my_autopay", "ir.ui.view"), ("menu_ar_autopay", "ir.ui.menu"),
                        ("mail_template_autopay_hard_decline", "mail.template"),
                        ("access_ar_autopay_mandate_user", "ir.model.access"),
                        ("ar_autopay_mandate_rule_company", "ir.rule")):
        assert (name, model) in moved, f"{model} {name} is not the bridge's"
    portal_left = sorted(name for module, name, _model, _res_id in after["xmlids"] if module == "ar_collections_portal"
                         and ("autopay" in name or "stripe" in name or "payment_token" in name))
    assert not portal_left, f"left in the portal: {portal_left}"


def test_portal_installs_without_stripe(lean_db):
    """The statement, its payments, disputes and promises need no Stripe."""
    state = shell_json(lean_db, f"""
import json
modules = env["ir.module.module"].search([("name", "in", ["ar_collections_portal", {BRIDGE!r}, "payment_stripe"])])
print({MARKER!r} + json.dumps({{
    "modules": dict(modules.mapped(lambda m: (m.name, m.state))),
    "routes": "/my/statement/transaction" in str(env["ir.http"].routing_map()),
    "autopay": "ar.autopay.mandate" in env,
}}))
""", MARKER)
    assert state["modules"] == {"ar_collections_portal": "installed", BRIDGE: "uninstalled",
                                "payment_stripe": "uninstalled"}
    assert state["routes"], "the statement's payment route is served"
    assert not state["autopay"]
