from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import OPEN_PAYMENT_STATES

FORECAST_WEEKS = 13


class ArCashForecast(models.Model):
    """Expected cash-in: the open customer invoices by ISO week of their predicted payment date.

    One row per open invoice, its open amount in the company currency (what is left after
    partial payments and credit notes). The 13 weeks start on the Monday of the current week;
    invoices predicted later are left out; invoices predicted before this week (a prediction
    not refreshed since) or not predicted yet are in the "Past or not predicted" bucket,
    without a week.
    """

    _name = "ar.cash.forecast"
    _description = "Cash-in forecast"
    _auto = False
    _rec_name = "move_id"
    _order = "week_start, predicted_date, id"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    at_risk = fields.Boolean(string="Customer at risk", readonly=True)
    invoice_date_due = fields.Date(string="Due date", readonly=True)
    predicted_date = fields.Date(string="Expected payment date", readonly=True)
    predicted_days_late = fields.Integer(string="Expected days late", readonly=True, aggregator="avg")
    week_start = fields.Date(string="Week", readonly=True, help="Monday of the week of the expected payment.")
    bucket = fields.Selection(
        [("past", "Past or not predicted"), ("week", "Next 13 weeks")], readonly=True,
        help="Past or not predicted: the invoice's prediction is older than this week or not computed yet.",
    )
    amount = fields.Monetary(string="Expected amount", readonly=True, currency_field="currency_id")
    invoice_count = fields.Integer(string="Invoices", readonly=True)

    _depends = {
        "account.move": [
            "move_type", "state", "payment_state", "company_id", "commercial_partner_id", "invoice_date_due",
            "ar_predicted_pay_date", "ar_predicted_days_late", "amount_residual_signed",
        ],
        "res.partner": ["ar_at_risk"],
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
        return SQL(
            """
            SELECT move.id,
                   move.id AS move_id,
                   move.company_id,
                   company.currency_id,
                   move.commercial_partner_id AS partner_id,
                   COALESCE(partner.ar_at_risk, FALSE) AS at_risk,
                   move.invoice_date_due,
                   move.ar_predicted_pay_date AS predicted_date,
                   move.ar_predicted_days_late AS predicted_days_late,
                   CASE WHEN move.ar_predicted_pay_date >= %(first)s
                        THEN DATE_TRUNC('week', move.ar_predicted_pay_date)::date END AS week_start,
                   CASE WHEN move.ar_predicted_pay_date >= %(first)s THEN 'week' ELSE 'past' END AS bucket,
                   move.amount_residual_signed AS amount,
                   1 AS invoice_count
              FROM account_move move
              JOIN res_company company ON company.id = move.company_id
         LEFT JOIN res_partner partner ON partner.id = move.commercial_partner_id
             WHERE move.move_type = 'out_invoice'
               AND move.state = 'posted'
               AND move.payment_state IN %(open_states)s
               AND (move.ar_predicted_pay_date IS NULL OR move.ar_predicted_pay_date < %(end)s)
            """,
            first=first, end=first + timedelta(weeks=FORECAST_WEEKS), open_states=OPEN_PAYMENT_STATES,
        )

    @api.model
    def _ar_weekly_forecast(self, company, today=None):
        """Expected cash-in of ``company`` per week, in its currency.

        :return: list of dicts ``{"week_start", "amount", "invoice_count"}``: first the
            "past or not predicted" bucket (``week_start`` False), then the 13 weeks from the
            current one, empty weeks included
        """
        forecast = self.with_context(ar_forecast_date=today) if today else self
        first = forecast._ar_first_week()
        groups = {
            week: (amount, count)
            for week, amount, count in forecast._read_group(
                [("company_id", "=", company.id)], ["week_start:day"], ["amount:sum", "invoice_count:sum"])
        }
        weeks = [False] + [first + timedelta(weeks=index) for index in range(FORECAST_WEEKS)]
        return [
            {
                "week_start": week,
                "amount": company.currency_id.round(groups.get(week, (0.0, 0))[0]),
                "invoice_count": groups.get(week, (0.0, 0))[1],
            }
            for week in weeks
        ]
