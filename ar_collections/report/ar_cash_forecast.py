from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import OPEN_PAYMENT_STATES

FORECAST_WEEKS = 13
# Due more than this many days ago: not counted on as cash-in (most collection policies provide
# for receivables from 180 days overdue; the pay-date prediction of such an invoice is a guess).
NOT_EXPECTED_DAYS = 180
BUCKETS = [
    ("past", "Not predicted yet"),
    ("week", "Next 13 weeks"),
    ("later", "Later"),
    ("not_expected", "Not expected"),
]


class ArCashForecast(models.Model):
    """Expected cash-in: every open customer invoice in the period it is expected to be paid.

    One row per open invoice, its open amount in the company currency (what is left after
    partial payments and credit notes), in exactly one bucket, so that the buckets add up to
    the open receivable of customer invoices:

    * **Not expected**: in an open dispute, due more than 180 days ago, or overdue with no
      payment expected: fewer than half of the invoices that late were ever paid in the book's
      history (``ar.pay.prediction._ar_predict_overdue``);
    * **Next 13 weeks**: expected in one of the 13 ISO weeks from the Monday of the current one;
    * **Later**: expected after those 13 weeks;
    * **Not predicted yet**: no prediction, or one older than this week (the nightly refresh
      did not run since).
    """

    _name = "ar.cash.forecast"
    _description = "Cash-in forecast"
    _auto = False
    _rec_name = "move_id"
    _order = "bucket_sequence, week_start, predicted_date, id"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    at_risk = fields.Boolean(string="Customer at risk", readonly=True)
    disputed = fields.Boolean(readonly=True, help="In an open dispute.")
    invoice_date_due = fields.Date(string="Due date", readonly=True)
    predicted_date = fields.Date(string="Expected payment date", readonly=True)
    predicted_days_late = fields.Integer(string="Expected days late", readonly=True, aggregator="avg")
    week_start = fields.Date(string="Week", readonly=True,
                             help="Monday of the week of the expected payment, in the next 13 weeks.")
    bucket = fields.Selection(
        BUCKETS, readonly=True,
        help="Not expected: in an open dispute, due more than 180 days ago (an invoice that old is "
             "not counted on as cash, whatever its prediction), or overdue and no payment expected "
             "(fewer than half of the invoices that late were ever paid). Next 13 weeks and Later: by the "
             "expected payment date, which for an overdue invoice is conditioned on how late it already "
             "is. Not predicted yet: no prediction, or one older than this week. Together they add up to "
             "the open amount of the customer invoices.",
    )
    bucket_sequence = fields.Integer(readonly=True, aggregator=False)
    period = fields.Char(
        readonly=True,
        help="The week of the expected payment (ISO year and week) in the next 13 weeks, else the bucket.",
    )
    amount = fields.Monetary(string="Expected amount", readonly=True, currency_field="currency_id")
    invoice_count = fields.Integer(string="Invoices", readonly=True)

    _depends = {
        "account.move": [
            "move_type", "state", "payment_state", "company_id", "commercial_partner_id", "invoice_date_due",
            "ar_predicted_pay_date", "ar_predicted_days_late", "amount_residual_signed",
        ],
        "res.partner": ["ar_at_risk", "ar_prediction_date"],
        "ar.dispute": ["is_open", "invoice_ids"],
    }

    @api.model
    def _ar_first_week(self):
        """Monday of the current week (or of the week of the ``ar_forecast_date`` context key)."""
        today = self.env.context.get("ar_forecast_date") or fields.Date.context_today(self)
        today = fields.Date.to_date(today)
        return today - timedelta(days=today.weekday())

    @property
    def _table_query(self):
        first = self._ar_first_week()
        today = fields.Date.to_date(self.env.context.get("ar_forecast_date") or fields.Date.context_today(self))
        labels = dict(self._fields["bucket"]._description_selection(self.env))
        return SQL(
            """
            SELECT move.*,
                   CASE WHEN move.bucket = 'week' THEN DATE_TRUNC('week', move.predicted_date)::date END AS week_start,
                   CASE move.bucket WHEN 'past' THEN 0 WHEN 'week' THEN 1 WHEN 'later' THEN 2 ELSE 3
                   END AS bucket_sequence,
                   CASE move.bucket WHEN 'week' THEN TO_CHAR(move.predicted_date, 'IYYY-"W"IW')
                                    WHEN 'later' THEN %(later)s
                                    WHEN 'past' THEN %(past)s
                                    ELSE %(not_expected)s END AS period
              FROM (
                SELECT move.id,
                       move.id AS move_id,
                       move.company_id,
                       company.currency_id,
                       move.commercial_partner_id AS partner_id,
                       COALESCE(partner.ar_at_risk, FALSE) AS at_risk,
                       disputed.id IS NOT NULL AS disputed,
                       move.invoice_date_due,
                       move.ar_predicted_pay_date AS predicted_date,
                       move.ar_predicted_days_late AS predicted_days_late,
                       CASE WHEN disputed.id IS NOT NULL OR move.invoice_date_due < %(too_old)s THEN 'not_expected'
                            -- refreshed when already overdue, and no payment expected
                            WHEN move.ar_predicted_pay_date IS NULL
                                 AND move.invoice_date_due < partner.ar_prediction_date
                                 AND move.create_date::date <= partner.ar_prediction_date THEN 'not_expected'
                            WHEN move.ar_predicted_pay_date IS NULL OR move.ar_predicted_pay_date < %(first)s
                            THEN 'past'
                            WHEN move.ar_predicted_pay_date < %(end)s THEN 'week'
                            ELSE 'later' END AS bucket,
                       move.amount_residual_signed AS amount,
                       1 AS invoice_count
                  FROM account_move move
                  JOIN res_company company ON company.id = move.company_id
             LEFT JOIN res_partner partner ON partner.id = move.commercial_partner_id
             LEFT JOIN (
                        -- each disputed invoice once, even when it is in two open disputes
                        SELECT DISTINCT rel.account_move_id AS id
                          FROM account_move_ar_dispute_rel rel
                          JOIN ar_dispute dispute ON dispute.id = rel.ar_dispute_id
                         WHERE dispute.is_open
                   ) disputed ON disputed.id = move.id
                 WHERE move.move_type = 'out_invoice'
                   AND move.state = 'posted'
                   AND move.payment_state IN %(open_states)s
              ) move
            """,
            first=first, end=first + timedelta(weeks=FORECAST_WEEKS), open_states=OPEN_PAYMENT_STATES,
            too_old=today - timedelta(days=NOT_EXPECTED_DAYS),
            later=labels["later"], past=labels["past"], not_expected=labels["not_expected"],
        )

    @api.model
    def _ar_weekly_forecast(self, company, today=None):
        """Expected cash-in of ``company`` per week, in its currency.

        :return: list of dicts ``{"bucket", "week_start", "amount", "invoice_count"}``: first
            the "not predicted yet" bucket, then the 13 weeks from the current one (empty
            weeks included), then "later" and "not expected" (``week_start`` False but for the
            weeks); the amounts add up to the company's open customer invoices
        """
        forecast = self.with_context(ar_forecast_date=today) if today else self
        first = forecast._ar_first_week()
        groups = {
            (bucket, week): (amount, count)
            for bucket, week, amount, count in forecast._read_group(
                [("company_id", "=", company.id)], ["bucket", "week_start:day"],
                ["amount:sum", "invoice_count:sum"])
        }
        keys = [("past", False)] + [("week", first + timedelta(weeks=index)) for index in range(FORECAST_WEEKS)]
        keys += [("later", False), ("not_expected", False)]
        return [
            {
                "bucket": bucket,
                "week_start": week,
                "amount": company.currency_id.round(groups.get((bucket, week), (0.0, 0))[0]),
                "invoice_count": groups.get((bucket, week), (0.0, 0))[1],
            }
            for bucket, week in keys
        ]
