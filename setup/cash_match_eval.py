#!/usr/bin/env python3
"""Cash matching, measured: our scheduled matcher and a naive baseline against a known truth.

Usage: .venv/bin/python setup/cash_match_eval.py -c CONF -d PREFIX [--lines N] [--invoices M]
           [--seed S] [--rebuild] [--json FILE] [--rescore]

Normally started by ``setup/cashmatch.sh``. Databases (PREFIX is ``ar_cashmatch`` there):

- ``PREFIX_seed_<k>``: ar_collections_cash (with ar_collections) installed and the demo generator's
  book of k invoices (4 months, so that many are open; 5 % of them under the "2/7 Net 30"
  early-discount term);
- ``PREFIX_<M>``: the seed cloned in SQL (``setup/bench_book.py``) until about M invoices are
  open, then every customer renamed (distinct names), 70 % given a VAT number and 80 % a bank
  account; kept and reused;
- ``PREFIX_<M>_lines``: that book with N incoming bank lines from ``setup/cash_scenarios.py``
  (seed S), their ``ar.remittance`` advices and the table ``ar_cashmatch_truth``; reused while
  N, S and the generator are the same;
- ``PREFIX_<M>_run``: a fresh copy of the previous one, where the add-on's scheduled jobs match
  the lines the way Odoo 18's cron workers call them (each job in a process of its own, side by
  side; a batch per call, a commit after each, again while it reports remaining work); timed
  from the moment the workers start to the last one's end. ``--workers 1`` archives the second
  job first. Kept after the run for inspection (``--rescore`` scores it again without matching).

The baseline ("exact reference + exact amount", :func:`cash_scenarios.naive_baseline`) is
computed on the same lines without writing anything.

Definitions (per bank line, from the truth table):

- *automatic*: the matcher applied a match to the line by itself (``ar.cash.match`` applied
  with ``applied_auto``; for the baseline: its rule fired);
- *wrong*: automatic, and the applied invoices differ from the truth's, or the amount applied to
  one of them differs from the truth's by more than a cent (2 % when the invoice is in another
  currency than the line: the bank's rate is not the company's);
- *queued*: not applied, left in the exceptions queue ("queued, top right": the queue's first
  suggestion is the truth, one click for the collector);
- *unprocessed*: still waiting for the matcher (should be 0).

automatic + queued + unprocessed = lines. The goal's wrong-match rate is counted on the
automatic matches (wrong / automatic); the share of all lines is printed too.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import bench
import cash_scenarios
from cli_common import REPO, echo, load_addon_module, print_table  # setup/ is the script's folder

# The cash application; its source and ar_collections' (reminder engine, demo book) decide when a
# kept database is updated.
MODULE = "ar_collections_cash"
MODULES = ("ar_collections", MODULE)
SEED_INVOICES = 1000
SEED_MONTHS = 4  # a short history: about 45 % of the seed's invoices are still open
DISCOUNT_SHARE = 0.05  # of the seed's invoices, under the early-payment-discount term
BOOK_SEED = 42
CREATE_BATCH = 500
EXAMPLES = 6  # failing lines shown per scenario (JSON: all scenarios)
GOAL_AUTO = 0.90
GOAL_WRONG = 0.005
GOAL_LINES, GOAL_OPEN, GOAL_SECONDS = 10_000, 50_000, 120.0
RESULT_PREFIX = bench.RESULT_PREFIX
SEED_PARAM = "ar_cashmatch.seed"
BOOK_PARAM = "ar_cashmatch.book"
GENERATED_PARAM = "ar_cashmatch.generated"
RUN_PARAM = "ar_cashmatch.run"
# Seconds the worker processes get to load Odoo before the timed run starts
WORKER_START_DELAY = 30
SOURCE_PARAM = "ar_cashmatch.source_hash"
TRUTH_TABLE = "ar_cashmatch_truth"


# ----------------------------------------------------------------------
# In an Odoo process (``cash_match_eval.py --step ...``)
# ----------------------------------------------------------------------

def _open_counts(cr):
    cr.execute("""SELECT COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
                         COUNT(*) FILTER (WHERE move_type = 'out_invoice' AND payment_state IN ('not_paid', 'partial')),
                         COUNT(DISTINCT commercial_partner_id)
                             FILTER (WHERE move_type = 'out_invoice' AND payment_state IN ('not_paid', 'partial'))
                    FROM account_move WHERE state = 'posted'""")
    invoices, open_invoices, customers = cr.fetchone()
    cr.execute("SELECT COUNT(DISTINCT partner_id) FROM res_partner_bank WHERE active")
    with_account = cr.fetchone()[0]
    return {"invoices": invoices, "open_invoices": open_invoices, "customers_with_open": customers,
            "customers_with_bank_account": with_account}


def step_seed(args):
    """The demo generator's book (4 months) plus invoices under an early-payment discount."""
    odoo, cr, env = bench._odoo_env(args)
    demo_book = load_addon_module(odoo, "ar_collections.tools.demo_book")
    with cr:
        summary = demo_book.generate_ar_book(env, invoices=args.seed_invoices,
                                             customers=max(1, args.seed_invoices // 10), seed=args.book_seed,
                                             months=SEED_MONTHS)
        env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
        rng = random.Random(args.book_seed)
        term = env.ref("account.account_payment_term_30days_early_discount")
        partners = env["res.partner"].browse(summary["partner_ids"])
        products = env["product.product"].search([("default_code", "like", "AR-DEMO-")])
        journal = env["account.journal"].search([
            *env["account.journal"]._check_company_domain(env.company), ("type", "=", "sale")], limit=1)
        today = datetime.now().date()
        moves = env["account.move"].create([{
            "move_type": "out_invoice", "partner_id": rng.choice(partners).id, "journal_id": journal.id,
            "invoice_date": today - timedelta(days=rng.randint(0, 6)), "invoice_payment_term_id": term.id,
            "invoice_line_ids": [odoo.Command.create({"product_id": rng.choice(products).id,
                                                      "quantity": rng.randint(1, 8),
                                                      "price_unit": rng.choice((95, 180, 350, 850, 2400))})],
        } for _i in range(max(1, round(args.seed_invoices * DISCOUNT_SHARE)))])
        moves.action_post()
        result = {"seconds": summary["seconds"], "invoices": summary["invoices"] + len(moves),
                  "discount_invoices": len(moves), "customers": summary["customers"], **_open_counts(cr)}
        env["ir.config_parameter"].set_param(SEED_PARAM, json.dumps(result))
        cr.commit()  # pylint: disable=invalid-commit
        return result


def step_book(args):
    """Clone the seed until about ``--invoices`` are open, then give the customers an identity."""
    import bench_book  # pylint: disable=import-outside-toplevel

    _odoo, cr, env = bench._odoo_env(args)
    with cr:
        started = time.monotonic()
        seed_open = _open_counts(cr)["open_invoices"]
        copies = max(1, round(args.invoices / max(1, seed_open)))
        bench_book.grow(cr, copies - 1)
        grown = time.monotonic() - started
        identity = _give_identity(env, args.book_seed)
        cr.execute("ANALYZE res_partner, res_partner_bank, account_move, account_move_line")
        result = {"copies": copies, "seconds_clone": round(grown, 1),
                  "seconds": round(time.monotonic() - started, 1), **identity, **_open_counts(cr)}
        env["ir.config_parameter"].set_param(BOOK_PARAM, json.dumps(result))
        cr.commit()  # pylint: disable=invalid-commit
        return result


def _give_identity(env, book_seed=BOOK_SEED):
    """Distinct names for all customers (clones are called "<seed name> #<n>"), a VAT number for
    70 % of them (not US) and a bank account for 80 %."""
    cr = env.cr
    cr.execute("""SELECT p.id, lower(COALESCE(c.code, 'us')) FROM res_partner p
                    LEFT JOIN res_country c ON c.id = p.country_id
                   WHERE p.ref LIKE 'AR-DEMO-%%' AND p.id = p.commercial_partner_id ORDER BY p.id""")
    rows = cr.fetchall()
    rng = random.Random(f"ar-cashmatch-identity-{book_seed}")
    names = cash_scenarios.customer_names(rng, len(rows), [country for _id, country in rows])
    vats, accounts = [], []
    for index, ((partner_id, country), name) in enumerate(zip(rows, names, strict=True), start=1):
        vat = cash_scenarios.vat_number(rng, country, index) if rng.random() < cash_scenarios.VAT_SHARE else None
        vats.append((partner_id, name, vat))
        if rng.random() < cash_scenarios.BANK_ACCOUNT_SHARE:
            accounts.append({"partner_id": partner_id, "acc_number": cash_scenarios.bank_account(rng, country, index)})
    cr.execute("""UPDATE res_partner p SET name = v.name, complete_name = v.name, commercial_company_name = v.name,
                         vat = v.vat
                    FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::text[]) AS name, unnest(%s::text[]) AS vat) v
                   WHERE p.id = v.id""",
               [[v[0] for v in vats], [v[1] for v in vats], [v[2] for v in vats]])
    # contacts under a company carry its name in their display name: nobody here has any
    env.invalidate_all()
    Bank = env["res.partner.bank"]
    existing = set(Bank.search([]).mapped("partner_id").ids)
    todo = [vals for vals in accounts if vals["partner_id"] not in existing]
    for start in range(0, len(todo), CREATE_BATCH):
        Bank.create(todo[start:start + CREATE_BATCH])
        env.invalidate_all()
    return {"customers_renamed": len(rows), "with_vat": sum(1 for v in vats if v[2]),
            "bank_accounts_created": len(todo)}


def _snapshot(env):
    """What the generator needs of the book: open invoices, customers, rates."""
    cr = env.cr
    company = env.company
    env.flush_all()
    cr.execute("""
        SELECT m.id, m.name, m.payment_reference, m.commercial_partner_id, m.currency_id, m.amount_residual,
               m.invoice_date_due, m.invoice_date, t.discount_date, t.discount_amount_currency, t.amount_currency
          FROM account_move m
          LEFT JOIN LATERAL (
                SELECT min(l.discount_date) AS discount_date, sum(l.discount_amount_currency) AS discount_amount_currency,
                       sum(l.amount_currency) AS amount_currency
                  FROM account_move_line l
                 WHERE l.move_id = m.id AND l.display_type = 'payment_term' AND l.discount_date IS NOT NULL
          ) t ON TRUE
         WHERE m.company_id = %s AND m.move_type = 'out_invoice' AND m.state = 'posted'
           AND m.payment_state IN ('not_paid', 'partial') AND m.amount_residual > 0
      ORDER BY m.id""", [company.id])
    rows = cr.fetchall()
    disputed = set(env["ar.dispute"].search([("is_open", "=", True)]).invoice_ids.ids)
    invoices = []
    for (inv_id, name, payment_ref, partner_id, currency_id, residual, due, inv_date, discount_date,
         discount_amount, term_amount) in rows:
        untouched = term_amount is not None and abs(float(term_amount) - float(residual)) < 0.005
        invoices.append({
            "id": inv_id, "name": name, "payment_reference": payment_ref or "", "partner_id": partner_id,
            "currency_id": currency_id, "residual": float(residual), "date_due": due, "invoice_date": inv_date,
            "discount_residual": float(discount_amount) if discount_date and untouched else None,
            "discount_date": discount_date, "disputed": inv_id in disputed,
        })
    cr.execute("""SELECT p.id, p.name, p.vat, lower(COALESCE(c.code, 'us')),
                         (SELECT b.acc_number FROM res_partner_bank b WHERE b.partner_id = p.id AND b.active
                           ORDER BY b.id LIMIT 1)
                    FROM res_partner p LEFT JOIN res_country c ON c.id = p.country_id
                   WHERE p.id IN (SELECT DISTINCT commercial_partner_id FROM account_move
                                   WHERE move_type = 'out_invoice' AND state = 'posted')""")
    customers = {pid: {"name": name, "vat": vat, "country": country, "account": account}
                 for pid, name, vat, country, account in cr.fetchall()}
    # paid invoices: a customer may pay one again (the duplicate scenario)
    cr.execute("""SELECT id, name, commercial_partner_id, amount_total FROM account_move
                   WHERE company_id = %s AND move_type = 'out_invoice' AND state = 'posted'
                     AND payment_state IN ('paid', 'in_payment') AND currency_id = %s
                ORDER BY id DESC LIMIT 5000""", [company.id, company.currency_id.id])
    paid = [{"id": inv_id, "name": name, "partner_id": partner_id, "amount": float(amount)}
            for inv_id, name, partner_id, amount in cr.fetchall()]
    today = datetime.now().date()
    to_company = {}
    for currency in env["res.currency"].browse({inv["currency_id"] for inv in invoices}):
        to_company[currency.id] = currency._get_conversion_rate(currency, company.currency_id, company, today)
    return {"invoices": invoices, "customers": customers, "company_currency": company.currency_id.id,
            "to_company": to_company, "paid": paid}


def step_generate(args):
    """N bank lines with their truth, their remittance advices, in the bank journal."""
    _odoo, cr, env = bench._odoo_env(args)
    with cr:
        env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
        started = time.monotonic()
        book = _snapshot(env)
        today = datetime.now().date()
        lines = cash_scenarios.generate(book, args.lines, args.seed, today, templates=args.templates)
        planned = time.monotonic() - started
        company = env.company
        journal = env["account.journal"].search([
            *env["account.journal"]._check_company_domain(company), ("type", "=", "bank")], limit=1)
        # remittance advices, as the import creates them
        started = time.monotonic()
        with_advice = [line for line in lines if line["remittance"]]
        advices = env["ar.remittance"].create([{
            "name": line["remittance"]["name"], "partner_id": line["remittance"]["partner_id"],
            "company_id": company.id, "currency_id": company.currency_id.id, "date": line["date"],
            "file_name": "cashmatch-generator.csv",
            "line_ids": [(0, 0, {"sequence": seq, "invoice_ref": number, "move_id": inv_id, "amount": amount})
                         for seq, (inv_id, number, amount) in enumerate(line["remittance"]["lines"])],
        } for line in with_advice])
        for line, advice in zip(with_advice, advices, strict=True):
            line["remittance_id"] = advice.id
        advices_seconds = time.monotonic() - started
        # the bank lines, as a bank file import creates them: no customer, the payer's name and account
        Line = env["account.bank.statement.line"]
        started = time.monotonic()
        created = []
        for start in range(0, len(lines), CREATE_BATCH):
            chunk = lines[start:start + CREATE_BATCH]
            records = Line.create([{
                "journal_id": journal.id, "date": line["date"], "payment_ref": line["payment_ref"],
                "amount": line["amount"], "partner_name": line["partner_name"],
                "account_number": line["account_number"] or False,
                "foreign_currency_id": line["foreign_currency_id"] or False,
                "amount_currency": line["amount_currency"] or 0.0,
            } for line in chunk])
            created.extend(records.ids)
            env.invalidate_all()
        lines_seconds = time.monotonic() - started
        cr.execute(f"DROP TABLE IF EXISTS {TRUTH_TABLE}")
        cr.execute(f"""CREATE TABLE {TRUTH_TABLE} (
            line_id integer PRIMARY KEY REFERENCES account_bank_statement_line(id) ON DELETE CASCADE,
            scenario varchar NOT NULL, variant varchar, partner_id integer, currency_id integer NOT NULL,
            amount numeric NOT NULL, allocations jsonb NOT NULL, remittance_id integer)""")
        cr.execute(f"""INSERT INTO {TRUTH_TABLE} (line_id, scenario, variant, partner_id, currency_id, amount,
                                                   allocations, remittance_id)
                       SELECT * FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::int[], %s::int[],
                                            %s::numeric[], %s::jsonb[], %s::int[])""", [
            created, [line["scenario"] for line in lines], [line["variant"] for line in lines],
            [line["partner_id"] for line in lines], [line["currency_id"] for line in lines],
            [line["amount_currency"] if line["foreign_currency_id"] else line["amount"] for line in lines],
            [json.dumps([[inv_id, round(amount, 2)] for inv_id, amount in line["truth"]]) for line in lines],
            [line.get("remittance_id") for line in lines],
        ])
        meta = {"lines": args.lines, "seed": args.seed, "templates": args.templates, "generator": _generator_hash(),
                "date": today.isoformat(), "seconds_plan": round(planned, 2),
                "seconds_remittances": round(advices_seconds, 2), "remittances": len(advices),
                "seconds_lines": round(lines_seconds, 2),
                "lines_per_second_create": round(len(created) / lines_seconds, 1) if lines_seconds else None,
                "scenarios": dict(Counter(line["scenario"] for line in lines))}
        env["ir.config_parameter"].set_param(GENERATED_PARAM, json.dumps(meta))
        cr.execute("ANALYZE account_bank_statement_line, account_move, account_move_line, ar_remittance")
        cr.commit()  # pylint: disable=invalid-commit
        return {**meta, **_open_counts(cr)}


def _truth(cr):
    cr.execute(f"""SELECT t.line_id, t.scenario, t.variant, t.currency_id, t.amount, t.allocations,
                          l.payment_ref, l.partner_name, l.account_number, m.ref
                     FROM {TRUTH_TABLE} t
                     JOIN account_bank_statement_line l ON l.id = t.line_id
                     JOIN account_move m ON m.id = l.move_id
                 ORDER BY t.line_id""")
    return {row[0]: {"scenario": row[1], "variant": row[2], "currency_id": row[3], "amount": float(row[4]),
                     "truth": [(inv_id, float(amount)) for inv_id, amount in row[5]],
                     "payment_ref": row[6], "partner_name": row[7], "account_number": row[8],
                     "label": " ".join(filter(None, [row[6], row[9]]))}
            for row in cr.fetchall()}


def _invoice_info(cr, ids):
    cr.execute("SELECT id, name, currency_id, amount_residual, commercial_partner_id FROM account_move"
               " WHERE id = ANY(%s)", [list(ids)])
    return {row[0]: {"name": row[1], "currency_id": row[2], "residual": float(row[3]), "partner_id": row[4]}
            for row in cr.fetchall()}


def step_baseline(args):
    """The naive matcher on the generated lines (nothing written)."""
    _odoo, cr, _env = bench._odoo_env(args)
    with cr:
        truth = _truth(cr)
        cr.execute("""SELECT id, name, payment_reference, currency_id, amount_residual FROM account_move
                       WHERE move_type = 'out_invoice' AND state = 'posted'
                         AND payment_state IN ('not_paid', 'partial') AND amount_residual > 0""")
        names, residuals, currencies = defaultdict(list), {}, {}
        for inv_id, name, payment_ref, currency_id, residual in cr.fetchall():
            residuals[inv_id], currencies[inv_id] = float(residual), currency_id
            for ref in {name, payment_ref} - {None, ""}:
                names[ref].append((inv_id, currency_id))
        started = time.perf_counter()
        rows = []
        for line_id, line in truth.items():
            applied = cash_scenarios.naive_baseline(line, names, residuals)
            if applied is None:
                outcome = "queued_other"
            else:
                cross = {i for i, _a in applied if currencies[i] != line["currency_id"]}
                right = cash_scenarios.same_allocation(applied, line["truth"], cross)
                outcome = "auto_right" if right else "auto_wrong"
            rows.append((line_id, line["scenario"], line["variant"], outcome))
        return {"rows": rows, "seconds": round(time.perf_counter() - started, 3)}


def step_ours(args):
    """Our scheduled jobs, each called in a process of its own as Odoo 18's cron workers call them
    (side by side: Odoo runs two by default), then scored."""
    _odoo, cr, env = bench._odoo_env(args)
    with cr:
        cr.execute("DELETE FROM ir_cron_trigger")
        crons = env["account.bank.statement.line"]._ar_cash_match_crons()
        if args.workers:
            # fewer workers: the admin archived the other jobs
            crons[args.workers:].active = False
            crons = crons[:args.workers]
        cr.commit()  # pylint: disable=invalid-commit
        start_at = time.time() + WORKER_START_DELAY  # each worker loads Odoo meanwhile
        workers = [_start_step(args, "worker", args.database, "--cron", str(cron.id), "--start-at", str(start_at))
                   for cron in crons]
        results = [_step_result("worker", args.database, worker) for worker in workers]
        env.invalidate_all()
        errors = [result["error"] for result in results if result["error"]]
        run = {"seconds": max(result["ended"] for result in results) - start_at, "workers": len(results),
               "calls": sum(result["calls"] for result in results),
               "queries": sum(result["queries"] for result in results),
               "batches": [batch for result in results for batch in result["batches"]],
               "error": "; ".join(errors) or None, "lines_done": sum(result["lines_done"] for result in results),
               "ledger_seconds": round(sum(result["ledger_seconds"] for result in results), 1),
               "peak_rss_mb": max(result["peak_rss_mb"] for result in results)}
        if errors and args.isolate_failures:
            run["isolated"] = _isolate_failures(env)
        env["ir.config_parameter"].set_param(RUN_PARAM, json.dumps(run))
        cr.commit()  # pylint: disable=invalid-commit
        return {**run, **_score(cr), **_open_counts(cr)}


def step_worker(args):
    """One cron worker: its job called batch after batch (a commit after each) while it reports
    remaining work, and again when it was triggered meanwhile, as ``ir.cron._process_job`` does;
    an exception ends it, as the scheduler marks the job failed."""
    _odoo, cr, env = bench._odoo_env(args)
    with cr:
        cron = env["ir.cron"].browse(args.cron)
        job = cron.with_user(cron.user_id)
        # the time spent writing the ledger (Odoo's entries, reconciliations and their chatter),
        # the rest being the matching itself
        match_class = type(env["ar.cash.match"])
        apply_isolated, ledger = match_class._ar_apply_isolated, [0.0]

        def timed_apply(matches):
            started = time.monotonic()
            try:
                return apply_isolated(matches)
            finally:
                ledger[0] += time.monotonic() - started

        match_class._ar_apply_isolated = timed_apply
        calls, batches, error = 0, [], None
        time.sleep(max(0.0, args.start_at - time.time()))
        started = time.time()
        cr.sql_log_count = 0
        while True:
            progress = env["ir.cron.progress"].create({"cron_id": cron.id})
            cr.commit()  # pylint: disable=invalid-commit
            call_started = time.monotonic()
            try:
                job.with_context(ir_cron_progress_id=progress.id)._callback(cron.cron_name,
                                                                            cron.ir_actions_server_id.id)
            except Exception as exc:  # pylint: disable=broad-except -- the scheduler logs it: report it
                error = f"{type(exc).__name__}: {exc}"
                break
            cr.commit()  # pylint: disable=invalid-commit
            calls += 1
            env.invalidate_all()
            batches.append({"cron": cron.id, "done": progress.done, "remaining": progress.remaining,
                            "seconds": round(time.monotonic() - call_started, 2)})
            if not progress.remaining:
                break
            if not progress.done:
                # nothing claimed (the other worker holds the rest) or the batch was refused: the
                # scheduler runs the job again only if it was triggered meanwhile
                cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= now() RETURNING id",
                           [cron.id])
                triggered = cr.fetchall()
                cr.commit()  # pylint: disable=invalid-commit
                if not triggered:
                    break
        match_class._ar_apply_isolated = apply_isolated
        return {"started": started, "ended": time.time(), "calls": calls, "batches": batches, "error": error,
                "queries": cr.sql_log_count, "lines_done": sum(batch["done"] for batch in batches),
                "ledger_seconds": ledger[0], "peak_rss_mb": bench._peak_rss_mb()}


def _isolate_failures(env):
    """Diagnostic (``--isolate-failures``), not what the scheduler does: after a failed scheduled
    call, match the lines still waiting in batches through ``_ar_cash_match()``, halving a batch
    that fails until the lines that make it fail are alone; those stay unprocessed.

    :return: {"seconds", "failed": [{"line_id", "error"}]}
    """
    cr = env.cr
    Line = env["account.bank.statement.line"]
    started = time.monotonic()
    cr.execute("SELECT id FROM account_bank_statement_line WHERE (ar_match_status = 'pending'"
               " OR ar_match_status IS NULL) AND amount > 0 AND is_reconciled IS NOT TRUE ORDER BY id")
    todo = [[row[0] for row in cr.fetchall()]]
    todo = [chunk[i:i + 500] for chunk in todo for i in range(0, len(chunk), 500)]
    failed = []
    while todo:
        chunk = todo.pop(0)
        try:
            Line.browse(chunk)._ar_cash_match()
            env.flush_all()
            cr.commit()  # pylint: disable=invalid-commit
        except Exception as exc:  # pylint: disable=broad-except -- what failed is the finding
            cr.rollback()
            if len(chunk) == 1:
                failed.append({"line_id": chunk[0], "error": f"{type(exc).__name__}: {exc}"})
            else:
                todo[:0] = [chunk[:len(chunk) // 2], chunk[len(chunk) // 2:]]
        env.invalidate_all()
    return {"seconds": round(time.monotonic() - started, 1), "failed": failed}


def step_score(args):
    """Score the matches already in the database (``--rescore``)."""
    _odoo, cr, env = bench._odoo_env(args)
    with cr:
        run = json.loads(env["ir.config_parameter"].get_param(RUN_PARAM) or "{}")
        return {**run, **_score(cr), **_open_counts(cr)}


def _score(cr):
    """Each generated line's outcome under our matcher, and examples of the failing ones."""
    truth = _truth(cr)
    cr.execute("""SELECT m.statement_line_id, m.state, m.applied_auto, m.rank, m.rule, m.confidence, m.signals,
                         m.difference_kind, ml.move_id, ml.amount
                    FROM ar_cash_match m JOIN ar_cash_match_line ml ON ml.match_id = m.id
                   WHERE m.state = 'applied' OR (m.state = 'proposed' AND m.rank = 1)
                ORDER BY m.id, ml.sequence, ml.id""")
    applied, proposed = defaultdict(dict), defaultdict(dict)
    for line_id, state, auto, _rank, rule, confidence, signals, kind, move_id, amount in cr.fetchall():
        target = applied if state == "applied" else proposed
        entry = target[line_id]
        entry.setdefault("alloc", []).append((move_id, float(amount)))
        entry.update(auto=auto, rule=rule, confidence=confidence, signals=signals, kind=kind)
    cr.execute("""SELECT m.statement_line_id, m.rule, m.confidence, m.signals, m.difference_kind FROM ar_cash_match m
                   WHERE m.state = 'applied' AND NOT EXISTS (SELECT 1 FROM ar_cash_match_line ml WHERE ml.match_id = m.id)""")
    for line_id, rule, confidence, signals, kind in cr.fetchall():  # all of it as customer credit
        applied[line_id] = {"alloc": [], "auto": True, "rule": rule, "confidence": confidence, "signals": signals,
                            "kind": kind}
    cr.execute(f"""SELECT l.id, l.ar_match_status, l.is_reconciled FROM account_bank_statement_line l
                    WHERE l.id IN (SELECT line_id FROM {TRUTH_TABLE})""")
    status = {row[0]: (row[1], row[2]) for row in cr.fetchall()}
    inv_ids = {i for line in truth.values() for i, _a in line["truth"]}
    inv_ids |= {i for group in (applied, proposed) for entry in group.values() for i, _a in entry["alloc"]}
    invoices = _invoice_info(cr, inv_ids)
    rows, failures, inconsistent, by_rule = [], defaultdict(list), 0, defaultdict(Counter)
    for line_id, line in truth.items():
        match_status, reconciled = status[line_id]
        entry = applied.get(line_id)
        if entry and entry["auto"]:
            cross = {i for i, _a in entry["alloc"] if invoices[i]["currency_id"] != line["currency_id"]}
            right = cash_scenarios.same_allocation(entry["alloc"], line["truth"], cross)
            outcome = "auto_right" if right else "auto_wrong"
            inconsistent += not reconciled or match_status != "matched"
            by_rule[f"{entry['rule']} / {entry['kind']}"][outcome] += 1
        elif match_status in (None, "pending"):
            outcome, entry = "unprocessed", None
        else:
            entry = entry or proposed.get(line_id)
            right = entry is not None and cash_scenarios.same_allocation(
                entry["alloc"], line["truth"],
                {i for i, _a in entry["alloc"] if invoices[i]["currency_id"] != line["currency_id"]})
            outcome = "queued_top_right" if right else "queued_other"
        rows.append((line_id, line["scenario"], line["variant"], outcome))
        if outcome in ("auto_wrong", "queued_other", "queued_top_right", "unprocessed"):
            failures[(line["scenario"], outcome)].append(_example(line_id, line, entry, invoices, outcome))
    examples = {f"{scenario}/{outcome}": found[:EXAMPLES] for (scenario, outcome), found in sorted(failures.items())}
    return {"rows": rows, "examples": examples, "inconsistent": inconsistent,
            "by_rule": {rule: dict(counts) for rule, counts in sorted(by_rule.items())}}


def _example(line_id, line, entry, invoices, outcome):
    def names(alloc):
        return [f"{invoices[i]['name']} {a:.2f}" for i, a in alloc]

    return {
        "line_id": line_id, "variant": line["variant"], "outcome": outcome, "label": line["label"],
        "partner_name": line["partner_name"], "account_number": line["account_number"],
        "amount": line["amount"], "truth": names(line["truth"]),
        "truth_customer": invoices[line["truth"][0][0]]["partner_id"] if line["truth"] else None,
        "ours": None if entry is None else {
            "applied": entry.get("auto", False) and outcome.startswith("auto"), "rule": entry["rule"],
            "confidence": entry["confidence"], "difference": entry["kind"], "invoices": names(entry["alloc"]),
            "signals": (entry["signals"] or "").split("\n")},
    }


# ----------------------------------------------------------------------
# Orchestration (plain Python, no Odoo import)
# ----------------------------------------------------------------------

def _start_step(args, step, database, *extra):
    cmd = [sys.executable, os.path.abspath(__file__), "-c", args.config, "-d", database, "--step", step,
           "--lines", str(args.lines), "--invoices", str(args.invoices), "--seed", str(args.seed),
           "--seed-invoices", str(args.seed_invoices), "--templates", args.templates,
           "--book-seed", str(args.book_seed), "--workers", str(args.workers or 0), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TZ="UTC"))


def _step_result(step, database, proc):
    stdout, stderr = proc.communicate()
    found = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode or not found:
        sys.stderr.write(stderr[-6000:])
        raise SystemExit(f"cashmatch: step {step} failed on {database} (exit {proc.returncode})")
    return json.loads(found[-1][len(RESULT_PREFIX):])


def _run_step(args, step, database, *extra):
    return _step_result(step, database, _start_step(args, step, database, *extra))


def _odoo(args, database, *extra):
    subprocess.run(bench._odoo_cmd(args, *extra, "--stop-after-init", "--log-level=warn", database=database),
                   check=True, env=dict(os.environ, TZ="UTC"))


def _psql_value(args, database, query):
    out = subprocess.run(["psql", "-h", args.db_host, "-p", args.db_port, "-U", args.db_user, "-d", database,
                          "-tAc", query], capture_output=True, text=True, check=True, env=bench._psql_env(args))
    return out.stdout.strip()


def _param(args, database, key):
    value = _psql_value(args, database, f"SELECT value FROM ir_config_parameter WHERE key = '{key}'")
    return value or None


def _param_or_none(args, database, key):
    """A parameter of a database that may not exist (or be half built: no parameter table yet)."""
    if not bench._db_exists(args, database):
        return None
    try:
        return _param(args, database, key)
    except subprocess.CalledProcessError:
        return None


def _source_hash():
    """Hash of the add-ons' files: a kept database is updated when they change."""
    return bench._source_hash(MODULES)


def _generator_hash():
    with open(os.path.join(REPO, "setup", "cash_scenarios.py"), "rb") as source:
        return hashlib.sha1(source.read()).hexdigest()[:12]


def _set_param(args, database, key, value):
    value = value.replace("'", "''")
    bench._pg(args, "psql", "-d", database, "-qc",
              f"INSERT INTO ir_config_parameter (key, value) VALUES ('{key}', '{value}')"
              " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")


def _ensure_current(args, database):
    """Update the add-on in a kept database when its source changed since."""
    if _param(args, database, SOURCE_PARAM) != _source_hash():
        echo(f"cashmatch: {', '.join(MODULES)} changed since {database} was built: updating them there")
        # -i: a database of the time the cash application was part of ar_collections gets it installed
        _odoo(args, database, "-u", ",".join(MODULES), "-i", MODULE)
        _set_param(args, database, SOURCE_PARAM, _source_hash())


def _prepare(args, names):
    """The seed, book and generated-lines databases, built or reused; returns what was built."""
    built = {}
    seed_db, book_db, lines_db = names["seed"], names["book"], names["lines"]
    if args.rebuild or not _param_or_none(args, seed_db, SEED_PARAM):
        echo(f"cashmatch: creating {seed_db} ({MODULE} + a {args.seed_invoices}-invoice seed book)")
        bench._pg(args, "dropdb", "--if-exists", "--force", seed_db)
        _odoo(args, seed_db, "-i", MODULE, "--without-demo=all")
        built["seed"] = _run_step(args, "seed", seed_db)
        _set_param(args, seed_db, SOURCE_PARAM, _source_hash())
        echo(f"cashmatch: seed book {built['seed']['invoices']} invoices, {built['seed']['open_invoices']} open")
    book_ok = not built and _param_or_none(args, book_db, BOOK_PARAM)
    if not book_ok:
        _ensure_current(args, seed_db)
        echo(f"cashmatch: building {book_db} (about {args.invoices:,} open invoices)")
        bench._copy_database(args, seed_db, book_db)
        built["book"] = _run_step(args, "book", book_db)
        echo(f"cashmatch: book {built['book']['invoices']:,} invoices, {built['book']['open_invoices']:,} open, "
             f"{built['book']['customers_with_open']:,} customers with open invoices, in {built['book']['seconds']} s")
    want = {"lines": args.lines, "seed": args.seed, "templates": args.templates, "generator": _generator_hash()}
    have = json.loads(_param_or_none(args, lines_db, GENERATED_PARAM) or "{}")
    if built or not have or any(have.get(k) != v for k, v in want.items()):
        _ensure_current(args, book_db)
        echo(f"cashmatch: generating {args.lines:,} bank lines (seed {args.seed}) in {lines_db}")
        bench._copy_database(args, book_db, lines_db)
        built["lines"] = _run_step(args, "generate", lines_db)
        echo(f"cashmatch: {args.lines:,} lines created in {built['lines']['seconds_lines']} s "
             f"({built['lines']['lines_per_second_create']} lines/s)")
        bench._vacuum(argparse.Namespace(**{**vars(args), "database": lines_db}))
    else:
        _ensure_current(args, lines_db)
    return built


def _pct(value):
    return f"{100 * value:.1f} %"


def _pct2(value):
    return f"{100 * value:.2f} %"


def _scenario_rows(ours, base):
    """One text row per scenario: ours next to the baseline."""
    head = ("lines", "auto ours", "auto base", "wrong ours", "wrong base", "queued ours", "top-1 right",
            "queued base")
    cells = []
    for scenario, stats in ours.items():
        other = base[scenario]
        cells.append((scenario, (f"{stats['lines']:,}", _pct(stats["auto_rate"]), _pct(other["auto_rate"]),
                                 f"{stats['wrong']} ({_pct2(stats['wrong_rate'])})",
                                 f"{other['wrong']} ({_pct2(other['wrong_rate'])})",
                                 _pct(stats["queued_rate"]), f"{stats['queued_top_right']:,}",
                                 _pct(other["queued_rate"]))))
    widths = [max(len(head[i]), *(len(row[i]) for _s, row in cells)) for i in range(len(head))]

    def line(values):
        return " | ".join(str(v).rjust(widths[i]) for i, v in enumerate(values))

    return [("scenario", line(head))] + [(scenario, line(row)) for scenario, row in cells]


def _goals(report):
    total = report["ours"]["total"]
    run = report["run"]
    lines, open_invoices = total["lines"], report["book"]["open_invoices"]
    at_size = lines >= GOAL_LINES and open_invoices >= GOAL_OPEN
    need = GOAL_LINES / GOAL_SECONDS
    speed = (run.get("lines_done") or 0) / run["seconds"] if run.get("seconds") else 0.0
    if run.get("seconds") is None:
        speed_status = "n/a (not timed)"
    elif run.get("error") or run.get("lines_done") != lines:
        speed_status = "NOT met (the scheduled calls did not match every line)"
    elif at_size:
        speed_status = "met" if run["seconds"] < GOAL_SECONDS else "NOT met"
    else:
        speed_status = (f"n/a at this size ({lines:,} lines, {open_invoices:,} open; "
                        f"{speed:.0f} lines/s, the goal needs {need:.0f})")
    duplicates = report["ours"].get("duplicate", {}).get("auto", 0)
    # the lines that should be applied (issue 19 counts the independent set so): a duplicate
    # payment never is, so it is left out of this second figure
    to_apply = lines - report["ours"].get("duplicate", {}).get("lines", 0)
    auto_of_applicable = (total["auto"] - duplicates) / to_apply if to_apply else 0.0
    return [
        {"goal": "no duplicate payment applied", "value": str(duplicates),
         "status": "met" if not duplicates else "NOT met"},
        {"goal": f"automatic matches >= {GOAL_AUTO:.0%} of lines", "value": _pct(total["auto_rate"]),
         "status": "met" if total["auto_rate"] >= GOAL_AUTO else "NOT met"},
        {"goal": f"automatic matches >= {GOAL_AUTO:.0%} of the lines to apply (duplicates left out)",
         "value": _pct(auto_of_applicable), "status": "met" if auto_of_applicable >= GOAL_AUTO else "NOT met"},
        {"goal": f"wrong matches < {GOAL_WRONG:.1%} of automatic matches",
         "value": f"{_pct2(total['wrong_of_auto'])} ({total['wrong']} lines; {_pct2(total['wrong_rate'])} of all)",
         "status": "met" if total["auto"] and total["wrong_of_auto"] < GOAL_WRONG else "NOT met"},
        {"goal": f"{GOAL_LINES:,} lines vs {GOAL_OPEN:,} open invoices in < {GOAL_SECONDS:.0f} s",
         "value": f"{run['seconds']:.1f} s" if run.get("seconds") is not None else "-", "status": speed_status},
    ]


def _variants(rows):
    by = defaultdict(Counter)
    for _line_id, scenario, variant, outcome in rows:
        by[f"{scenario} / {variant}"][outcome] += 1
    return {key: dict(counts) for key, counts in sorted(by.items())}


def orchestrate(args):
    started = time.monotonic()
    # another book seed or template set: databases of their own (the hold-out run keeps the tuned one)
    prefix = args.database + (f"_b{args.book_seed}" if args.book_seed != BOOK_SEED else "")
    lines_prefix = f"{prefix}_{args.invoices}" + (f"_t{args.templates}" if args.templates != "A" else "")
    names = {"seed": f"{prefix}_seed_{args.seed_invoices}", "book": f"{prefix}_{args.invoices}",
             "lines": f"{lines_prefix}_lines", "run": f"{lines_prefix}_run"}
    if args.rescore:
        for key in ("lines", "run"):
            if not bench._db_exists(args, names[key]):
                raise SystemExit(f"cashmatch: --rescore needs {names[key]} (run without it first)")
        built = {}
        ours = _run_step(args, "score", names["run"])
    else:
        built = _prepare(args, names)
        echo(f"cashmatch: matching in {names['run']} (a copy of {names['lines']})")
        bench._copy_database(args, names["lines"], names["run"])
        ours = _run_step(args, "ours", names["run"], *(["--isolate-failures"] if args.isolate_failures else []))
    base = _run_step(args, "baseline", names["lines"])
    generated = json.loads(_param(args, names["lines"], GENERATED_PARAM) or "{}")
    ours_rows = [(scenario, outcome) for _id, scenario, _variant, outcome in ours["rows"]]
    base_rows = [(scenario, outcome) for _id, scenario, _variant, outcome in base["rows"]]
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": bench._machine(
            argparse.Namespace(**{**vars(args), "database": names["run"] if not args.rescore else names["lines"]})),
        "databases": names, "lines": args.lines, "seed": args.seed, "templates": args.templates,
        "book_seed": args.book_seed, "built": built, "generated": generated,
        "book": {k: ours[k] for k in ("invoices", "open_invoices", "customers_with_open",
                                      "customers_with_bank_account")},
        "run": {k: ours.get(k) for k in ("seconds", "workers", "calls", "queries", "batches", "error",
                                         "lines_done", "ledger_seconds", "isolated", "peak_rss_mb")},
        "ours": cash_scenarios.summarize(ours_rows), "baseline": cash_scenarios.summarize(base_rows),
        "ours_by_variant": _variants(ours["rows"]), "baseline_by_variant": _variants(base["rows"]),
        "examples": ours["examples"], "inconsistent_matches": ours["inconsistent"],
        "ours_by_rule": ours["by_rule"],
        "outcomes": {"ours": ours["rows"], "baseline": base["rows"]},
    }
    # the open invoices before matching: the book the lines were matched against
    report["book"]["open_invoices"] = built.get("lines", {}).get("open_invoices") or _open_before(args, names)
    report["goals"] = _goals(report)
    report["seconds"] = round(time.monotonic() - started, 1)
    _print(report)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=1, default=str)
    echo(f"\nJSON: {args.json} ({report['seconds']:.0f} s in all)")
    return 0


def _open_before(args, names):
    return int(_psql_value(args, names["lines"], "SELECT COUNT(*) FROM account_move WHERE move_type = 'out_invoice'"
                           " AND state = 'posted' AND payment_state IN ('not_paid', 'partial')"))


def _print(report):
    run, book, total = report["run"], report["book"], report["ours"]["total"]
    machine = report["machine"]
    echo()
    echo(f"AR Collections cash matching, {report['date']} — {machine['cpu']}, {machine['cores']} cores, "
         f"PostgreSQL {machine['postgresql']}")
    seconds = run.get("seconds")
    print_table([
        ("book", f"{book['open_invoices']:,} open invoices ({book['invoices']:,} in all), "
                 f"{book['customers_with_open']:,} customers with open invoices (book seed {report['book_seed']})"),
        ("bank lines", f"{report['lines']:,} (seed {report['seed']}, templates {report['templates']}), "
                       f"{report['generated'].get('remittances', 0):,} remittance advices"),
        ("ours: wall time", "-" if seconds is None else
         f"{seconds:.1f} s, " + (f"{run['workers']} scheduled jobs side by side (a cron worker process each), "
                                 if (run.get("workers") or 1) > 1 else "1 scheduled job, ") +
         f"{run['calls']} calls, {run.get('lines_done') or 0:,} lines done, "
         f"{(run.get('lines_done') or 0) / seconds:.0f} lines/s, {run['queries']:,} queries, "
         f"peak {run['peak_rss_mb']:.0f} MB per worker"),
        ("ours: of which ledger", "-" if not seconds or run.get("ledger_seconds") is None else
         f"{run['ledger_seconds']:.1f} s of the workers' time writing the applied lines to Odoo's ledger "
         "(entries, reconciliations, their chatter); the rest is matching"),
        ("ours: error", run.get("error") or "none"),
        *([("ours: after the error (diagnostic)",
            f"the rest matched batch by batch in {run['isolated']['seconds']} s (not timed as the scheduler); "
            f"{len(run['isolated']['failed'])} lines fail alone: "
            + ", ".join(str(f["line_id"]) for f in run["isolated"]["failed"][:10]))] if run.get("isolated") else []),
        ("ours: automatic", f"{total['auto']:,} ({_pct(total['auto_rate'])})"),
        ("ours: wrong", f"{total['wrong']:,} ({_pct2(total['wrong_of_auto'])} of automatic, "
                        f"{_pct2(total['wrong_rate'])} of lines)"),
        ("ours: queued", f"{total['queued']:,} ({_pct(total['queued_rate'])}), first suggestion right in "
                         f"{total['queued_top_right']:,}"),
        ("ours: unprocessed", f"{total['unprocessed']:,}"),
        ("baseline: automatic", f"{report['baseline']['total']['auto']:,} "
                                f"({_pct(report['baseline']['total']['auto_rate'])})"),
        ("baseline: wrong", f"{report['baseline']['total']['wrong']:,} "
                            f"({_pct2(report['baseline']['total']['wrong_of_auto'])} of automatic)"),
    ])
    echo("\nPer scenario (wrong: count and share of the scenario's lines; top-1 right: queued lines whose first "
         "suggestion is the truth)")
    print_table(_scenario_rows(report["ours"], report["baseline"]))
    echo("\nGoals (issue 9)")
    print_table([(goal["goal"], f"{goal['value']}  ->  {goal['status']}") for goal in report["goals"]])
    echo("\nOur automatic matches by rule / difference")
    print_table([(rule, f"{sum(counts.values()):,} applied, {counts.get('auto_wrong', 0):,} wrong")
                 for rule, counts in report["ours_by_rule"].items()] or [("-", "none")])
    worst = sorted(((key, counts) for key, counts in report["ours_by_variant"].items()),
                   key=lambda kv: -(kv[1].get("auto_wrong", 0) * 10 + kv[1].get("queued_other", 0)
                                    + kv[1].get("queued_top_right", 0)))
    rows = []
    for key, counts in worst[:12]:
        lines = sum(counts.values())
        missed = lines - counts.get("auto_right", 0)
        if missed:
            rows.append((key, f"{lines:,} lines: {counts.get('auto_wrong', 0)} wrong, "
                              f"{counts.get('queued_top_right', 0)} queued with the right first suggestion, "
                              f"{counts.get('queued_other', 0)} queued otherwise"))
    if rows:
        echo("\nWhere ours misses most (scenario / variant; examples in the JSON's \"examples\")")
        print_table(rows)


STEPS = {"seed": step_seed, "book": step_book, "generate": step_generate, "baseline": step_baseline,
         "ours": step_ours, "worker": step_worker, "score": step_score}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True, help="prefix of the databases (see above)")
    parser.add_argument("--lines", type=int, default=10_000, help="incoming bank lines to generate")
    parser.add_argument("--invoices", type=int, default=50_000, help="open invoices of the book (about)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the bank lines")
    parser.add_argument("--templates", choices=sorted(cash_scenarios.LABELS), default="A",
                        help="label templates: A (tuned on), B (hold-out)")
    parser.add_argument("--book-seed", type=int, default=BOOK_SEED, help="seed of the book (customers, invoices)")
    parser.add_argument("--seed-invoices", type=int, default=SEED_INVOICES,
                        help="invoices of the ORM-generated seed book that is cloned")
    parser.add_argument("--json", default=os.path.join(REPO, ".odoo", "cashmatch", "results.json"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the seed, book and lines databases")
    parser.add_argument("--rescore", action="store_true",
                        help="score the last run's database again, without matching")
    parser.add_argument("--isolate-failures", action="store_true",
                        help="diagnostic: when a scheduled call fails, match the rest batch by batch and "
                             "leave only the lines that fail unmatched (not timed as the scheduler)")
    parser.add_argument("--workers", type=int, default=0,
                        help="scheduled jobs matching side by side (default: the add-on's active jobs, 2)")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--cron", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.lines, args.invoices, args.seed_invoices) < 1:
        parser.error("--lines, --invoices and --seed-invoices must be positive")
    if args.step:
        result = STEPS[args.step](args)
        sys.stdout.write(RESULT_PREFIX + json.dumps(result, default=str) + "\n")
        return 0
    bench.read_db_options(args)
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
