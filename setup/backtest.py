#!/usr/bin/env python3
"""Backtest the AR Collections pay-date prediction on an Odoo database's paid invoices.

Usage: .venv/bin/python setup/backtest.py -c odoo.conf -d DB [--as-of DATE] [--months N]
           [--company-id ID]

Each invoice paid in the N months before DATE (default: today) is predicted from the
payments known on its invoice date only, and compared with its actual payment date and
with the naive "pays on the due date" baseline. Nothing is written to the database.
"""
import argparse
import datetime
import sys

from cli_common import echo, load_addon_module, print_table  # setup/ is the script's folder


def _parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True, help="database to evaluate")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None,
                        help="evaluate as if today were this date (YYYY-MM-DD)")
    parser.add_argument("--months", type=int, default=12, help="evaluation window, in months before --as-of")
    parser.add_argument("--company-id", type=int, default=None, help="company to evaluate (default: the main one)")
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error("--months must be positive")
    return args








def main(argv=None):
    args = _parse_args(argv if argv is not None else sys.argv[1:])
    import odoo  # imported late so --help works without Odoo

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    backtest = load_addon_module(odoo, "ar_collections.tools.backtest")
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "ar.pay.prediction" not in env:
            echo(f"ar_collections is not installed (or not up to date) in {args.database}.")
            return 1
        company = env["res.company"].browse(args.company_id) if args.company_id else env.company
        if not company.exists():
            echo(f"No company with id {args.company_id} in {args.database}.")
            return 1
        result = backtest.run_backtest(env, company=company, months=args.months, as_of=args.as_of)
        cr.rollback()  # read-only: nothing of the evaluation is kept
    gain = (1 - result["mae_model"] / result["mae_naive"]) if result["mae_naive"] else 0.0
    print_table([
        ("database", args.database),
        ("company", result["company"]),
        ("invoices paid from", f"{result['date_from']} to {result['date_to']} (exclusive)"),
        ("invoices evaluated", result["invoices"]),
        ("MAE model (days)", f"{result['mae_model']:.2f}"),
        ("MAE naive due-date baseline (days)", f"{result['mae_naive']:.2f}"),
        ("  MAE change vs baseline", f"{-gain:+.0%}"),
        ("median abs. error model (days)", f"{result['median_model']:.1f}"),
        ("median abs. error baseline (days)", f"{result['median_naive']:.1f}"),
        (f"within ±{backtest.WITHIN_DAYS} days model", f"{result['within_model']:.1%}"),
        (f"within ±{backtest.WITHIN_DAYS} days baseline", f"{result['within_naive']:.1%}"),
        ("mean error model (days, + = paid earlier)", f"{result['bias_model']:+.2f}"),
        ("mean error baseline (days)", f"{result['bias_naive']:+.2f}"),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
