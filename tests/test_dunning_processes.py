"""The dunning run across real Odoo processes: two workers at once, and a worker
killed with SIGKILL at random moments and restarted. Nothing twice, nothing missing."""

import os
import random
import signal
import time

import pytest

from odoo.addons.ar_collections.tests.run_summary import record

from .odoo_process import odoo_shell, odoo_shell_process, psql
from .templates import DUNNING_BOOK

# One worker: call the scheduled methods as the scheduler does: commit after each
# call; a call that raises is rolled back and counted, and the next call goes on.
WORKER = """
import psycopg2
Run = env["ar.dunning.run"]
Message = env["ar.dunning.message"]
calls = errors = 0

def call(method, **kw):
    global errors
    try:
        method(**kw)
        env.cr.commit()
    except psycopg2.errors.SerializationFailure:
        env.cr.rollback()
        env.invalidate_all()
        errors += 1

for calls in range(1, 2000):
    call(Run._cron_dunning_run, batch_size=3)
    if not Run.search_count([("state", "=", "running")]) and Run.search_count([]):
        break
for _i in range(2000):
    call(Message._cron_dispatch, batch_size=7)
    if not Message.search_count([("state", "=", "queued"), ("dispatch_date", "=", False)]):
        break
print("WORKER-CALLS", calls, "SERIALIZATION-RETRIES", errors)
"""

# Nothing left to send and nothing sent twice, checked by the engine's own planner.
CHECK = """
from odoo import fields
company = env.company
today = fields.Date.context_today(env["res.partner"])
engine = env["ar.dunning.engine"]
invoices = env["account.move"].search(engine._get_candidate_domain(company, today))
missing = [line for line in engine._plan_reminders(invoices, today) if not line["skip_reason"]]
print("MISSING", len(missing))
"""


def live_log_duplicates(db):
    return psql(db, """
        SELECT invoice_id, level_id, channel, count(*) FROM ar_dunning_log
        WHERE state != 'cancelled' GROUP BY 1, 2, 3 HAVING count(*) > 1
    """)


def message_duplicates(db):
    return psql(db, """
        SELECT partner_id, channel, level_id, count(*) FROM ar_dunning_message
        GROUP BY 1, 2, 3 HAVING count(*) > 1
    """)


def assert_complete(db):
    """Assert nothing was queued twice or missed; returns (log lines, messages, duplicates)."""
    duplicates = len(live_log_duplicates(db)) + len(message_duplicates(db))
    assert not live_log_duplicates(db), "an invoice got the same level twice on a channel"
    assert not message_duplicates(db), "a customer got two reminders of one level on a channel"
    out = odoo_shell(db, CHECK).stdout
    assert "MISSING 0" in out, f"reminders left unqueued: {out[-500:]}"
    [[logs]] = psql(db, "SELECT count(*) FROM ar_dunning_log")
    assert int(logs) > 50, f"the book produced only {logs} log lines"
    [[running]] = psql(db, "SELECT count(*) FROM ar_dunning_run WHERE state = 'running'")
    assert running == "0"
    [[undispatched]] = psql(db, "SELECT count(*) FROM ar_dunning_message WHERE state = 'queued' AND dispatch_date IS NULL")
    assert undispatched == "0", "reminders left undispatched"
    # exactly one outgoing email per dispatched email reminder
    twice = psql(db, """
        SELECT m.id, count(mm.id) FROM ar_dunning_message m
        LEFT JOIN mail_mail mm ON mm.mail_message_id = m.mail_message_id
        WHERE m.channel = 'email' AND m.state != 'cancelled'
        GROUP BY m.id HAVING count(mm.id) != 1
    """)
    assert not twice, f"email reminders without exactly one queued email: {twice[:5]}"
    [[messages]] = psql(db, "SELECT count(*) FROM ar_dunning_message")
    return int(logs), int(messages), duplicates


def test_two_workers_at_once(book_db):
    workers = [odoo_shell_process(book_db, WORKER) for _i in range(2)]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        assert "WORKER-CALLS" in out, err[-3000:]
        outputs.append(out)
    _logs, messages, duplicates = assert_complete(book_db)
    [[runs]] = psql(book_db, "SELECT count(*) FROM ar_dunning_run")
    assert runs == "1", "the two workers shared one run"
    record("dunning run, two workers at once", messages=messages, duplicates=duplicates)


def test_killed_worker_resumes(book_db):
    kills = _kill_and_resume(book_db, None, trials=3, seed=20261123, source="dunning run, killed worker")
    assert kills >= 1, "no worker was killed mid-run: the book is too small to test anything"


@pytest.mark.slow
def test_killed_worker_ten_trials_large_book(ar_db):
    """Issue 8's kill test: a few thousand invoices, ten SIGKILLs at seeded random moments."""
    populate = DUNNING_BOOK.replace("invoices=400, customers=40, seed=11", "invoices=3000, customers=300, seed=12")
    kills = _kill_and_resume(ar_db, populate, trials=10, seed=8, max_delay=3.0,
                             source="dunning run, 3,000 invoices, ten kills")
    assert kills >= 8, f"only {kills} of 10 workers were killed mid-run"


def _kill_and_resume(db, populate, trials, seed, source, max_delay=1.5):
    """Populate ``db`` (unless ``populate`` is None: a copy of the book), start a worker ``trials``
    times and SIGKILL it at a random moment, then let a last worker finish; assert nothing was sent
    twice or missed. Returns the kills."""
    if populate:
        odoo_shell(db, populate)
    rng = random.Random(seed)
    kills = 0
    for _trial in range(trials):
        worker = odoo_shell_process(db, WORKER)
        # let it get into the run, then kill it at a random moment
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.poll() is None:
            [[done]] = psql(db, "SELECT coalesce(max(partner_done), 0) FROM ar_dunning_run")
            if int(done) > 0:
                break
            time.sleep(0.2)
        time.sleep(rng.uniform(0.0, max_delay))
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            kills += 1
        worker.communicate(timeout=60)
    finisher = odoo_shell_process(db, WORKER)
    out, err = finisher.communicate(timeout=1800)
    assert finisher.returncode == 0, err[-3000:]
    _logs, messages, duplicates = assert_complete(db)
    record(source, trials=trials, kills=kills, faults=kills, messages=messages, duplicates=duplicates)
    return kills
