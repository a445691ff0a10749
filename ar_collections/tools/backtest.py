"""Backtests of ``ar.pay.prediction``: the pay date and the risk, without look-ahead.

Pay date (:func:`run_backtest`): each invoice paid in the evaluation window is predicted as
the prediction would have been made on its invoice date, from the payments known then (dated
before that day), and compared with its actual payment date: the latest reconciliation date
of its receivable lines. The naive baseline predicts that every invoice is paid on its due date.

Overdue invoices (:func:`run_overdue_backtest`): on cut-off dates, the invoices open and
overdue that day are predicted given how late they already are, and compared with their
payment dates (those paid since).

Risk (:func:`run_risk_backtest`): on cut-off dates, the invoices open and overdue that day get
the probability the worklist gives them, learnt and calibrated from what was known that day;
they are then followed for the horizon (30 days): paid in full by then, or not.
"""
import statistics
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import SQL

from ..const import OPEN_PAYMENT_STATES
from ..models.ar_pay_prediction import RISK_BANDS, RISK_HORIZON_DAYS

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


def run_backtest(env, company=None, months=12, as_of=None, censored=True):
    """Evaluate the pay-date prediction on ``company``'s invoices paid in the ``months``
    months before ``as_of`` (default: today; payments of ``as_of`` itself excluded).

    Errors are in days, predicted (or due) date minus actual payment date: positive when
    the payment came earlier than predicted.

    :return: dict with ``invoices`` (count), ``mae_model``, ``mae_naive`` (mean absolute
        errors), ``median_model``, ``median_naive`` (median absolute errors),
        ``within_model``, ``within_naive`` (share within ±7 days), ``bias_model``,
        ``bias_naive`` (mean signed errors), ``date_from``, ``date_to`` and ``lines``: one
        dict per invoice (``id``, ``name``, ``as_of``, ``date_due``, ``predicted``, ``paid``)
    :param censored: the model with the invoices still open as censored observations (False:
        the model before 18.0.2.2, paid invoices only, for the comparison)
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
        customers, priors = Prediction._ar_history_stats({row[2] for row in rows}, day, censored=censored)
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


def run_overdue_backtest(env, company=None, as_of=None, cutoffs=6, step_days=30, first_days=60,
                         conditional=True):
    """Evaluate the pay-date prediction of the invoices already overdue, as the nightly refresh
    makes it: on cut-off dates (``as_of`` minus ``first_days``, then every ``step_days``
    before), every invoice of ``company`` open and overdue that day is predicted from what
    was known then, and compared with its payment date when it was paid before ``as_of``.

    :param conditional: the prediction given that the invoice is that late (False: the one
        before 18.0.2.3, due date + the customer's expected delay, or if that is past, a week
        or half the days past it from the cut-off; for the comparison)
    :return: dict with ``invoices`` (invoice-days), ``paid`` (paid before ``as_of``),
        ``evaluated`` (paid and predicted), ``mae``, ``bias`` (mean error of the evaluated,
        in days, + = paid earlier than predicted), ``not_expected`` (predicted: no payment),
        ``not_expected_paid`` (of those, paid before ``as_of``), ``unpaid_early`` (still
        unpaid on ``as_of`` but predicted paid before it), ``by_age``: rows ``(days overdue
        from, evaluated, mae, bias, not expected)``, ``cutoffs`` and ``lines``
    """
    company = company or env.company
    as_of = fields.Date.to_date(as_of) if as_of else fields.Date.context_today(env.user)
    Prediction = env["ar.pay.prediction"]
    paid_on = dict(env.execute_query(SQL(
        "SELECT id, paid_on FROM (%s) invoice",
        env["account.move"]._ar_paid_invoices_query(SQL("move.company_id = %s", company.id)))))
    dates = sorted(as_of - relativedelta(days=first_days + step_days * index) for index in range(cutoffs))
    lines = []
    for cutoff in dates:
        rows = env.execute_query(SQL(
            """
            SELECT move.id, move.commercial_partner_id, move.invoice_date_due
              FROM account_move move
             WHERE move.move_type = 'out_invoice' AND move.state = 'posted' AND move.company_id = %(company)s
               AND move.invoice_date < %(cutoff)s AND move.invoice_date_due < %(cutoff)s
               AND (move.payment_state IN %(open_states)s OR move.id = ANY(%(paid_later)s))
          ORDER BY move.id
            """,
            company=company.id, cutoff=cutoff, open_states=OPEN_PAYMENT_STATES,
            paid_later=[move_id for move_id, day in paid_on.items() if day >= cutoff],
        ))
        partner_ids = {row[1] for row in rows}
        customers, priors = Prediction._ar_history_stats(partner_ids, cutoff)
        curves = Prediction._ar_survival_curves(partner_ids, cutoff) if conditional else None
        for move_id, partner_id, due in rows:
            if conditional:
                predicted = Prediction._ar_predict_overdue(
                    due, cutoff, customers.get(partner_id), priors.get(company.id), curves[0].get(partner_id),
                    curves[1].get(company.id))
            else:
                delay = Prediction._ar_expected_delay(customers.get(partner_id), priors.get(company.id))
                predicted = Prediction._ar_predict_date(due, cutoff, delay)
            paid = paid_on.get(move_id)
            lines.append({
                "id": move_id, "cutoff": cutoff, "days_overdue": (cutoff - due).days,
                "predicted": predicted, "paid": paid if paid and paid < as_of else None,
            })
    return {
        "company": company.name,
        "cutoffs": dates,
        "invoices": len(lines),
        "paid": sum(1 for line in lines if line["paid"]),
        **_overdue_summary(lines),
        "not_expected": sum(1 for line in lines if not line["predicted"]),
        "not_expected_paid": sum(1 for line in lines if not line["predicted"] and line["paid"]),
        "unpaid_early": sum(1 for line in lines if not line["paid"] and line["predicted"]
                            and line["predicted"] < as_of),
        "by_age": [
            (start, *_overdue_summary([line for line in lines if start <= line["days_overdue"] < end]).values(),
             sum(1 for line in lines if start <= line["days_overdue"] < end and not line["predicted"]))
            for start, end in zip(OVERDUE_AGES, [*OVERDUE_AGES[1:], 100000], strict=True)
        ],
        "lines": lines,
    }


OVERDUE_AGES = (1, 30, 90, 180)  # days overdue on the cut-off, the rows of the overdue backtest


def _overdue_summary(lines):
    errors = [(line["predicted"] - line["paid"]).days for line in lines if line["paid"] and line["predicted"]]
    return {
        "evaluated": len(errors),
        "mae": sum(abs(error) for error in errors) / len(errors) if errors else 0.0,
        "bias": sum(errors) / len(errors) if errors else 0.0,
    }


def _auc(scores, outcomes):
    """Area under the ROC curve: the chance that an invoice that stayed unpaid scores higher
    than one that was paid (ties count one half); None without both kinds."""
    ranked = sorted(zip(scores, outcomes, strict=True))
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    if not positives or not negatives:
        return None
    rank_sum, index = 0.0, 0
    while index < len(ranked):
        end = index
        while end < len(ranked) and ranked[end][0] == ranked[index][0]:
            end += 1
        mid_rank = (index + 1 + end) / 2  # tied scores share their mean rank
        rank_sum += mid_rank * sum(outcome for _score, outcome in ranked[index:end])
        index = end
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _calibration(lines, key):
    """Rows ``(group, invoices, mean predicted, observed rate)`` of ``lines`` grouped by ``key``."""
    groups = defaultdict(list)
    for line in lines:
        groups[key(line)].append(line)
    return [
        (group, len(rows), sum(row["probability"] for row in rows) / len(rows),
         sum(row["unpaid"] for row in rows) / len(rows))
        for group, rows in sorted(groups.items())
    ]


def run_risk_backtest(env, company=None, as_of=None, cutoffs=6, step_days=30, calibrated=True):
    """Evaluate the risk probability of the worklist on ``company``'s invoices.

    Cut-off dates: ``as_of`` (default today) minus the horizon, then every ``step_days``
    before, ``cutoffs`` of them. On each, every invoice open and overdue gets its probability
    from :meth:`ar.pay.prediction._ar_risk_query` (what was known that day), and is unpaid
    (the event) when it was not paid in full within the horizon. The naive rule flags the
    invoices more than 30 days overdue. With ``calibrated``, the probability is calibrated as
    the nightly refresh would have done on that cut-off date (from earlier cut-offs only).

    :return: dict with ``invoices``, ``unpaid_rate``, ``auc_model``, ``auc_naive`` (the
        rule), ``auc_days`` (days overdue as a score), ``brier_model``, ``deciles`` and
        ``bands`` (calibration rows: group, invoices, mean predicted, observed), ``cutoffs``;
        ``auc_raw``, ``brier_raw`` and ``bands_raw``: the same of the probability before calibration
    """
    company = company or env.company
    as_of = fields.Date.to_date(as_of) if as_of else fields.Date.context_today(env.user)
    Prediction = env["ar.pay.prediction"]
    horizon = RISK_HORIZON_DAYS
    paid_on = dict(env.execute_query(SQL(
        "SELECT id, paid_on FROM (%s) invoice",
        env["account.move"]._ar_paid_invoices_query(SQL("move.company_id = %s", company.id)))))
    dates = [as_of - relativedelta(days=horizon + step_days * index) for index in range(cutoffs)]
    lines = []
    for cutoff in sorted(dates):
        # the calibration as the nightly refresh would have learnt it that day
        params = Prediction._ar_fit_risk_calibration(company, cutoff) if calibrated else None
        rows = env.execute_query(SQL(
            "SELECT id, days_overdue, probability, raw_probability FROM (%s) risk",
            Prediction._ar_risk_query(cutoff, SQL("invoice.company_id = %s", company.id),
                                      calibration={company.id: params} if params else {})))
        end = cutoff + relativedelta(days=horizon)
        for move_id, days_overdue, probability, raw in rows:
            paid = paid_on.get(move_id)
            lines.append({
                "id": move_id, "cutoff": cutoff, "days_overdue": days_overdue,
                "probability": float(probability), "raw": float(raw),
                "unpaid": int(not paid or paid > end),
            })
    outcomes = [line["unpaid"] for line in lines]
    ordered = sorted(lines, key=lambda line: line["probability"])
    for rank, line in enumerate(ordered):
        line["decile"] = rank * 10 // len(ordered) + 1
    raw_lines = [{**line, "probability": line["raw"]} for line in lines]
    return {
        "company": company.name,
        "cutoffs": sorted(dates),
        "horizon": horizon,
        "invoices": len(lines),
        "unpaid_rate": sum(outcomes) / len(lines) if lines else 0.0,
        "auc_model": _auc([line["probability"] for line in lines], outcomes),
        "auc_naive": _auc([int(line["days_overdue"] > 30) for line in lines], outcomes),
        "auc_days": _auc([line["days_overdue"] for line in lines], outcomes),
        "brier_model": (sum((line["probability"] - line["unpaid"]) ** 2 for line in lines) / len(lines)
                        if lines else 0.0),
        "deciles": _calibration(lines, lambda line: line["decile"]),
        "bands": [row for band, _label in RISK_BANDS for row in _calibration(
            lines, lambda line: Prediction._ar_risk_band(line["probability"])) if row[0] == band],
        "auc_raw": _auc([line["raw"] for line in lines], outcomes),
        "brier_raw": (sum((line["raw"] - line["unpaid"]) ** 2 for line in lines) / len(lines) if lines else 0.0),
        "bands_raw": [row for band, _label in RISK_BANDS for row in _calibration(
            raw_lines, lambda line: Prediction._ar_risk_band(line["probability"])) if row[0] == band],
        "lines": lines,
    }
