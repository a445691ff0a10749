"""The cash matcher's two scheduled jobs in real Odoo processes, colliding on one invoice: worker
A applies a payment of invoice X; worker B, whose transaction began before A committed, claims a
second payment of X (a customer who paid twice) and still sees X open. Whether A still holds X
or has committed meanwhile, B leaves that line for its next call instead of applying it (or
waiting for A and failing); its next call sees X paid and queues the second payment for a
person. X is paid once."""

import time

import pytest

from .odoo_process import odoo_shell, odoo_shell_process, psql

SETUP = """
from datetime import timedelta
from odoo import Command, fields
today = fields.Date.context_today(env["res.partner"])
customer = env["res.partner"].create({"name": "Twice Paying Ltd", "is_company": True})
invoice = env["account.move"].create({
    "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": today - timedelta(days=40),
    "invoice_date_due": today - timedelta(days=10),
    "invoice_line_ids": [Command.create({"name": "Work", "quantity": 1, "price_unit": 700.0,
                                         "tax_ids": [Command.clear()]})],
})
invoice.action_post()
journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1)
Line = env["account.bank.statement.line"]
first = Line.create({"journal_id": journal.id, "date": today, "amount": 700.0, "payment_ref": invoice.name})
second = Line.create({"journal_id": journal.id, "date": today, "amount": 700.0,
                      "payment_ref": "PAYMENT " + invoice.name})
env.cr.commit()
print("IDS", invoice.id, first.id, second.id)
"""

# Worker A: matches the first line (batch of one) and keeps its transaction open until B has begun.
WORKER_A = """
import os, time
Line = env["account.bank.statement.line"]
print("A", Line._cron_ar_cash_match(batch_size=1), flush=True)
open(os.path.join({folder!r}, "a-applied"), "w").close()
while not os.path.exists(os.path.join({folder!r}, "b-started")):
    time.sleep(0.1)
if {hold!r}:
    time.sleep(3)  # B is claiming, matching and applying meanwhile
env.cr.commit()
open(os.path.join({folder!r}, "a-committed"), "w").close()
print("A-COMMITTED", flush=True)
"""

# Worker B: its transaction begins before A commits (and, unless A holds X, it claims its line
# before A commits too), then it matches as a cron job does, and again after A committed.
WORKER_B = """
import logging, os, sys, time
from odoo.tools import SQL
log = logging.getLogger("odoo.addons.ar_collections_cash.models.account_bank_statement_line")
log.setLevel(logging.INFO)
log.addHandler(logging.StreamHandler(sys.stdout))
while not os.path.exists(os.path.join({folder!r}, "a-applied")):
    time.sleep(0.1)
Line = env["account.bank.statement.line"]
if {hold!r}:
    env.cr.execute("SELECT 1")  # the snapshot of this transaction: A's payment not visible
    open(os.path.join({folder!r}, "b-started"), "w").close()
    first = Line._cron_ar_cash_match(batch_size=1)
else:
    # the scheduled call's claim (A holds its own line: skipped), then A commits
    lines = Line._ar_claim_rows(Line._ar_cash_candidate_where(), SQL("id"), 1,
                                ["ar_match_status", "amount", "is_reconciled"])
    open(os.path.join({folder!r}, "b-started"), "w").close()
    while not os.path.exists(os.path.join({folder!r}, "a-committed")):
        time.sleep(0.1)
    first = {{"claimed": lines.ids, **lines._ar_cash_match()}}
env.cr.commit()
while not os.path.exists(os.path.join({folder!r}, "a-committed")):
    time.sleep(0.1)
second = Line._cron_ar_cash_match(batch_size=1)
env.cr.commit()
print("B", first, second, flush=True)
"""


@pytest.mark.parametrize("hold", [True, False], ids=["A-holds-the-invoice", "A-committed-after-B-claimed"])
def test_two_jobs_colliding_on_one_invoice(ar_db, tmp_path, hold):
    out = odoo_shell(ar_db, SETUP).stdout
    invoice_id, first_id, second_id = next(line.split()[1:] for line in out.splitlines() if line.startswith("IDS"))
    worker_a = odoo_shell_process(ar_db, WORKER_A.format(folder=str(tmp_path), hold=hold))
    worker_b = odoo_shell_process(ar_db, WORKER_B.format(folder=str(tmp_path), hold=hold))
    started = time.monotonic()
    out_a, err_a = worker_a.communicate(timeout=600)
    out_b, err_b = worker_b.communicate(timeout=600)
    assert worker_a.returncode == 0 and "A-COMMITTED" in out_a, err_a[-3000:]
    assert worker_b.returncode == 0 and "B " in out_b, err_b[-3000:]
    assert "{'done': 1, 'remaining': 1}" in out_a, out_a
    # B's first call leaves the line for later (in its snapshot both lines still wait); its second
    # call decides it; no batch undone
    first = ("{'done': 0, 'remaining': 2}" if hold
             else f"{{'claimed': [{second_id}], 'lines': 0, 'applied': 0, 'queued': 0}}")
    assert f"B {first} {{'done': 1, 'remaining': 0}}" in out_b, out_b + err_b[-3000:]
    assert "0 applied, 1 waiting for the next call" in out_b, out_b
    assert "left for the next call" not in out_b, out_b
    assert " ERROR " not in err_b, err_b[-3000:]
    assert time.monotonic() - started < 600
    assert psql(ar_db, f"SELECT payment_state, amount_residual FROM account_move WHERE id = {invoice_id}") \
        in ([["paid", "0.00"]], [["in_payment", "0.00"]])
    assert psql(ar_db, f"""SELECT l.id, l.is_reconciled, l.ar_match_status FROM account_bank_statement_line l
                           WHERE l.id IN ({first_id}, {second_id}) ORDER BY l.id""") == [
        [first_id, "t", "matched"], [second_id, "f", "queued"]]
    # one applied match on the invoice: the first payment's
    assert psql(ar_db, f"""SELECT m.statement_line_id FROM ar_cash_match m
                           JOIN ar_cash_match_line ml ON ml.match_id = m.id
                           WHERE ml.move_id = {invoice_id} AND m.state = 'applied'""") == [[first_id]]
