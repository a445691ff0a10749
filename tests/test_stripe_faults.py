"""Autopay charges across real Odoo processes against a fake Stripe that misbehaves:
a worker killed while Stripe holds the answer to a charge it made, workers killed at random
moments, then timeouts, HTTP 500s and connections dropped before and after the charge.
Every invoice is charged exactly once and ends paid; nothing is left half done."""

import importlib.util
import os
import random
import signal
import time

from odoo.addons.ar_collections.tests.run_summary import record

from .odoo_process import ROOT, odoo_shell, odoo_shell_process, psql

_spec = importlib.util.spec_from_file_location(
    "ar_fake_stripe", ROOT / "ar_collections_portal_stripe" / "tests" / "fake_stripe.py")
fake_stripe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_stripe)

CUSTOMERS = 24

SETUP = """
from datetime import timedelta
from odoo import Command, fields
company = env.company
card = env.ref("payment.payment_method_card")
provider = env.ref("payment.payment_provider_stripe")
provider.write({
    "state": "test", "is_published": True, "stripe_publishable_key": "pk_test_ar",
    "stripe_secret_key": "sk_test_ar", "stripe_webhook_secret": "whsec_test_ar",
    "payment_method_ids": [Command.set(card.ids)],
    "journal_id": env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "bank")], limit=1).id,
})
card.active = True
today = fields.Date.context_today(env.user)
for i in range(%(customers)d):
    partner = env["res.partner"].create({
        "name": "Autopay customer %%02d" %% i, "is_company": True, "email": "ap%%02d@example.com" %% i})
    token = env["payment.token"].create({
        "provider_id": provider.id, "payment_method_id": card.id, "partner_id": partner.id,
        "payment_details": "4242", "provider_ref": "cus_%%02d" %% i, "stripe_payment_method": "pm_card_visa",
    })
    env["ar.autopay.mandate"].create({"partner_id": partner.id, "company_id": company.id, "token_id": token.id})
    invoice = env["account.move"].create({
        "move_type": "out_invoice", "partner_id": partner.id,
        "invoice_date": today - timedelta(days=30), "invoice_date_due": today,
        "invoice_line_ids": [Command.create({"name": "Subscription", "price_unit": 100 + i, "tax_ids": [Command.clear()]})],
    })
    invoice.action_post()
env.cr.commit()
print("SETUP-DONE")
"""

# One worker: the two autopay crons as the scheduler calls them, committing after each
# call. Each loop stands for the scheduler coming back later (`now` moves on), so charges
# waiting for a resend after a transport error are due again.
WORKER = """
import importlib.util
from datetime import timedelta
from odoo import fields
# payment_stripe's API calls go to the fake Stripe, with a short client timeout
spec = importlib.util.spec_from_file_location("ar_fake_stripe", %(fake)r)
fake_stripe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fake_stripe)
fake_stripe.patch_stripe_transport(%(url)r, timeout=2).start()
Mandate = env["ar.autopay.mandate"]
Attempt = env["ar.autopay.attempt"]
start = fields.Datetime.now()
for loop in range(300):
    Mandate._cron_autopay_queue(batch_size=5)
    env.cr.commit()
    Attempt._cron_autopay_send(batch_size=3, now=start + timedelta(minutes=15 * loop))
    env.cr.commit()
    if not Attempt.search_count([("state", "in", ("queued", "sending"))]) \\
            and not Mandate.search_count(Mandate._ar_queue_domain(fields.Date.context_today(Mandate))):
        break
print("AUTOPAY-WORKER-DONE", loop)
"""


def _kill(worker):
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=60)
        return 1
    worker.communicate(timeout=60)
    return 0


def _wait_for(predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_autopay_survives_kills_and_stripe_faults(ar_db):
    with fake_stripe.FakeStripe(webhook_secret="whsec_test_ar", timeout_seconds=4) as fake:
        odoo_shell(ar_db, SETUP % {"customers": CUSTOMERS})
        worker_code = WORKER % {"fake": str(ROOT / "ar_collections_portal_stripe" / "tests" / "fake_stripe.py"), "url": fake.url}
        faults = kills = 0

        # 1. Stripe makes the charge and holds the answer; the worker dies waiting for it.
        fake.inject("stall_after_charge")
        faults += 1
        worker = odoo_shell_process(ar_db, worker_code)
        assert _wait_for(lambda: len(fake.charges) >= 1), "the worker never charged a card"
        time.sleep(0.5)  # well inside the stall: Odoo has not got the answer
        kills += _kill(worker)
        assert kills == 1, "the worker finished before it could be killed mid-charge"
        charged_while_dead = {charge["description"] for charge in fake.charges}

        # 2. Workers killed at seeded random moments.
        rng = random.Random(86)
        for _trial in range(3):
            worker = odoo_shell_process(ar_db, worker_code)
            _wait_for(lambda: len(fake.requests) > 0, timeout=60)
            time.sleep(rng.uniform(1.0, 4.0))
            kills += _kill(worker)

        # 3. Transport faults while a last worker finishes the job.
        for kind, count in (("500", 2), ("drop_after_charge", 2), ("timeout", 1), ("drop_before", 1)):
            fake.inject(kind, count=count)
            faults += count
        worker = odoo_shell_process(ar_db, worker_code)
        out, err = worker.communicate(timeout=900)
        assert worker.returncode == 0, err[-3000:]
        assert "AUTOPAY-WORKER-DONE" in out, (out[-2000:], err[-3000:])
        assert not [fault for fault in fake.faults if fault["count"]], "some faults were never hit"

    done = {ref for [ref] in psql(ar_db, """
        SELECT t.reference FROM ar_autopay_attempt a JOIN payment_transaction t ON t.id = a.transaction_id
        WHERE a.state = 'done'""")}
    descriptions = [charge["description"] for charge in fake.charges]
    duplicates = len(descriptions) - len(set(descriptions))
    assert not duplicates, "a transaction was charged twice"
    assert set(descriptions) == done, "Stripe charges and done attempts differ"
    assert charged_while_dead <= done, "the charge made while the worker died was not recovered"
    [[paid]] = psql(ar_db, """
        SELECT count(*) FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'
        AND payment_state IN ('paid', 'in_payment')""")
    assert int(paid) == CUSTOMERS, f"{paid} of {CUSTOMERS} invoices paid"
    assert len(fake.charges) == CUSTOMERS, f"{len(fake.charges)} charges for {CUSTOMERS} invoices"
    left = psql(ar_db, "SELECT state, count(*) FROM ar_autopay_attempt WHERE state != 'done' GROUP BY state")
    assert not left, f"attempts not done: {left}"
    twice = psql(ar_db, """
        SELECT rel.invoice_id FROM ar_autopay_attempt a
        JOIN ar_autopay_attempt_invoice_rel rel ON rel.attempt_id = a.id
        WHERE a.state = 'done' GROUP BY 1 HAVING count(*) > 1""")
    assert not twice, f"invoices with two charges: {twice}"
    record("autopay against a faulty fake Stripe", trials=4, kills=kills, faults=faults + kills,
           messages=len(fake.charges), duplicates=duplicates + len(twice))
