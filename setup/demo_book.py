#!/usr/bin/env python3
"""Generate the AR Collections demo receivable book in an Odoo database.

Usage: .venv/bin/python setup/demo_book.py -c odoo.conf -d DB
           [--invoices N] [--customers N] [--seed S] [--months M]

Runs once per database: the seed is stored in the ``ar_collections.demo_book_seed``
system parameter and a second run exits without touching anything.
"""
import argparse
import importlib
import sys
import time

from cli_common import echo, load_addon_module, print_table  # setup/ is the script's folder


def _parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True, help="database to fill")
    parser.add_argument("--invoices", type=int, default=1500)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--months", type=int, default=18)
    args = parser.parse_args(argv)
    if min(args.invoices, args.customers, args.months) < 1:
        parser.error("--invoices, --customers and --months must be positive")
    return args




def _refresh_predictions(env):
    """Predicted pay dates and at-risk flags now, rather than at the nightly run."""
    Prediction = env["ar.pay.prediction"]
    customers = env["account.move"].search(Prediction._ar_open_invoice_domain()).commercial_partner_id
    Prediction._ar_refresh(customers)
    return env["res.partner"].search_count([("ar_at_risk", "=", True)])


def _credit_demo(env):
    """Scores, limits and blocked quotations when the credit add-on is installed (once)."""
    if "ar.credit.score" not in env:
        return None
    # the add-ons path was completed when the book generator was loaded
    demo_credit = importlib.import_module("odoo.addons.ar_collections_credit.tools.demo_credit")
    return demo_credit.generate_credit_demo(env(context={}))



def _cash_demo(env):
    """Bank lines matched once, for the exceptions queue and the match log, when the cash
    application add-on is installed (once)."""
    if "ar.cash.match" not in env:
        return None
    demo_cash = importlib.import_module("odoo.addons.ar_collections_cash.tools.demo_cash")
    return demo_cash.generate_cash_demo(env(context={}))


def _portal_demo(env):
    """A portal login for the customer with the largest overdue balance (once)."""
    if "ar_portal_token_days" not in env["res.company"]._fields:  # ar_collections_portal not installed
        return None
    demo_portal = importlib.import_module("odoo.addons.ar_collections_portal.tools.demo_portal")
    return demo_portal.generate_portal_demo(env(context={}))


def main(argv=None):
    args = _parse_args(argv if argv is not None else sys.argv[1:])
    import odoo  # imported late so --help works without Odoo

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    demo_book = load_addon_module(odoo, "ar_collections.tools.demo_book")
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        # Scores are computed once at the end, not on each of the book's payments.
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"ar_credit_skip_score": True})
        seed = env["ir.config_parameter"].get_param(demo_book.MARKER_PARAM)
        summary = None
        started = time.monotonic()
        if not seed:
            summary = demo_book.generate_ar_book(
                env, invoices=args.invoices, customers=args.customers, seed=args.seed, months=args.months)
        elapsed = time.monotonic() - started
        at_risk = _refresh_predictions(env)
        credit = _credit_demo(env)
        portal = _portal_demo(env)
        cash = _cash_demo(env)
        # a standalone script owns its transaction
        cr.commit()  # pylint: disable=invalid-commit

    echo(f"pay dates predicted; {at_risk} customers flagged at risk")
    if credit:
        print_table([("credit control", args.database)] + list(credit.items()))
    if portal:
        print_table([("customer portal", args.database)] + list(portal.items()))
    if cash:
        print_table([("cash application", args.database)] + list(cash.items()))
    if not summary:
        echo(f"AR demo book already generated in {args.database} (seed {seed}); nothing to do.")
        return 0
    start, end = summary["period"]
    rows = [
        ("database", args.database),
        ("company", summary["company"]),
        ("seed", summary["seed"]),
        ("period", f"{start} .. {end}"),
        ("customers", summary["customers"]),
    ]
    rows += [(f"  {profile}", count) for profile, count in summary["profiles"].items()]
    rows += [
        ("invoices", summary["invoices"]),
        ("  in foreign currency", summary["invoices_foreign"]),
        ("credit notes", summary["credit_notes"]),
        ("payments", summary["payments"]),
        ("  full", summary["payments_full"]),
        ("  partial (instalments)", summary["payments_partial"]),
        ("  late (after due date)", summary["payments_late"]),
    ]
    rows += [(f"invoices {state}", count) for state, count in summary["payment_states"].items()]
    rows += [
        ("currencies", ", ".join(summary["currencies"])),
        ("open receivable", f"{summary['open_receivable']:,.2f} {summary['company_currency']}"),
        ("seconds", f"{elapsed:.1f}"),
    ]
    rows += [(f"  {phase}", f"{seconds:.1f}") for phase, seconds in summary["timings"].items()]
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
