from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, date_utils

from .ar_aging_report import OPEN_LINES_DEPENDS, open_balances_sql, open_receivable_lines_sql

TREND_MONTHS = 12


class ArOverdueTrend(models.Model):
    """Overdue and open receivable at each month end of the last twelve months, per
    company and customer (the current month shows the figure of the end date). The
    end date comes from the context key ``ar_trend_date`` (default today)."""

    _name = "ar.overdue.trend"
    _description = "Overdue Receivable Trend"
    _auto = False
    _order = "date, company_id, partner_id"
    _depends = {
        **OPEN_LINES_DEPENDS,
        "ar.overdue.balance": ["company_id", "date", "open_amount", "overdue_amount", "partner_id"],
    }

    date = fields.Date(string="Month end", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    open_amount = fields.Monetary(string="Open receivable", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)

    @api.model
    def _ar_trend_dates(self, end=None):
        """The twelve as-of dates of the trend: the last eleven month ends before
        ``end``'s month, then ``end`` itself (a month end or today)."""
        end = end or fields.Date.to_date(self.env.context.get("ar_trend_date")) or fields.Date.context_today(self)
        dates = [date_utils.end_of(end - relativedelta(months=months), "month")
                 for months in range(TREND_MONTHS - 1, 0, -1)]
        return [*dates, end]

    @property
    def _table_query(self):
        # The past month ends as stored by the refresh (ar.overdue.balance), those not stored
        # computed at once (running totals, see open_balances_sql); the last date (today) from
        # the items open on it, live; a zero row per month and company keeps months without any
        # receivable on the graph.
        dates = self._ar_trend_dates()
        company_ids = tuple(self.env.companies.ids)
        stored = self.env["ar.overdue.balance"]._ar_stored_dates(dates[:-1], company_ids)
        live = [as_of for as_of in dates[:-1] if as_of not in stored]
        balances = [SQL(
            """SELECT line.company_id, line.partner_id, line.as_of_date AS date,
                      SUM(line.amount_residual) AS open_amount,
                      SUM(CASE WHEN line.date_maturity < line.as_of_date THEN line.amount_residual ELSE 0 END)
                          AS overdue_amount
                 FROM (%s) line
             GROUP BY 1, 2, 3""",  # the columns of open_balances_sql
            open_receivable_lines_sql(dates[-1:], company_ids),
        )]
        if stored:
            balances.append(SQL(
                """SELECT company_id, partner_id, date, open_amount, overdue_amount
                     FROM ar_overdue_balance
                    WHERE company_id IN %s AND date = ANY(%s::date[])""",
                company_ids, sorted(stored),
            ))
        if live:
            balances.append(open_balances_sql(live, company_ids))
        return SQL(
            """
            SELECT ROW_NUMBER() OVER (ORDER BY trend.date, trend.company_id, trend.partner_id) AS id,
                   trend.date, trend.company_id, company.currency_id, trend.partner_id,
                   trend.open_amount, trend.overdue_amount
              FROM (
                    SELECT balance.date, balance.company_id, balance.partner_id,
                           balance.open_amount, balance.overdue_amount
                      FROM (%(balances)s) balance
                     WHERE balance.open_amount <> 0 OR balance.overdue_amount <> 0
                 UNION ALL
                    SELECT as_of.date, company.id, NULL, 0, 0
                      FROM unnest(%(dates)s::date[]) AS as_of(date)
                      JOIN res_company company ON company.id IN %(company_ids)s
                   ) trend
              JOIN res_company company ON company.id = trend.company_id
            """,
            balances=SQL(" UNION ALL ").join(SQL("(%s)", balance) for balance in balances),
            dates=dates,
            company_ids=company_ids,
        )

    @api.model
    def _ar_action(self, end=None):
        """Window action opening the overdue trend graph ending on ``end`` (default today)."""
        end = end or fields.Date.context_today(self)
        action = self.env["ir.actions.act_window"]._for_xml_id("ar_collections.action_ar_overdue_trend")
        action["context"] = {"ar_trend_date": fields.Date.to_string(end)}
        return action
