#!/usr/bin/env python3
"""Backtest the AR Collections predictions on an Odoo database's history, without look-ahead.

Usage: .venv/bin/python setup/backtest.py -c odoo.conf -d DB [--as-of DATE] [--months N]
           [--company-id ID] [--cutoffs N]

Pay date: each invoice paid in the N months before DATE (default: today) is predicted from
the payments known on its invoice date only, and compared with its actual payment date and
with the naive "pays on the due date" baseline; the model without censoring (the one before
18.0.2.2) is shown next to it. Overdue invoices: on monthly cut-off dates, every invoice open
and overdue is predicted as the nightly refresh would have (given how late it already is) and
compared with its payment, next to the rule before (a week, or half the days past its
prediction, from the cut-off). Risk: on monthly cut-off dates, the invoices open and overdue
get the worklist's probability of being still unpaid 30 days later, learnt and calibrated from
what was known that day, and are followed for 30 days (calibration by decile and band, before
and after calibration, AUC against the rule "more than 30 days overdue"). Nothing is written
to the database.
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
    parser.add_argument("--cutoffs", type=int, default=6, help="risk: monthly cut-off dates evaluated")
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error("--months must be positive")
    return args


def _print_pay_date(args, result, before, within_days):
    gain = (1 - result["mae_model"] / result["mae_naive"]) if result["mae_naive"] else 0.0
    echo("Pay date")
    print_table([
        ("database", args.database),
        ("company", result["company"]),
        ("invoices paid from", f"{result['date_from']} to {result['date_to']} (exclusive)"),
        ("invoices evaluated", result["invoices"]),
        ("MAE model (days)", f"{result['mae_model']:.2f}"),
        ("MAE model without censoring (days)", f"{before['mae_model']:.2f}"),
        ("MAE naive due-date baseline (days)", f"{result['mae_naive']:.2f}"),
        ("  MAE change vs baseline", f"{-gain:+.0%}"),
        ("median abs. error model (days)", f"{result['median_model']:.1f}"),
        ("median abs. error baseline (days)", f"{result['median_naive']:.1f}"),
        (f"within ±{within_days} days model", f"{result['within_model']:.1%}"),
        (f"within ±{within_days} days baseline", f"{result['within_naive']:.1%}"),
        ("mean error model (days, + = paid earlier)", f"{result['bias_model']:+.2f}"),
        ("mean error model without censoring (days)", f"{before['bias_model']:+.2f}"),
        ("mean error baseline (days)", f"{result['bias_naive']:+.2f}"),
    ])


def _same_invoices(after, before):
    """MAE and bias of the rule before on the invoice-days the model after predicted and saw paid."""
    kept = {(line["id"], line["cutoff"]) for line in after["lines"] if line["paid"] and line["predicted"]}
    errors = [(line["predicted"] - line["paid"]).days for line in before["lines"]
              if (line["id"], line["cutoff"]) in kept]
    if not errors:
        return 0.0, 0.0
    return sum(abs(error) for error in errors) / len(errors), sum(errors) / len(errors)


def _print_overdue(after, before):
    same_mae, same_bias = _same_invoices(after, before)
    echo(f"Pay date of overdue invoices: invoices open and overdue on "
         f"{', '.join(str(day) for day in after['cutoffs'])}, predicted that day")
    print_table([
        ("invoice-days evaluated", after["invoices"]),
        ("paid since", after["paid"]),
        ("MAE given days overdue (days)", f"{after['mae']:.2f} on {after['evaluated']}"),
        ("MAE before: a week or half the days past (days)", f"{before['mae']:.2f} on {before['evaluated']}"),
        ("mean error given days overdue (days, + = paid earlier)", f"{after['bias']:+.2f}"),
        ("mean error before (days)", f"{before['bias']:+.2f}"),
        ("before, on the same invoices: MAE, mean error", f"{same_mae:.2f}, {same_bias:+.2f}"),
        ("no payment expected (of which paid since)", f"{after['not_expected']} ({after['not_expected_paid']})"),
        ("unpaid today but predicted before today", f"{after['unpaid_early']} (before: {before['unpaid_early']})"),
    ])
    echo("| days overdue from | evaluated | MAE | bias | MAE before | bias before | not expected |")
    echo("| --- | --- | --- | --- | --- | --- | --- |")
    for row, old in zip(after["by_age"], before["by_age"], strict=True):
        echo(f"| {row[0]} | {row[1]} | {row[2]:.1f} | {row[3]:+.1f} | {old[2]:.1f} | {old[3]:+.1f} | {row[4]} |")


def _print_risk(risk):
    def auc(value):
        return "n/a" if value is None else f"{value:.3f}"

    echo(f"Risk: P(still unpaid {risk['horizon']} days later), invoices open and overdue on "
         f"{', '.join(str(day) for day in risk['cutoffs'])}")
    print_table([
        ("invoice-days evaluated", risk["invoices"]),
        ("observed still unpaid", f"{risk['unpaid_rate']:.1%}"),
        ("AUC model", auc(risk["auc_model"])),
        ("AUC model before calibration", auc(risk["auc_raw"])),
        ("AUC rule 'more than 30 days overdue'", auc(risk["auc_naive"])),
        ("AUC days overdue (as a score)", auc(risk["auc_days"])),
        ("Brier score model", f"{risk['brier_model']:.3f}"),
        ("Brier score before calibration", f"{risk['brier_raw']:.3f}"),
    ])
    for title, rows in (("decile", risk["deciles"]), ("band", risk["bands"]),
                        ("band before calibration", risk["bands_raw"])):
        echo(f"| {title} | invoices | predicted | observed |")
        echo("| --- | --- | --- | --- |")
        for group, count, predicted, observed in rows:
            echo(f"| {group} | {count} | {predicted:.1%} | {observed:.1%} |")


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
        before = backtest.run_backtest(env, company=company, months=args.months, as_of=args.as_of, censored=False)
        overdue = backtest.run_overdue_backtest(env, company=company, as_of=args.as_of, cutoffs=args.cutoffs)
        overdue_before = backtest.run_overdue_backtest(env, company=company, as_of=args.as_of, cutoffs=args.cutoffs,
                                                       conditional=False)
        risk = backtest.run_risk_backtest(env, company=company, as_of=args.as_of, cutoffs=args.cutoffs)
        cr.rollback()  # read-only: nothing of the evaluation is kept
    _print_pay_date(args, result, before, backtest.WITHIN_DAYS)
    _print_overdue(overdue, overdue_before)
    _print_risk(risk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
