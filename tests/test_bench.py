"""setup/bench.sh end to end on a small book: peers from PyPI, seed, clones, every row.

The speed goals are the benchmark's business (README); this test checks that the
benchmark runs, that the cloned book is a faithful copy (bench_book.verify runs after
each growth step and fails the step otherwise), and the one property of the numbers
that does not depend on the machine: the credit check's query count does not grow
with the customer's open invoices.
"""
import json
import math
import os
import shutil
import subprocess

import pytest

from .odoo_process import ROOT, drop_db

DB = "ar_bench_smoke"

@pytest.mark.slow  # builds three books and installs the OCA peers: `setup/test.sh --slow`
def test_bench_runs_end_to_end(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, AR_BENCH_DB=DB)
    try:
        proc = subprocess.run(
            [str(ROOT / "setup/bench.sh"), "--invoices", "1000", "--seed-invoices", "100", "--json", str(out)],
            env=env, capture_output=True, text=True, timeout=1200, stdin=subprocess.DEVNULL, check=False)
    finally:
        for database in (DB, f"{DB}_seed_100"):
            drop_db(database)
            shutil.rmtree(ROOT / ".odoo" / "data" / "filestore" / database, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())

    # the table printed is the one written
    assert report["table"] in proc.stdout
    assert set(report["peers"]) == {"account_credit_control", "account_financial_risk"}

    # three book sizes: the seed, then 3 and 10 copies of it (+ the two large customers at the end)
    sizes = [point["ours"]["invoices"] for point in report["scaling"]]
    assert sizes[:2] == [100, 300], sizes
    assert sizes[2] == 1000 + 1500, sizes
    for point in report["scaling"]:
        ours, oca = point["ours"], point["oca"]
        assert ours["invoices"] == oca["invoices"], "both runs measured on the same book"
        assert ours["invoices_chased"] > 0 and oca["invoices_chased"] > 0
        assert ours["seconds"] > 0 and oca["seconds"] > 0
        assert ours["peak_rss_mb"] > 50

    aging = report["aging"]
    assert aging["ours"]["rows"] == aging["bound"]["rows"], "one row per customer in both"
    assert aging["ours_total"] == aging["bound_total"], "the aging and the SQL bound agree on today's total"

    credit = report["credit"]
    assert credit["ours_big"]["open_invoices"] == 1000
    assert credit["ours_small"]["open_invoices"] < 20
    assert credit["ours_big"]["queries"] == credit["ours_small"]["queries"], credit
    assert credit["ours_big"]["outcome"] == "passed"

    statement = report["statement"]
    assert statement["requests"] == 50
    assert 0 < statement["median"] <= statement["p95"]

    # end to end: both sides queue their emails and print their letters on the same book
    ours, oca = report["e2e"]["ours"], report["e2e"]["oca"]
    assert ours["invoices"] == oca["invoices"] == sizes[2]
    assert ours["emails_queued"] > 0 and oca["emails_queued"] > 0
    assert ours["letters"] > 0 and oca["letters"] > 0, "both print the letters of the last level"
    assert ours["call_activities"] > 0
    assert not any(key.endswith(" failed") for key in ours["reminders"]), ours["reminders"]
    # the letters go many per wkhtmltopdf call (50), in batches of the dispatch queue
    assert ours["wkhtmltopdf_calls"] <= math.ceil(ours["letters"] / 50) + 1, ours
    assert ours["seconds"] > 0 and oca["seconds"] > 0 and ours["seconds_per_letter"] > 0
    assert "end to end" in report["table"] and "letter PDF, per letter" in report["table"]
