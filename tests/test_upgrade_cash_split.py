"""The cash application moved from ar_collections to ar_collections_cash (18.0.2.0.0).

A database of the last release (3c7411a, cash application inside ar_collections) with bank
lines, proposed and applied matches, a remittance advice and an admin's schedule and settings is
upgraded with the working tree: ar_collections_cash gets installed in the same upgrade and takes
over every record with its id and values; the matcher goes on. (A fresh install of ar_collections
alone has no cash application, installing ar_collections_cash afterwards brings it:
tests/test_install_uninstall.py.)
"""

import pytest

from . import odoo_process
from .odoo_process import create_db, drop_db, odoo_shell, psql, run_odoo, scratch_name

MARKER = "AR-CASH:"
CASH = "ar_collections_cash"

# What the old database holds: a small book, demo bank lines matched once (applied and proposed
# matches), a remittance advice, and an admin's schedule of the matcher and cash settings.
POPULATE = """
from odoo import Command, fields
from odoo.addons.ar_collections.tools.demo_book import generate_ar_book
from odoo.addons.ar_collections.tools.demo_cash import generate_cash_demo
generate_ar_book(env, invoices=120, customers=12, seed=5, months=3)
generate_cash_demo(env, seed=3, lines=24)
Match = env["ar.cash.match"]
assert Match.search_count([("state", "=", "applied")]), "the demo applied no match"
assert Match.search_count([("state", "=", "proposed")]), "the demo left no suggestion"
invoice = env["account.move"].search([("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                                      ("payment_state", "=", "not_paid")], order="id desc", limit=1)
env["ar.remittance"].create({
    "name": "REMIT-UPGRADE-1", "partner_id": invoice.commercial_partner_id.id, "file_name": "advice.csv",
    "line_ids": [Command.create({"invoice_ref": invoice.name, "move_id": invoice.id, "amount": 12.5})],
})
env.ref("ar_collections.ir_cron_ar_cash_match").write(
    {"interval_number": 3, "interval_type": "hours", "active": False, "nextcall": "2031-02-03 04:05:06"})
env["res.config.settings"].create({"ar_cash_auto_confidence": 93, "ar_cash_pause_confidence": 61,
                                   "ar_cash_search_ms": 400}).execute()
env.cr.commit()
"""

# The cash application's data, as one JSON dict; the same code reads the old and the new database.
READ = f"""
import json
out = {{}}
lines = env["account.bank.statement.line"].search([("ar_match_status", "!=", False)])
out["lines"] = {{str(line.id): [line.ar_match_status, line.ar_best_confidence, line.ar_remittance_id.id,
                               line.is_reconciled, line.amount, line.payment_ref] for line in lines}}
out["matches"] = {{str(match.id): [match.statement_line_id.id, match.state, match.rule, match.confidence,
                                  match.difference_kind, match.applied_auto, match.counterpart_line_ids.ids,
                                  [[item.move_id.id, item.amount] for item in match.line_ids]]
                  for match in env["ar.cash.match"].search([])}}
out["remittances"] = {{str(r.id): [r.name, r.state, r.amount, r.partner_id.id, r.file_name,
                                  [[item.invoice_ref, item.move_id.id, item.amount] for item in r.line_ids]]
                      for r in env["ar.remittance"].search([])}}
company = env.company
out["settings"] = {{name: company[name].id if company._fields[name].type == "many2one" else company[name]
                   for name in company._fields if name.startswith("ar_cash_")}}
crons = env["ir.cron"].with_context(active_test=False).search([("code", "like", "_cron_ar_cash_match")])
out["crons"] = [[cron.id, cron.active, cron.interval_number, cron.interval_type, str(cron.nextcall),
                 cron.name, list(cron.get_external_id().values())] for cron in crons]
data = env["ir.model.data"].search([("module", "in", ["ar_collections", {CASH!r}])])
out["xmlids"] = {{f"{{d.module}}.{{d.name}}": [d.model, d.res_id] for d in data}}
out["modules"] = {{m.name: m.state for m in env["ir.module.module"].search([("name", "like", "ar_collections")])}}
print({MARKER!r} + json.dumps(out))
"""

# The matcher after the upgrade: a new payment of an open invoice, by its number, through the cron's method.
MATCH_NEW_LINE = f"""
import json
invoice = env["account.move"].search([("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                                      ("payment_state", "=", "not_paid"),
                                      ("id", "not in", env["ar.cash.match.line"].search([]).move_id.ids)],
                                     order="id", limit=1)
journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", invoice.company_id.id)], limit=1)
line = env["account.bank.statement.line"].create({{
    "journal_id": journal.id, "payment_ref": f"Payment {{invoice.name}}", "amount": invoice.amount_residual,
    "partner_id": invoice.commercial_partner_id.id}})
cron = env.ref({CASH + '.ir_cron_ar_cash_match'!r})
env[cron.model_id.model]._cron_ar_cash_match()
env.invalidate_all()
match = line.ar_match_ids.filtered(lambda m: m.state == "applied")
print({MARKER!r} + json.dumps({{"status": line.ar_match_status, "reconciled": line.is_reconciled,
                               "invoices": match.line_ids.move_id.ids, "invoice": invoice.id,
                               "payment_state": invoice.payment_state}}))
"""


def shell_json(db, code, addons_dir=None):
    return odoo_process.shell_json(db, code, MARKER, addons_dir=addons_dir)


@pytest.fixture(scope="module")
def fresh_names(ar_db_template):
    """The external ids of ar_collections_cash as a fresh install of the working tree names them
    (the template of our add-ons installed together)."""
    return {row[0] for row in psql(ar_db_template, f"SELECT name FROM ir_model_data WHERE module = '{CASH}'")}


@pytest.fixture
def old_db(deps_db, old_addons):
    """A database of OLD_COMMIT's ar_collections with cash application data and an admin's changes."""
    name = scratch_name("ar_cash_upg")
    create_db(name, template=deps_db)
    run_odoo(name, "-i", "ar_collections", "--stop-after-init", addons_dir=old_addons)
    odoo_shell(name, POPULATE, addons_dir=old_addons)
    yield name
    drop_db(name)


def test_upgrade_from_last_release_installs_cash_add_on_and_keeps_its_records(old_db, old_addons, fresh_names):
    before = shell_json(old_db, READ, addons_dir=old_addons)
    assert before["modules"].get(CASH) in (None, "uninstalled")
    assert {match[1] for match in before["matches"].values()} >= {"applied", "proposed"}
    assert before["remittances"] and before["lines"]
    assert before["crons"][0][1:4] == [False, 3, "hours"]
    assert before["settings"]["ar_cash_auto_confidence"] == 93

    run_odoo(old_db, "-u", "ar_collections", "--stop-after-init")
    after = shell_json(old_db, READ)

    assert after["modules"][CASH] == "installed", "the upgrade did not install the cash add-on"
    for key in ("lines", "matches", "remittances", "settings"):
        lost = {k: (v, after[key].get(k)) for k, v in before[key].items() if after[key].get(k) != v}
        assert not lost, f"{key} changed on upgrade: {lost}"
        if key != "settings":  # settings added since (bank fees) come with their defaults
            assert after[key].keys() == before[key].keys(), f"{key}: records added on upgrade"
    # the same scheduled action (same id), the admin's schedule, now the cash add-on's; the
    # second worker the add-on brings takes that state and schedule (switched off, every 3 hours)
    assert len(after["crons"]) == 2, f"scheduled actions of the matcher: {after['crons']}"
    first, second = sorted(after["crons"], key=lambda cron: cron[6])
    assert first[:6] == before["crons"][0][:6], (before["crons"], after["crons"])
    assert first[6] == [f"{CASH}.ir_cron_ar_cash_match"]
    assert second[6] == [f"{CASH}.ir_cron_ar_cash_match_2"]
    assert second[1:5] == first[1:5], (first, second)

    # every external id of the cash add-on, with the record it named before the upgrade
    xmlids = after["xmlids"]
    missing = sorted(name for name in fresh_names if f"{CASH}.{name}" not in xmlids)
    assert not missing, f"external ids of a fresh install missing after the upgrade: {missing}"
    # (both add-ons name some records alike: their own extension of the settings view, of res.company)
    moved = {name: before["xmlids"][f"ar_collections.{name}"] for name in fresh_names
             if f"ar_collections.{name}" in before["xmlids"] and f"ar_collections.{name}" not in xmlids}
    assert len(moved) > 150, f"only {len(moved)} external ids moved from ar_collections to the cash add-on"
    for name in ("model_ar_cash_match", "model_ar_remittance_import", "field_ar_cash_match__state",
                 "selection__ar_cash_match__state__applied", "model_inherit__account_bank_statement_line__ar_claim_mixin",
                 "field_res_company__ar_cash_auto_confidence", "field_account_bank_statement_line__ar_match_status",
                 "field_res_config_settings__ar_cash_search_ms", "ar_cash_match_view_form",
                 "account_bank_statement_line_view_form_ar_cash", "action_ar_cash_exceptions", "menu_ar_cash_application",
                 "ir_cron_ar_cash_match", "access_ar_cash_match_user", "ar_remittance_rule_company"):
        assert name in moved, f"{name} not moved from ar_collections to the cash add-on"
    changed = {name: (old, xmlids[f"{CASH}.{name}"]) for name, old in moved.items() if xmlids[f"{CASH}.{name}"] != old}
    assert not changed, f"records replaced on upgrade instead of kept: {changed}"

    # the matcher works on a new payment
    result = shell_json(old_db, MATCH_NEW_LINE)
    assert result["status"] == "matched" and result["reconciled"], result
    assert result["invoices"] == [result["invoice"]] and result["payment_state"] in ("paid", "in_payment"), result
