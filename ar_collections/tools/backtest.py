"""Backtest of the pay-date prediction (``ar.pay.prediction``) on paid invoices.

Each invoice paid in the evaluation window is predicted as the prediction would have
been made on its invoice date, from the payments known then (dated before that day),
and compared with its actual payment date: the latest reconciliation date of its
receivable lines. The naive baseline predicts that every invoice is paid on its due date.
"""
import statistics
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import SQL

WITHIN_DAYS = 7


def _paid_invoices(env, company, date_from, date_to):
    """(id, name, partner id, invoice date, due date, payment date) of ``company``'s customer
    invoices whose last payment is dated in [date_from, date_to)."""
    paid_invoices = env["account.move"]._ar_paid_invoices_query(SQL(
        "move.company_id = %s AND move.invoice_date IS NOT NULL AND move.invoice_date_due IS NOT NULL",
        company.id))
    return env.execute_query(SQL(
        """
        SELECT id, name, partner_id, invoice_date, invoice_date_due, paid_on
          FROM (%s) invoice
         WHERE paid_on >= %s AND paid_on < %s
      ORDER BY invoice_date, id
        """,
        paid_invoices, date_from, date_to,
    ))


def _summary(errors):
    if not errors:
        return {"mae": 0.0, "median": 0.0, "within": 0.0, "bias": 0.0}
    absolute = [abs(error) for error in errors]
    return {
        "mae": sum(absolute) / len(absolute),
        "median": float(statistics.median(absolute)),
        "within": sum(1 for error in absolute if error <= WITHIN_DAYS) / len(absolute),
        "bias": sum(errors) / len(errors),
    }


def run_backtest(env, company=None, months=12, as_of=None):
    """Evaluate the pay-date prediction on ``company``'s invoices paid in the ``months``
    months before ``as_of`` (default: today; payments of ``as_of`` itself excluded).

    Errors are in days, predicted (or due) date minus actual payment date: positive when
    the payment came earlier than predicted.

    :return: dict with ``invoices`` (count), ``mae_model``, ``mae_naive`` (mean absolute
        errors), ``median_model``, ``median_naive`` (median absolute errors),
        ``within_model``, ``within_naive`` (share within ±7 days), ``bias_model``,
        ``bias_naive`` (mean signed errors), ``date_from``, ``date_to`` and ``lines``: one
        dict per invoice (``id``, ``name``, ``as_of``, ``date_due``, ``predicted``, ``paid``)
    """
    company = company or env.company
    as_of = fields.Date.to_date(as_of) if as_of else fields.Date.context_today(env.user)
    date_from = as_of - relativedelta(months=months)
    Prediction = env["ar.pay.prediction"]
    by_day = defaultdict(list)
    for row in _paid_invoices(env, company, date_from, as_of):
        by_day[row[3]].append(row)
    lines = []
    for day in sorted(by_day):
        rows = by_day[day]
        # Only what was known on the invoice date: the stats see payments dated before it.
        customers, priors = Prediction._ar_history_stats({row[2] for row in rows}, day)
        prior = priors.get(company.id)
        for move_id, name, partner_id, _invoice_date, due, paid in rows:
            delay = Prediction._ar_expected_delay(customers.get(partner_id), prior)
            lines.append({
                "id": move_id,
                "name": name,
                "as_of": day,
                "date_due": due,
                "predicted": Prediction._ar_predict_date(due, day, delay),
                "paid": paid,
            })
    model = _summary([(line["predicted"] - line["paid"]).days for line in lines])
    naive = _summary([(line["date_due"] - line["paid"]).days for line in lines])
    return {
        "company": company.name,
        "date_from": date_from,
        "date_to": as_of,
        "invoices": len(lines),
        **{f"{key}_model": value for key, value in model.items()},
        **{f"{key}_naive": value for key, value in naive.items()},
        "lines": lines,
    }
