from odoo import api, fields, models
from odoo.tools import SQL

from .ar_aging_report import OPEN_LINES_DEPENDS, open_balances_sql


class ArOverdueBalance(models.Model):
    """Open and overdue receivable per customer at the past month ends of the overdue trend,
    as last computed (the running totals of ``open_balances_sql``: seconds on a large book).

    The trend reads these month ends and computes only its last date (today) live, from the
    open items: a payment or invoice posted since the refresh shows there at once; an entry
    dated in a past month changes that month from the next refresh (the hourly refresh of
    the dashboard's figures). A month end not stored yet (a new month, a new database) is
    computed live by the trend. Each stored (company, month end) has a row without customer
    and with zero amounts: it tells a month end stored without any receivable from one not
    stored."""

    _name = "ar.overdue.balance"
    _description = "Month-end Receivable Balance"
    _order = "date, company_id, partner_id"
    _rec_name = "date"

    date = fields.Date(string="Month end", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", ondelete="cascade", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    open_amount = fields.Monetary(string="Open receivable", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)

    _sql_constraints = [
        ("company_date_partner_uniq", "UNIQUE NULLS NOT DISTINCT (company_id, date, partner_id)",
         "One balance per customer, company and month end."),
    ]

    @api.model
    def _ar_store(self, companies, end=None):
        """Compute and store the past month ends of the trend ending on ``end`` (default each
        company's today) of ``companies``, in place of the stored ones; older months are
        forgotten."""
        trend = self.env["ar.overdue.trend"]
        for company in companies:
            dates = trend._ar_trend_dates(end or fields.Date.context_today(self.with_company(company)))[:-1]
            for model, names in OPEN_LINES_DEPENDS.items():
                self.env[model].flush_model(names)
            self.env.cr.execute(SQL(
                "DELETE FROM ar_overdue_balance WHERE company_id = %s AND (date = ANY(%s::date[]) OR date < %s)",
                company.id, dates, dates[0]))
            # raw SQL: some 60,000 rows on the 100,000-invoice book
            self.env.cr.execute(SQL(
                """
                WITH balance AS (%(balances)s)
                INSERT INTO ar_overdue_balance (date, company_id, partner_id, open_amount, overdue_amount,
                                                create_uid, create_date, write_uid, write_date)
                SELECT balance.date, balance.company_id, balance.partner_id, balance.open_amount,
                       balance.overdue_amount, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM balance
             UNION ALL
                SELECT as_of.date, %(company_id)s, NULL, 0, 0, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(dates)s::date[]) AS as_of(date)
                    -- the stored month end's row, unless it has receivable without customer
                 WHERE NOT EXISTS (SELECT 1 FROM balance
                                    WHERE balance.partner_id IS NULL AND balance.date = as_of.date)
                """,
                uid=self.env.uid,
                now=fields.Datetime.now(),
                balances=open_balances_sql(dates, (company.id,)),
                company_id=company.id,
                dates=dates,
            ))
        self.invalidate_model()

    @api.model
    def _ar_stored_dates(self, dates, company_ids):
        """The ones of ``dates`` stored for every company of ``company_ids``."""
        self.flush_model()
        rows = self.env.execute_query(SQL(
            """SELECT date FROM ar_overdue_balance
                WHERE company_id IN %s AND date = ANY(%s::date[]) AND partner_id IS NULL
             GROUP BY date HAVING COUNT(DISTINCT company_id) = %s""",
            tuple(company_ids), list(dates), len(set(company_ids))))
        return {date for [date] in rows}
