#!/usr/bin/env python3
"""AR Collections benchmark: our dunning run, aging, credit check and statement page
against OCA's modules (and a plain-SQL bound) on the same receivables book.

Usage: .venv/bin/python setup/bench.py -c bench.conf -d DB [--invoices N] [--customers N]
           [--json FILE] [--rebuild]

Normally started by ``setup/bench.sh``, which installs the peers and writes the
configuration. Every measurement runs in a fresh Odoo process (its peak memory is
that process's); the table is printed and written as JSON.
"""
import argparse
import ast
import hashlib
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from cli_common import REPO, echo, load_addon_module  # setup/ is the script's folder

OUR_MODULES = ("ar_collections", "ar_collections_credit", "ar_collections_credit_sale", "ar_collections_portal")
PEER_MODULES = ("account_credit_control", "account_financial_risk")
SEED_INVOICES = 1000  # the ORM-generated seed book; clones make up the rest
# Open invoices of the customers of the credit check and statement rows.
CREDIT_CUSTOMER_INVOICES = 1000
STATEMENT_CUSTOMER_INVOICES = 500
STATEMENT_REQUESTS = 50
REPEATS = 10  # of the aging and credit check measurements (median reported)
BIG_REF = "AR-BENCH-BIG-"
RESULT_PREFIX = "BENCH-RESULT "


# ----------------------------------------------------------------------
# In an Odoo process (``bench.py step ...``)
# ----------------------------------------------------------------------

def _odoo_env(args):
    import odoo  # pylint: disable=import-outside-toplevel

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    cr = registry.cursor()
    return odoo, cr, odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def _peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _book_size(cr):
    cr.execute("""SELECT COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
                         COUNT(*) FILTER (WHERE move_type = 'out_invoice' AND payment_state IN ('not_paid', 'partial')),
                         COUNT(DISTINCT commercial_partner_id) FILTER (WHERE move_type = 'out_invoice')
                    FROM account_move WHERE state = 'posted'""")
    invoices, open_invoices, customers = cr.fetchone()
    return {"invoices": invoices, "open_invoices": open_invoices, "customers": customers}


def _configure_peers(env):
    """OCA credit control: a policy with our default policy's levels after the due date
    (it has no level before it), as the company's policy."""
    company = env.company
    ours = company.ar_dunning_policy_id.level_ids.filtered(lambda lvl: lvl.offset_days >= 0).sorted("offset_days")
    template = env.ref("account_credit_control.email_template_credit_control_base")
    receivable = env["account.account"].search([
        *env["account.account"]._check_company_domain(company), ("account_type", "=", "asset_receivable")])
    policy = env["credit.control.policy"].create({
        "name": "AR Collections default offsets",
        "company_id": company.id,
        "account_ids": [(6, 0, receivable.ids)],
        "level_ids": [(0, 0, {
            "name": level.name,
            "level": rank,
            "computation_mode": "net_days",
            "delay_days": level.offset_days,
            "email_template_id": template.id,
            # OCA has one channel per level: our first channel of the level
            "channel": {"sms": "email", "phone": "phone", "letter": "letter"}.get(level._get_channels()[0], "email"),
            "custom_text": level.name,
            "custom_mail_text": level.name,
        }) for rank, level in enumerate(ours, start=1)],
    })
    company.credit_policy_id = policy
    return {"oca_policy_levels": [lvl.offset_days for lvl in ours]}


def step_seed(args):
    """Create the seed book (demo generator) and configure the peers."""
    odoo, cr, env = _odoo_env(args)
    demo_book = load_addon_module(odoo, "ar_collections.tools.demo_book")
    with cr:
        env = env(context={"ar_credit_skip_score": True})
        summary = demo_book.generate_ar_book(env, invoices=args.seed_invoices, customers=args.seed_customers,
                                             seed=42, months=18)
        result = _configure_peers(env)
        result.update(seconds=summary["seconds"], invoices=summary["invoices"], customers=summary["customers"])
        cr.commit()  # pylint: disable=invalid-commit
    return result


def step_grow(args):
    """Clone the seed book until it exists ``--clones`` times over in all."""
    import bench_book  # pylint: disable=import-outside-toplevel

    _odoo, cr, _env = _odoo_env(args)
    with cr:
        started = time.monotonic()
        counts = bench_book.grow(cr, args.clones - 1)
        cr.commit()  # pylint: disable=invalid-commit
        return {"seconds": round(time.monotonic() - started, 1), "rows": counts, **_book_size(cr)}


def _big_customer(env, name, count, products, journal):
    """A customer with ``count`` open invoices, half of them overdue (ORM, posted)."""
    today = datetime.now().date()
    partner = env["res.partner"].create({"name": name, "is_company": True, "ref": f"{BIG_REF}{count}",
                                         "email": f"ap@{count}.bench.example", "customer_rank": 1})
    Move = env["account.move"]
    for start in range(0, count, 250):
        moves = Move.create([{
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "journal_id": journal.id,
            # due dates spread from 45 days ago to 44 days ahead: half of them overdue
            "invoice_date": min(today, today - timedelta(days=75 - i % 90)),
            "invoice_date_due": today - timedelta(days=45 - i % 90),
            "invoice_line_ids": [(0, 0, {"product_id": products[i % len(products)].id, "quantity": 1 + i % 3,
                                         "price_unit": 100 + (i * 37) % 900})],
        } for i in range(start, min(count, start + 250))])
        moves.action_post()
        env.invalidate_all()
    return partner


def step_big(args):
    """The credit check's and the statement's customers, with their open invoices."""
    odoo, cr, env = _odoo_env(args)
    with cr:
        env = env(context={"ar_credit_skip_score": True, "tracking_disable": True, "mail_create_nolog": True,
                           "mail_notrack": True})
        found = env["res.partner"].search([("ref", "=like", f"{BIG_REF}%")])
        if not found:
            products = env["product.product"].search([("default_code", "like", "AR-")], limit=5) or \
                env["product.product"].search([("sale_ok", "=", True)], limit=5)
            journal = env["account.journal"].search([
                *env["account.journal"]._check_company_domain(env.company), ("type", "=", "sale")], limit=1)
            _big_customer(env, "Bench Credit Customer", CREDIT_CUSTOMER_INVOICES, products, journal)
            _big_customer(env, "Bench Statement Customer", STATEMENT_CUSTOMER_INVOICES, products, journal)
        credit = env["res.partner"].search([("ref", "=", f"{BIG_REF}{CREDIT_CUSTOMER_INVOICES}")])
        statement = env["res.partner"].search([("ref", "=", f"{BIG_REF}{STATEMENT_CUSTOMER_INVOICES}")])
        # A limit high enough to pass: the check computes the whole exposure and lets the order through.
        for partner in credit | statement:
            partner.write({"credit_limit": 10 ** 9, "risk_invoice_unpaid_include": True,
                           "risk_invoice_open_include": True})
        url = statement._ar_statement_url(env.company)
        cr.execute("ANALYZE res_partner, account_move, account_move_line")
        cr.commit()  # pylint: disable=invalid-commit
        return {"credit_partner_id": credit.id, "statement_url": url, **_book_size(cr)}


def _reset_runs(cr):
    """Forget earlier dunning and credit-control runs, so that each run decides the whole book."""
    # OCA's tables only where its add-on is installed (a book made for our screens has none).
    cr.execute("SELECT to_regclass('credit_control_line') IS NOT NULL")
    oca = ", credit_control_line, credit_control_communication, credit_control_run" if cr.fetchone()[0] else ""
    cr.execute(f"TRUNCATE ar_dunning_log, ar_dunning_message, ar_dunning_run{oca} CASCADE")
    cr.execute("DELETE FROM mail_activity WHERE res_model = 'res.partner'")
    cr.execute("DELETE FROM ir_cron_trigger")


def step_dunning_ours(args):
    """Our scheduled dunning run, called the way Odoo 18's scheduler calls it: one
    batch per call, a commit after each, again while the progress says work remains."""
    _odoo, cr, env = _odoo_env(args)
    with cr:
        _reset_runs(cr)
        cr.commit()  # pylint: disable=invalid-commit
        cr.sql_log_count = 0
        started = time.monotonic()
        calls = _cron_until_done(env, "ar_collections.ir_cron_dunning_run")
        seconds = time.monotonic() - started
        queries = cr.sql_log_count
        cr.execute("SELECT COUNT(*), COUNT(DISTINCT invoice_id) FROM ar_dunning_log WHERE state = 'queued'")
        logs, invoices = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM ar_dunning_message")
        messages = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM mail_activity WHERE res_model = 'res.partner'")
        escalations = cr.fetchone()[0]
        return {"seconds": seconds, "queries": queries, "calls": calls, "invoices_chased": invoices,
                "logs": logs, "reminders": messages, "escalation_activities": escalations,
                "peak_rss_mb": _peak_rss_mb(), **_book_size(cr)}


def step_dunning_oca(args):
    """OCA credit control: a run's "Compute Credit Lines" on the same book."""
    _odoo, cr, env = _odoo_env(args)
    with cr:
        _reset_runs(cr)
        cr.commit()  # pylint: disable=invalid-commit
        cr.sql_log_count = 0
        started = time.monotonic()
        run = env["credit.control.run"].create({
            "date": datetime.now().date(), "company_id": env.company.id,
            "policy_ids": [(6, 0, env.company.credit_policy_id.ids)]})
        run.generate_credit_lines()
        cr.commit()  # pylint: disable=invalid-commit
        seconds = time.monotonic() - started
        queries = cr.sql_log_count
        cr.execute("SELECT COUNT(*), COUNT(DISTINCT invoice_id) FROM credit_control_line")
        lines, invoices = cr.fetchone()
        return {"seconds": seconds, "queries": queries, "invoices_chased": invoices, "lines": lines,
                "peak_rss_mb": _peak_rss_mb(), **_book_size(cr)}


def _reset_outputs(cr):
    """Forget what an earlier end-to-end run produced (queued emails, letters, portal tokens),
    so that each run renders everything anew."""
    _reset_runs(cr)
    cr.execute("DELETE FROM ir_attachment WHERE res_model IN ('ar.dunning.message', 'credit.control.communication')")
    cr.execute("DELETE FROM mail_mail")
    cr.execute("DELETE FROM mail_message WHERE model IN ('res.partner', 'credit.control.communication')"
               " AND message_type IN ('comment', 'notification')")
    cr.execute("UPDATE account_move SET access_token = NULL WHERE access_token IS NOT NULL")


def _count_calls(cls, name, stats):
    """Wrap ``cls.name`` to count its calls and the seconds they take into ``stats``."""
    original = getattr(cls, name)

    def wrapper(*args, **kwargs):
        started = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            stats["calls"] += 1
            stats["seconds"] += time.monotonic() - started

    setattr(cls, name, wrapper)


def _e2e_setup(env):
    """What both sides need before sending: a sender address (reminders refuse to leave without
    one) and a document layout (printing asks for one first)."""
    if not env.company.email:
        env.company.email = "billing@bench.example"
    if not env.company.external_report_layout_id:
        env.company.external_report_layout_id = env.ref("web.external_layout_standard")


def step_e2e_ours(args):
    """End to end: the dunning run (decide + queue), then the dispatch cron until nothing is
    left: every email rendered into the mail queue, every letter PDF, every call activity.

    The policy reminds each invoice at the level it has reached (the go-live option), as
    OCA's computation does, so that the letters of the last level are part of the run."""
    _odoo, cr, env = _odoo_env(args)
    with cr:
        _reset_outputs(cr)
        _e2e_setup(env)
        env.company.ar_dunning_policy_id.jump_to_reached = True
        cr.commit()  # pylint: disable=invalid-commit
        wkhtmltopdf = {"calls": 0, "seconds": 0.0}
        letters = {"calls": 0, "seconds": 0.0}
        _count_calls(type(env["ir.actions.report"]), "_run_wkhtmltopdf", wkhtmltopdf)
        Message = type(env["ar.dunning.message"])
        _count_calls(Message, "_ar_render_letters", letters)
        # a letter rendered alone (its batch failed) and attaching each PDF are part of the letters' time too
        _count_calls(Message, "_ar_render_letter_alone", letters)
        _count_calls(Message, "_ar_dispatch_letter", letters)
        cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_mail")
        first_mail = cr.fetchone()[0]
        cr.sql_log_count = 0
        started = time.monotonic()
        run_calls = _cron_until_done(env, "ar_collections.ir_cron_dunning_run")
        run_seconds = time.monotonic() - started
        dispatch_calls = _cron_until_done(env, "ar_collections.ir_cron_dunning_dispatch")
        seconds = time.monotonic() - started
        queries = cr.sql_log_count
        cr.execute("SELECT channel, state, COUNT(*) FROM ar_dunning_message GROUP BY 1, 2")
        reminders = {f"{channel} {state}": count for channel, state, count in cr.fetchall()}
        cr.execute("SELECT COUNT(*) FROM mail_mail WHERE id > %s", [first_mail])
        emails = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM ir_attachment WHERE res_model = 'ar.dunning.message'"
                   " AND mimetype = 'application/pdf'")
        letter_count = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM ar_dunning_message WHERE channel = 'phone' AND activity_id IS NOT NULL")
        calls = cr.fetchone()[0]
        return {"seconds": seconds, "run_seconds": run_seconds, "dispatch_seconds": seconds - run_seconds,
                "queries": queries, "run_calls": run_calls, "dispatch_calls": dispatch_calls,
                "reminders": reminders, "emails_queued": emails, "letters": letter_count,
                "call_activities": calls, "letter_seconds": letters["seconds"],
                "seconds_per_letter": letters["seconds"] / letter_count if letter_count else None,
                "wkhtmltopdf_calls": wkhtmltopdf["calls"], "wkhtmltopdf_seconds": wkhtmltopdf["seconds"],
                "peak_rss_mb": _peak_rss_mb(), **_book_size(cr)}


def _cron_until_done(env, xmlid):
    """Call a batch cron the way Odoo 18's scheduler does: one batch per call, a commit
    after each, again while its progress says work remains. Returns the number of calls."""
    cr = env.cr
    cron = env.ref(xmlid)
    job = cron.with_user(cron.user_id)
    calls = 0
    while True:
        progress = env["ir.cron.progress"].create({"cron_id": cron.id})
        cr.commit()  # pylint: disable=invalid-commit
        job.with_context(ir_cron_progress_id=progress.id)._callback(cron.cron_name, cron.ir_actions_server_id.id)
        cr.commit()  # pylint: disable=invalid-commit
        calls += 1
        env.invalidate_all()
        if not progress.remaining:
            return calls


def step_e2e_oca(args):
    """OCA credit control end to end, as its user does it: compute the lines, mark them to be
    sent, generate its emails (into the mail queue, as ours) and print its letters with its
    own report. OCA's first run puts every invoice at its first level (it climbs one level
    per run), and a line has one channel: its collector switches to "letter" the lines of
    the invoices overdue as long as our letter level's (OCA's lines are editable), so that
    both print letters for the same customers (ours also emails them)."""
    odoo, cr, env = _odoo_env(args)
    with cr:
        _reset_outputs(cr)
        _e2e_setup(env)
        ours = env.company.ar_dunning_policy_id.level_ids.filtered(lambda lvl: lvl.offset_days >= 0)
        letter_days = min((lvl.offset_days for lvl in ours if "letter" in lvl._get_channels()), default=None)
        cr.commit()  # pylint: disable=invalid-commit
        cr.sql_log_count = 0
        started = time.monotonic()
        run = env["credit.control.run"].create({
            "date": datetime.now().date(), "company_id": env.company.id,
            "policy_ids": [(6, 0, env.company.credit_policy_id.ids)]})
        run.generate_credit_lines()
        cr.commit()  # pylint: disable=invalid-commit
        lines = env["credit.control.line"].search([("run_id", "=", run.id), ("state", "=", "draft")])
        if letter_days is not None:
            letter_due = run.date - timedelta(days=letter_days)
            lines.filtered(lambda line: line.date_due <= letter_due).write({"channel": "letter"})
        env["credit.control.marker"].create({"name": "to_be_sent", "line_ids": [(6, 0, lines.ids)]}).mark_lines()
        cr.commit()  # pylint: disable=invalid-commit
        email_lines = lines.filtered(lambda line: line.channel == "email")
        if email_lines:
            # into the mail queue, as ours: the mail cron sends them
            env["credit.control.emailer"].with_context(mail_notify_force_send=False).create(
                {"line_ids": [(6, 0, email_lines.ids)]}).email_lines()
            cr.commit()  # pylint: disable=invalid-commit
        letters_started = time.monotonic()
        letter_lines = lines.filtered(lambda line: line.channel == "letter")
        comms = env["credit.control.communication"]
        mode, excluded = "none", 0.0
        if letter_lines:
            action = env["credit.control.printer"].create({"line_ids": [(6, 0, letter_lines.ids)]}).print_lines()
            comms = comms.browse(action["context"]["active_ids"])
            report = env.ref("account_credit_control.credit_control_summary")
            Report = env["ir.actions.report"]
            mode = "all letters in one call"
            attempt = time.monotonic()
            try:
                with cr.savepoint():
                    content, _type = Report._render_qweb_pdf(report, comms.ids)
                if not content:
                    raise odoo.exceptions.UserError("empty PDF")
            except Exception as error:  # pylint: disable=broad-except
                # Debian's wkhtmltopdf (unpatched Qt) renders one HTML file per call: one letter per call
                mode = f"one letter per call (all in one call failed: {type(error).__name__})"
                excluded = time.monotonic() - attempt
                for comm in comms:
                    Report._render_qweb_pdf(report, comm.ids)
            cr.commit()  # pylint: disable=invalid-commit
        seconds = time.monotonic() - started - excluded
        letter_seconds = time.monotonic() - letters_started - excluded
        queries = cr.sql_log_count
        cr.execute("SELECT COUNT(*) FROM mail_mail")
        emails = cr.fetchone()[0]
        return {"seconds": seconds, "queries": queries, "lines": len(lines), "email_lines": len(email_lines),
                "letter_lines": len(letter_lines), "emails_queued": emails, "letters": len(comms),
                "letter_mode": mode, "letter_seconds": letter_seconds, "excluded_seconds": excluded,
                "seconds_per_letter": letter_seconds / len(comms) if comms else None,
                "peak_rss_mb": _peak_rss_mb(), **_book_size(cr)}


# The lower bound of the aging: one aggregate over the open receivable items, by customer
# and bucket, no as-of logic (today's residuals are already on the items).
AGING_LOWER_BOUND_SQL = """
    SELECT COALESCE(partner.commercial_partner_id, line.partner_id),
           SUM(line.amount_residual) FILTER (WHERE line.date_maturity >= CURRENT_DATE),
           SUM(line.amount_residual) FILTER (WHERE CURRENT_DATE - line.date_maturity BETWEEN 1 AND 30),
           SUM(line.amount_residual) FILTER (WHERE CURRENT_DATE - line.date_maturity BETWEEN 31 AND 60),
           SUM(line.amount_residual) FILTER (WHERE CURRENT_DATE - line.date_maturity BETWEEN 61 AND 90),
           SUM(line.amount_residual) FILTER (WHERE CURRENT_DATE - line.date_maturity > 90)
      FROM account_move_line line
      JOIN account_account account ON account.id = line.account_id
 LEFT JOIN res_partner partner ON partner.id = line.partner_id
     WHERE account.account_type = 'asset_receivable' AND line.parent_state = 'posted'
       AND NOT line.reconciled AND line.company_id = %s
  GROUP BY 1
"""


def step_aging(args):
    """The aging pivot by customer as of today (what the menu opens) vs the SQL bound."""
    _odoo, cr, env = _odoo_env(args)
    with cr:
        Aging = env["ar.aging.report"].with_context(ar_aging_date=datetime.now().date().isoformat())
        aggregates = ["amount_residual:sum", "amount_not_due:sum", "amount_1_30:sum", "amount_31_60:sum",
                      "amount_61_90:sum", "amount_90_plus:sum"]

        def ours():
            env.invalidate_all()
            return Aging._read_group([], ["partner_id"], aggregates)

        def bound():
            cr.execute(AGING_LOWER_BOUND_SQL, [env.company.id])
            return cr.fetchall()

        times = {}
        for name, func in (("ours", ours), ("bound", bound)):
            func()  # warm the caches of both alike
            samples, queries = [], []
            for _i in range(REPEATS):
                cr.sql_log_count = 0
                started = time.perf_counter()
                rows = func()
                samples.append(time.perf_counter() - started)
                queries.append(cr.sql_log_count)
            times[name] = {"seconds": statistics.median(samples), "queries": max(queries), "rows": len(rows)}
        ours_total = round(sum(row[1] or 0 for row in ours()), 2)
        bound_total = round(sum(sum(value or 0 for value in row[1:]) for row in bound()), 2)
        return {"ours": times["ours"], "bound": times["bound"], "ours_total": ours_total,
                "bound_total": bound_total, "peak_rss_mb": _peak_rss_mb(), **_book_size(cr)}


def step_credit(args):
    """Our check on confirming an order vs OCA financial risk's computation, same customers."""
    odoo, cr, env = _odoo_env(args)
    UserError = odoo.exceptions.UserError  # pylint: disable=invalid-name
    with cr:
        company = env.company
        big = env["res.partner"].search([("ref", "=", f"{BIG_REF}{CREDIT_CUSTOMER_INVOICES}")])
        cr.execute("""SELECT commercial_partner_id FROM account_move
                       WHERE move_type = 'out_invoice' AND payment_state IN ('not_paid', 'partial')
                         AND commercial_partner_id IN (SELECT id FROM res_partner WHERE ref LIKE 'AR-DEMO-%%')
                    GROUP BY 1 HAVING COUNT(*) BETWEEN 2 AND 10 AND MIN(invoice_date_due) >= CURRENT_DATE - 30
                    ORDER BY 1 LIMIT 1""")
        small = env["res.partner"].browse(cr.fetchone()[0])
        small.write({"credit_limit": 10 ** 9, "risk_invoice_unpaid_include": True, "risk_invoice_open_include": True})
        product = env["product.product"].search([("sale_ok", "=", True)], limit=1)
        results = {}
        for label, partner in (("big", big), ("small", small)):
            order = env["sale.order"].create({"partner_id": partner.id, "order_line": [
                (0, 0, {"product_id": product.id, "product_uom_qty": 1, "price_unit": 500})]})
            cr.execute("SELECT COUNT(*) FROM account_move WHERE commercial_partner_id = %s AND state = 'posted'"
                       " AND payment_state IN ('not_paid', 'partial')", [partner.id])
            open_count = cr.fetchone()[0]

            def ours(order=order):
                # exactly what action_confirm runs before Odoo's own confirmation
                env.invalidate_all()
                amounts, labels = order._ar_credit_amounts(company)
                try:
                    order.partner_id.commercial_partner_id._ar_credit_enforce(company, amounts, labels, order)
                except UserError:
                    return "refused"
                return "passed"

            def oca(partner=partner):
                env.invalidate_all()
                return partner.risk_exception, partner.risk_total

            outcome = {"ours": ours(), "oca": "exceeded" if oca()[0] else "within limit"}
            for name, func in (("ours", ours), ("oca", oca)):
                samples, queries = [], []
                for _i in range(REPEATS * 2):
                    cr.sql_log_count = 0
                    started = time.perf_counter()
                    func()
                    samples.append(time.perf_counter() - started)
                    queries.append(cr.sql_log_count)
                results[f"{name}_{label}"] = {"seconds": statistics.median(samples), "queries": max(queries),
                                              "open_invoices": open_count, "outcome": outcome[name]}
        cr.rollback()
        return {**results, "peak_rss_mb": _peak_rss_mb(), **_book_size(cr)}


def step_screens(args):
    """Each Collections screen's default view opened as the web client does, 20 times (p95)."""
    import bench_screens  # pylint: disable=import-outside-toplevel

    _odoo, cr, env = _odoo_env(args)
    with cr:
        admin = env.ref("base.user_admin")
        env = env(user=admin.id, context=admin.context_get())
        results = bench_screens.measure_screens(env)
        cr.rollback()
    return results


# ----------------------------------------------------------------------
# Orchestration (plain Python, no Odoo import)
# ----------------------------------------------------------------------

def _run_step(args, step, *extra, database=None):
    cmd = [sys.executable, os.path.abspath(__file__), "-c", args.config, "-d", database or args.database,
           "--step", step,
           "--seed-invoices", str(args.seed_invoices), "--seed-customers", str(args.seed_customers), *extra]
    env = dict(os.environ, TZ="UTC")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"bench: step {step} failed (exit {proc.returncode})")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def _vacuum(args):
    """VACUUM ANALYZE now, so that autovacuum does not wake up during a measurement
    (it did after the book grew, and took one of the two cores)."""
    # the shared catalogs are the superuser's: PostgreSQL warns about each, say nothing
    subprocess.run(["psql", "-h", args.db_host, "-p", args.db_port, "-U", args.db_user, "-d", args.database, "-qc",
                    "VACUUM ANALYZE"], check=True, stdout=subprocess.DEVNULL,
                   env=dict(_psql_env(args), PGOPTIONS="-c client_min_messages=error"))


def _best_of(args, step, runs=2):
    """The fastest of ``runs`` measurements, each after a VACUUM, with the others' times kept."""
    results = []
    for _i in range(runs):
        _vacuum(args)
        results.append(_run_step(args, step))
    best = min(results, key=lambda result: result["seconds"])
    best["all_seconds"] = [round(result["seconds"], 2) for result in results]
    return best


def _odoo_cmd(args, *extra, database=None):
    database = database or args.database
    return [sys.executable, "-m", "odoo", "-c", args.config, "-d", database, f"--db-filter=^{database}$", *extra]


def _psql_env(args):
    return dict(os.environ, PGPASSWORD=args.db_password)


def _pg(args, *cmd):
    subprocess.run([cmd[0], "-h", args.db_host, "-p", args.db_port, "-U", args.db_user, *cmd[1:]],
                   check=True, env=_psql_env(args), stdout=subprocess.DEVNULL)


def _filestore(args, database):
    return os.path.join(args.data_dir, "filestore", database)


def _copy_database(args, source, target):
    """``target`` becomes a copy of ``source``, database and filestore."""
    _pg(args, "dropdb", "--if-exists", "--force", target)
    _pg(args, "createdb", "-T", source, target)
    shutil.rmtree(_filestore(args, target), ignore_errors=True)
    if os.path.isdir(_filestore(args, source)):
        shutil.copytree(_filestore(args, source), _filestore(args, target))


def _prepare_database(args):
    """A fresh copy of the seed database (built once: install, seed book, peers' settings).

    Every benchmark starts from the seed, so the book only has the size asked for."""
    seed_db = f"{args.database}_seed_{args.seed_invoices}"
    if args.rebuild or not _db_exists(args, seed_db):
        modules = ",".join(OUR_MODULES + PEER_MODULES)
        echo(f"bench: creating the seed database {seed_db} with {modules}")
        _pg(args, "dropdb", "--if-exists", "--force", seed_db)
        shutil.rmtree(_filestore(args, seed_db), ignore_errors=True)
        subprocess.run(_odoo_cmd(args, "-i", modules, "--without-demo=all", "--stop-after-init", "--log-level=warn",
                                 database=seed_db), check=True, env=dict(os.environ, TZ="UTC"))
        seed = _run_step(args, "seed", database=seed_db)
        echo(f"bench: seed book {seed['invoices']} invoices / {seed['customers']} customers in {seed['seconds']} s")
        _set_source_hash(args, seed_db)
    elif _get_source_hash(args, seed_db) != _source_hash():
        echo(f"bench: the add-ons changed since {seed_db} was built: updating them there")
        # -i too: an add-on added to OUR_MODULES since (the sales bridge) is installed
        subprocess.run(_odoo_cmd(args, "-i", ",".join(OUR_MODULES), "-u", ",".join(OUR_MODULES), "--stop-after-init",
                                 "--log-level=warn", database=seed_db), check=True, env=dict(os.environ, TZ="UTC"))
        _set_source_hash(args, seed_db)
    _copy_database(args, seed_db, args.database)


SOURCE_HASH_PARAM = "ar_collections.bench_source_hash"


def _source_hash(modules=OUR_MODULES):
    """Hash of our add-ons' files: the seed database is updated when they change."""
    digest = hashlib.sha1()
    for module in modules:
        for folder, dirs, files in sorted(os.walk(os.path.join(REPO, module))):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, REPO).encode())
                with open(path, "rb") as content:
                    digest.update(content.read())
    return digest.hexdigest()


def _get_source_hash(args, database):
    out = subprocess.run(["psql", "-h", args.db_host, "-p", args.db_port, "-U", args.db_user, "-d", database, "-tAc",
                          f"SELECT value FROM ir_config_parameter WHERE key = '{SOURCE_HASH_PARAM}'"],
                         capture_output=True, text=True, check=True, env=_psql_env(args))
    return out.stdout.strip()


def _set_source_hash(args, database):
    _pg(args, "psql", "-d", database, "-qc",
        f"INSERT INTO ir_config_parameter (key, value) VALUES ('{SOURCE_HASH_PARAM}', '{_source_hash()}')"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _statement_row(args, url):
    """Median and p95 of the statement page over loopback, and the server's peak memory."""
    port = _free_port()
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        _odoo_cmd(args, "--http-port", str(port), "--http-interface", "127.0.0.1", "--workers", "0",
                  "--max-cron-threads", "0", "--log-level", "warn"),
        env=dict(os.environ, TZ="UTC"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = url[url.index("/my/statement"):]
    target = f"http://127.0.0.1:{port}{path}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("bench: the Odoo server for the statement row did not start") from None
                time.sleep(0.5)
        samples, size = [], 0
        for i in range(STATEMENT_REQUESTS + 3):
            started = time.perf_counter()
            with urllib.request.urlopen(target, timeout=60) as response:
                body = response.read()
                if response.status != 200 or b"Statement" not in body:
                    raise SystemExit(f"bench: statement page answered {response.status}")
            if i >= 3:  # the first requests load the templates and assets
                samples.append(time.perf_counter() - started)
            size = len(body)
        with open(f"/proc/{server.pid}/status", encoding="ascii") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        samples.sort()
        return {"median": statistics.median(samples), "p95": samples[int(round(0.95 * (len(samples) - 1)))],
                "requests": len(samples), "bytes": size, "peak_rss_mb": round(peak / 1024, 1)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _machine(args):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo", encoding="ascii") as info:
        mem_kb = int(next(line.split()[1] for line in info if line.startswith("MemTotal:")))
    pg = subprocess.run(["psql", "-h", args.db_host, "-p", args.db_port, "-U", args.db_user, "-d", args.database,
                         "-tAc", "SHOW server_version"], capture_output=True, text=True, check=False,
                        env=dict(os.environ, PGPASSWORD=args.db_password)).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "postgresql": pg, "os": platform.platform()}


def _ratio(ours, peer):
    return round(ours / peer, 2) if peer else None


def _fmt_s(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _table(report):
    """The report as a text table (also what the README shows)."""
    head = ("row", "book", "ours", "peer / bound", "ours/peer", "queries ours", "queries peer", "peak MB ours/peer")
    rows = []
    for point in report["scaling"]:
        ours, oca = point["ours"], point["oca"]
        rows.append(("dunning run (decide + queue) vs OCA credit-control", f"{ours['invoices']:,} inv",
                     _fmt_s(ours["seconds"]), _fmt_s(oca["seconds"]), f"{_ratio(ours['seconds'], oca['seconds'])}",
                     f"{ours['queries']:,}", f"{oca['queries']:,}",
                     f"{ours['peak_rss_mb']:.0f} / {oca['peak_rss_mb']:.0f}"))
    aging = report["aging"]
    rows.append(("aging as of today vs plain SQL bound", f"{aging['invoices']:,} inv",
                 _fmt_s(aging["ours"]["seconds"]), _fmt_s(aging["bound"]["seconds"]),
                 f"{_ratio(aging['ours']['seconds'], aging['bound']['seconds'])}",
                 str(aging["ours"]["queries"]), str(aging["bound"]["queries"]), f"{aging['peak_rss_mb']:.0f} / -"))
    credit = report["credit"]
    for label in ("big", "small"):
        ours, oca = credit[f"ours_{label}"], credit[f"oca_{label}"]
        rows.append((f"credit check, customer with {ours['open_invoices']:,} open inv vs OCA risk", "",
                     _fmt_s(ours["seconds"]), _fmt_s(oca["seconds"]), f"{_ratio(ours['seconds'], oca['seconds'])}",
                     str(ours["queries"]), str(oca["queries"]), f"{credit['peak_rss_mb']:.0f} / -"))
    stmt = report["statement"]
    rows.append((f"statement page, {STATEMENT_CUSTOMER_INVOICES} open inv, {stmt['requests']} GETs",
                 "", f"median {_fmt_s(stmt['median'])}, p95 {_fmt_s(stmt['p95'])}", "-", "-", "-", "-",
                 f"{stmt['peak_rss_mb']:.0f} / -"))
    ours, oca = report["e2e"]["ours"], report["e2e"]["oca"]
    rows.append(("end to end (run + emails + letters + calls) vs OCA", f"{ours['invoices']:,} inv",
                 _fmt_s(ours["seconds"]), _fmt_s(oca["seconds"]), f"{_ratio(ours['seconds'], oca['seconds'])}",
                 f"{ours['queries']:,}", f"{oca['queries']:,}",
                 f"{ours['peak_rss_mb']:.0f} / {oca['peak_rss_mb']:.0f}"))
    per_letter = [side["seconds_per_letter"] for side in (ours, oca)]
    rows.append((f"letter PDF, per letter ({ours['letters']:,} ours / {oca['letters']:,} OCA)", "",
                 _fmt_s(per_letter[0]) if per_letter[0] else "-", _fmt_s(per_letter[1]) if per_letter[1] else "-",
                 f"{_ratio(*per_letter)}" if all(per_letter) else "-", "-", "-", "-"))
    widths = [max(len(str(row[i])) for row in (head, *rows)) for i in range(len(head))]
    lines = [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(head)),
             "-|-".join("-" * width for width in widths)]
    lines += [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(lines)


def orchestrate(args):
    started = time.monotonic()
    _prepare_database(args)
    scales = sorted({max(1, round(args.invoices * share / args.seed_invoices)) for share in (0.1, 0.3, 1.0)})
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine(args),
              "peers": _peer_versions(args), "target_invoices": args.invoices, "scaling": []}
    for copies in scales:
        grown = _run_step(args, "grow", "--clones", str(copies))
        echo(f"bench: book of {grown['invoices']:,} invoices ({grown['open_invoices']:,} open), "
             f"{grown['customers']:,} customers")
        if copies == scales[-1]:
            report["big"] = _run_step(args, "big")
        ours, oca = _best_of(args, "dunning_ours"), _best_of(args, "dunning_oca")
        echo(f"bench: dunning ours {ours['seconds']:.1f} s, {ours['queries']} queries; "
             f"OCA {oca['seconds']:.1f} s, {oca['queries']} queries")
        report["scaling"].append({"ours": ours, "oca": oca})
    _vacuum(args)
    report["aging"] = _run_step(args, "aging")
    report["credit"] = _run_step(args, "credit")
    report["screens"] = _run_step(args, "screens")
    report["statement"] = _statement_row(args, report["big"].pop("statement_url"))
    # last: it fills the mail queue and the letters; one run each (minutes at 100k)
    _vacuum(args)
    report["e2e"] = {"ours": _run_step(args, "e2e_ours"), "oca": _run_step(args, "e2e_oca")}
    echo(f"bench: end to end ours {report['e2e']['ours']['seconds']:.1f} s, "
         f"OCA {report['e2e']['oca']['seconds']:.1f} s")
    report["seconds"] = round(time.monotonic() - started, 1)
    table = _table(report)
    report["table"] = table
    import bench_screens  # pylint: disable=import-outside-toplevel

    report["screens_table"] = bench_screens.screens_table(report["screens"])
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=2, default=str)
    machine = report["machine"]
    echo()
    echo(f"AR Collections benchmark, {report['date']} — {machine['cpu']}, {machine['cores']} cores, "
         f"{machine['memory_gb']} GB, PostgreSQL {machine['postgresql']}, Python {machine['python']}")
    echo(f"peers: {', '.join(f'{name} {version}' for name, version in report['peers'].items())}")
    echo(table)
    echo()
    echo(report["screens_table"])
    echo(f"\nJSON: {args.json} ({report['seconds']:.0f} s in all)")
    return 0


def _db_exists(args, database):
    out = subprocess.run(["psql", "-h", args.db_host, "-p", args.db_port, "-U", args.db_user, "-d", "postgres",
                          "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{database}'"],
                         capture_output=True, text=True, check=True, env=_psql_env(args))
    return out.stdout.strip() == "1"


def _peer_versions(args):
    versions = {}
    for path in args.peers_path.split(",") if args.peers_path else ():
        for module in PEER_MODULES:
            manifest = os.path.join(path, module, "__manifest__.py")
            if os.path.exists(manifest):
                with open(manifest, encoding="utf-8") as text:
                    versions[module] = ast.literal_eval(text.read())["version"]
    return versions


STEPS = {"seed": step_seed, "grow": step_grow, "big": step_big, "dunning_ours": step_dunning_ours,
         "dunning_oca": step_dunning_oca, "aging": step_aging, "credit": step_credit,
         "e2e_ours": step_e2e_ours, "e2e_oca": step_e2e_oca, "screens": step_screens}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed-invoices", type=int, default=SEED_INVOICES)
    parser.add_argument("--seed-customers", type=int, default=None,
                        help="customers of the seed book (default: one per 10 invoices)")
    parser.add_argument("--json", default=os.path.join(REPO, ".odoo", "bench", "results.json"))
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the seed database (install + seed book) instead of reusing it")
    parser.add_argument("--peers-path", default=os.environ.get("AR_BENCH_PEERS", ""))
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--clones", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.seed_customers = args.seed_customers or max(1, args.seed_invoices // 10)
    if min(args.invoices, args.seed_invoices) < 1:
        parser.error("--invoices and --seed-invoices must be positive")
    args.seed_invoices = min(args.seed_invoices, args.invoices)
    if args.step:
        result = STEPS[args.step](args)
        sys.stdout.write(RESULT_PREFIX + json.dumps(result, default=str) + "\n")
        return 0
    read_db_options(args)
    return orchestrate(args)


def read_db_options(args):
    """Copy the database connection and data_dir of the Odoo conf ``args.config`` onto ``args``
    (the orchestrating process runs psql and createdb itself)."""
    import configparser  # pylint: disable=import-outside-toplevel

    conf = configparser.ConfigParser()
    conf.read(args.config)
    options = conf["options"]
    args.db_host, args.db_port = options.get("db_host", "127.0.0.1"), options.get("db_port", "5432")
    args.db_user, args.db_password = options.get("db_user", "odoo"), options.get("db_password", "odoo")
    args.data_dir = options.get("data_dir", os.path.join(REPO, ".odoo", "data"))


if __name__ == "__main__":
    sys.exit(main())
