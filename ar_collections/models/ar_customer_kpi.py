from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, date_utils, format_date, format_datetime

from ..report.ar_aging_report import AGING_BUCKETS, OPEN_LINES_DEPENDS, aging_bucket_sql, open_balances_sql

# The countback walks back at most this many months; a balance older than that
# gets the days of the whole span.
DSO_MAX_MONTHS = 24
CEI_MONTHS = 3
PAID_WINDOW_DAYS = 365
# Stored KPI rows computed longer ago than this are deleted by the refresh cron.
KPI_KEEP_DAYS = 7
AGING_BUCKET_KEYS = [key for key, _label in AGING_BUCKETS]


def period_ends(as_of, count):
    """``[E0, E1, ..., Ecount]``: E0 = ``as_of``, Ek = ``as_of`` minus k months;
    when ``as_of`` is a month end every Ek is one too (30 June, 31 May, 30 April...).
    Period k is (Ek, Ek-1]."""
    month_end = as_of == date_utils.end_of(as_of, "month")
    ends = []
    for months in range(count + 1):
        end = as_of - relativedelta(months=months)
        ends.append(date_utils.end_of(end, "month") if month_end else end)
    return ends


def dso_countback(balance, sales, days):
    """Days sales outstanding, countback method.

    Walk back period by period from the most recent one: while the receivable
    balance left exceeds the period's credit sales, the whole period counts and its
    sales are taken off the balance; the period that exhausts the balance counts
    for the fraction ``balance left / sales of the period`` of its days.

    :param balance: receivable balance at the end of the first period
    :param sales: credit sales of each period, most recent first
    :param days: length in days of each period
    :return: DSO in days (0 without receivable; all the days if never exhausted)
    """
    if balance <= 0:
        return 0.0
    dso = 0.0
    for period_sales, period_days in zip(sales, days, strict=True):
        if period_sales > 0 and balance <= period_sales:
            return dso + period_days * balance / period_sales
        dso += period_days
        balance -= period_sales
    return dso


def collection_effectiveness(beginning, sales, ending_total, ending_current):
    """CEI in percent: (beginning receivables + credit sales - ending total receivables)
    / (beginning receivables + credit sales - ending current receivables) x 100;
    0 when nothing was collectible in the period."""
    collectible = beginning + sales - ending_current
    if collectible <= 0:
        return 0.0
    return (beginning + sales - ending_total) / collectible * 100.0


class ArCustomerKpi(models.Model):
    """Collection KPIs of each customer as of a date, in company currency: open and
    overdue receivable, % overdue, DSO (countback), CEI, average days to pay and
    beyond terms. The computation (:meth:`_ar_compute_kpis`) also gives the company figures.

    Rows are stored per company and date (:meth:`_ar_store_kpis`, seconds on a large book)
    and kept: :meth:`action_open_customer_kpi` opens the rows last computed, with their time;
    the hourly cron and the list's "Refresh" button compute them again."""

    _name = "ar.customer.kpi"
    _description = "Customer Collection KPIs"
    _order = "overdue_amount desc, open_amount desc, id"
    _rec_name = "partner_id"

    date = fields.Date(string="As of", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    open_amount = fields.Monetary(string="Open receivable", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
    overdue_pct = fields.Float(string="% overdue", readonly=True, aggregator="avg",
                               help="Overdue receivable / open receivable.")
    dso = fields.Float(string="DSO (days)", readonly=True, aggregator="avg",
                       help="Days sales outstanding, countback method: the open receivable is matched "
                            "against the credit sales of the most recent months, month by month.")
    cei = fields.Float(string="CEI (%)", readonly=True, aggregator="avg",
                       help="Collection effectiveness index over the last three months: share of what "
                            "could be collected that was collected.")
    credit_sales = fields.Monetary(string="Credit sales (3 months)", readonly=True)
    avg_days_to_pay = fields.Float(string="Avg days to pay", readonly=True, aggregator="avg",
                                   help="Payment date minus invoice date, over the invoices paid in the "
                                        "last 365 days.")
    avg_days_beyond_terms = fields.Float(string="Avg days beyond terms", readonly=True, aggregator="avg",
                                         help="Payment date minus due date (0 when paid on time), over the "
                                              "invoices paid in the last 365 days.")
    paid_invoice_count = fields.Integer(string="Invoices paid (365 days)", readonly=True)
    computed_at = fields.Datetime(string="Computed at", readonly=True)

    # ------------------------------------------------------------------
    # Computation
    # ------------------------------------------------------------------

    @api.model
    def _ar_compute_kpis(self, as_of=None, companies=None):
        """KPIs of every customer of ``companies`` (default: the allowed companies)
        and of each company as a whole, as of ``as_of`` (default today).

        :return: {(company id, partner id or False for the company): {open_amount,
            overdue_amount, overdue_pct, dso, cei, credit_sales, avg_days_to_pay,
            avg_days_beyond_terms, paid_invoice_count}}
        """
        as_of = as_of or fields.Date.context_today(self)
        companies = companies or self.env.companies
        ends = period_ends(as_of, DSO_MAX_MONTHS)
        cei_start = ends[CEI_MONTHS]
        period_days = [(ends[k - 1] - ends[k]).days for k in range(1, DSO_MAX_MONTHS + 1)]

        keys = set()
        balances = defaultdict(lambda: defaultdict(float))  # key -> {open, overdue, begin}
        for company_id, partner_id, as_of_date, open_amount, overdue in self._ar_open_balances(
                [cei_start, as_of], companies):
            for key in ((company_id, partner_id), (company_id, False)):
                if as_of_date == as_of:
                    balances[key]["open"] += open_amount
                    balances[key]["overdue"] += overdue
                else:
                    balances[key]["begin"] += open_amount
                keys.add(key)

        sales = defaultdict(lambda: [0.0] * DSO_MAX_MONTHS)
        for company_id, partner_id, period, amount in self._ar_sales_by_period(ends, companies):
            for key in ((company_id, partner_id or False), (company_id, False)):
                sales[key][period] += amount
                keys.add(key)

        payments = defaultdict(lambda: [0, 0, 0])  # key -> [invoices, days to pay, days beyond terms]
        for company_id, partner_id, count, to_pay, beyond in self._ar_paid_invoices(as_of, companies):
            for key in ((company_id, partner_id), (company_id, False)):
                totals = payments[key]
                totals[0] += count
                totals[1] += to_pay
                totals[2] += beyond
                keys.add(key)

        kpis = {}
        for key in keys:
            balance = balances[key]
            open_amount, overdue = balance["open"], balance["overdue"]
            key_sales = sales[key]
            cei_sales = sum(key_sales[:CEI_MONTHS])
            paid_count, to_pay, beyond = payments[key]
            kpis[key] = {
                "open_amount": open_amount,
                "overdue_amount": overdue,
                "overdue_pct": overdue / open_amount * 100.0 if open_amount > 0 else 0.0,
                "dso": dso_countback(open_amount, key_sales, period_days),
                "cei": collection_effectiveness(balance["begin"], cei_sales, open_amount, open_amount - overdue),
                "credit_sales": cei_sales,
                "avg_days_to_pay": to_pay / paid_count if paid_count else 0.0,
                "avg_days_beyond_terms": beyond / paid_count if paid_count else 0.0,
                "paid_invoice_count": paid_count,
            }
        return kpis

    @api.model
    def _ar_company_kpi_dates(self, dates):
        """The dates whose balances :meth:`_ar_company_kpis` needs for ``dates``."""
        return sorted({*dates, *(period_ends(as_of, CEI_MONTHS)[CEI_MONTHS] for as_of in dates)})

    @api.model
    def _ar_company_kpis(self, dates, company, aging=None):
        """The company figures of :meth:`_ar_compute_kpis` as of each of ``dates``, without
        the per-customer work (the dashboard and its trend).

        :param aging: the result of :meth:`_ar_company_aging` for at least
            :meth:`_ar_company_kpi_dates` (computed when not given)
        :return: {date: {open_amount, overdue_amount, overdue_pct, dso, cei, credit_sales}}
        """
        ends_of = {as_of: period_ends(as_of, DSO_MAX_MONTHS) for as_of in dates}
        aging = aging or self._ar_company_aging(self._ar_company_kpi_dates(dates), company)
        balances = {
            as_of: (sum(buckets.values()), sum(amount for key, amount in buckets.items() if key != "not_due"))
            for as_of, buckets in aging.items()
        }
        first = min(ends[-1] for ends in ends_of.values())
        sales_by_day = self.env.execute_query(SQL(
            """
            SELECT line.date, SUM(line.balance)
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
              JOIN account_move move ON move.id = line.move_id
             WHERE line.company_id = %s AND line.parent_state = 'posted'
               AND account.account_type = 'asset_receivable'
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND line.date > %s AND line.date <= %s
          GROUP BY line.date
            """,
            company.id, first, max(dates),
        ))
        kpis = {}
        for as_of, ends in ends_of.items():
            sales = [0.0] * DSO_MAX_MONTHS
            for day, amount in sales_by_day:
                if ends[-1] < day <= as_of:
                    sales[next(k for k in range(DSO_MAX_MONTHS) if day > ends[k + 1])] += amount
            open_amount, overdue = balances[as_of]
            cei_sales = sum(sales[:CEI_MONTHS])
            kpis[as_of] = {
                "open_amount": open_amount,
                "overdue_amount": overdue,
                "overdue_pct": overdue / open_amount * 100.0 if open_amount > 0 else 0.0,
                "dso": dso_countback(open_amount, sales, [(ends[k - 1] - ends[k]).days
                                                          for k in range(1, DSO_MAX_MONTHS + 1)]),
                "cei": collection_effectiveness(balances[ends[CEI_MONTHS]][0], cei_sales, open_amount,
                                                open_amount - overdue),
                "credit_sales": cei_sales,
            }
        return kpis

    @api.model
    def _ar_company_aging(self, dates, company):
        """{date: {aging bucket: amount}} of ``company``'s receivable on each of ``dates``: the
        totals of the aging as of each date, from aggregates by day, which stay cheap on any book.

        An item open on D counts its balance, minus the reconciliations of D or earlier where it
        is the debit, plus those where it is the credit (``open_receivable_lines_sql``). Summed
        per bucket, only the item's dates matter: the balances are grouped by (date, due date),
        the reconciliations by (date, debit's due date, credit's due date)."""
        for model, field_names in OPEN_LINES_DEPENDS.items():
            self.env[model].flush_model(field_names)
        rows = self.env.execute_query(SQL(
            """
            WITH flow AS (
                SELECT line.date, COALESCE(line.date_maturity, line.date) AS maturity, SUM(line.balance) AS amount
                  FROM account_move_line line
                  JOIN account_account account ON account.id = line.account_id
                 WHERE line.company_id = %(company_id)s AND line.parent_state = 'posted'
                   AND account.account_type = 'asset_receivable' AND line.date <= %(last)s
              GROUP BY 1, 2
             UNION ALL
                SELECT partial.max_date, side.maturity, SUM(side.sign * partial.amount)
                  FROM account_partial_reconcile partial
                  JOIN account_move_line debit ON debit.id = partial.debit_move_id
                  JOIN account_move_line credit ON credit.id = partial.credit_move_id
                  JOIN account_account account ON account.id = debit.account_id
                 CROSS JOIN LATERAL (VALUES (-1, COALESCE(debit.date_maturity, debit.date)),
                                            (1, COALESCE(credit.date_maturity, credit.date))) AS side(sign, maturity)
                 WHERE debit.company_id = %(company_id)s AND account.account_type = 'asset_receivable'
                   AND debit.parent_state = 'posted' AND credit.parent_state = 'posted'
                   AND partial.max_date <= %(last)s
              GROUP BY 1, 2
            )
            SELECT as_of.date, %(bucket)s, SUM(flow.amount)
              FROM unnest(%(dates)s::date[]) AS as_of(date)
              JOIN flow ON flow.date <= as_of.date
          GROUP BY 1, 2
            """,
            company_id=company.id, dates=list(dates), last=max(dates),
            bucket=aging_bucket_sql(SQL("(as_of.date - flow.maturity)")),
        ))
        aging = {as_of: dict.fromkeys(AGING_BUCKET_KEYS, 0.0) for as_of in dates}
        for as_of, bucket, amount in rows:
            aging[as_of][bucket] += amount
        return aging

    @api.model
    def _ar_company_payment_delays(self, as_of, company):
        """(average days to pay, average days beyond terms) over the invoices of ``company``
        paid in the ``PAID_WINDOW_DAYS`` days up to ``as_of``."""
        [(to_pay, beyond)] = self.env.execute_query(SQL(
            """
            SELECT AVG(paid_on - invoice_date), AVG(GREATEST(0, paid_on - COALESCE(invoice_date_due, invoice_date)))
              FROM (%s) invoice
             WHERE paid_on > %s AND paid_on <= %s
            """,
            self.env["account.move"]._ar_paid_invoices_query(SQL("move.company_id = %s", company.id)),
            as_of - relativedelta(days=PAID_WINDOW_DAYS), as_of,
        ))
        return float(to_pay or 0.0), float(beyond or 0.0)

    @api.model
    def _ar_open_balances(self, dates, companies):
        """Rows (company id, partner id, date, open, overdue) of the receivable open on
        each of ``dates``, per customer: the sums of ``open_receivable_lines_sql`` per customer.

        One pass over the items still open on the first date and their reconciliations (an
        item's balance counts from its date, each reconciliation from its own date, taken off
        its debit item and added to its credit item), instead of each item on each date."""
        for model, field_names in OPEN_LINES_DEPENDS.items():
            self.env[model].flush_model(field_names)
        return self.env.execute_query(SQL(
            "SELECT company_id, partner_id, date, open_amount, overdue_amount FROM (%s) balance",
            open_balances_sql(dates, companies.ids),
        ))

    @api.model
    def _ar_sales_by_period(self, ends, companies):
        """Rows (company id, customer id, period k, credit sales) of the invoices and credit notes
        dated in period k = (ends[k + 1], ends[k]], for k from 0 to ``DSO_MAX_MONTHS`` - 1."""
        self.env["account.move.line"].flush_model(["account_id", "balance", "company_id", "date", "move_id",
                                                   "parent_state", "partner_id"])
        self.env["account.move"].flush_model(["move_type"])
        return self.env.execute_query(SQL(
            """
            SELECT line.company_id, COALESCE(partner.commercial_partner_id, line.partner_id),
                   (SELECT COUNT(*) FROM unnest(%(bounds)s::date[]) AS bound(date) WHERE bound.date >= line.date),
                   SUM(line.balance)
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
              JOIN account_move move ON move.id = line.move_id
         LEFT JOIN res_partner partner ON partner.id = line.partner_id
             WHERE line.company_id IN %(company_ids)s AND line.parent_state = 'posted'
               AND account.account_type = 'asset_receivable'
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND line.date > %(first)s AND line.date <= %(last)s
          GROUP BY 1, 2, 3
            """,
            bounds=ends[1:], company_ids=tuple(companies.ids), first=ends[-1], last=ends[0],
        ))

    @api.model
    def _ar_paid_invoices(self, as_of, companies):
        """Rows (company id, partner id, invoices, total days to pay, total days beyond terms)
        of the customer invoices fully paid in the ``PAID_WINDOW_DAYS`` days up to ``as_of``;
        an invoice is paid on the date of the last reconciliation that settled it."""
        paid_invoices = self.env["account.move"]._ar_paid_invoices_query(
            SQL("move.company_id IN %s", tuple(companies.ids)))
        return self.env.execute_query(SQL(
            """
            SELECT company_id, partner_id, COUNT(*), SUM(paid_on - invoice_date),
                   SUM(GREATEST(0, paid_on - COALESCE(invoice_date_due, invoice_date)))
              FROM (%s) invoice
             WHERE paid_on > %s AND paid_on <= %s
          GROUP BY company_id, partner_id
            """,
            paid_invoices, as_of - relativedelta(days=PAID_WINDOW_DAYS), as_of,
        ))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.model
    def _ar_store_kpis(self, as_of, companies):
        """Compute the KPIs of the customers of ``companies`` as of ``as_of`` and store them
        in place of the rows of that date."""
        kpis = self._ar_compute_kpis(as_of, companies)
        self.search([("date", "=", as_of), ("company_id", "in", companies.ids)]).unlink()
        now = fields.Datetime.now()
        return self.create([
            {"date": as_of, "company_id": company_id, "partner_id": partner_id, "computed_at": now, **values}
            for (company_id, partner_id), values in kpis.items()
            if partner_id
        ])

    @api.model
    def action_open_customer_kpi(self, as_of=None, companies=None, refresh=False):
        """Open the KPIs of the customers of ``companies`` (default: the allowed companies) as
        of ``as_of`` (default today): the rows last computed for that date, computed first for
        the companies without any or all of them when ``refresh`` is set."""
        as_of = as_of or fields.Date.context_today(self)
        companies = companies or self.env.companies
        domain = [("date", "=", as_of), ("company_id", "in", companies.ids)]
        if not refresh:
            # grouped: the stored rows are one per customer (10,000 on a large book)
            companies -= self.env["res.company"].union(*(company for [company] in self._read_group(domain, ["company_id"])))
        if companies:
            self._ar_store_kpis(as_of, companies)
        oldest = self.search(domain, order="computed_at", limit=1).computed_at
        name = self.env._("Customer KPIs as of %(date)s", date=format_date(self.env, as_of))
        if oldest:
            name = self.env._("%(name)s (computed %(time)s)", name=name,
                              time=format_datetime(self.env, oldest, dt_format="short"))
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": self._name,
            "view_mode": "list,pivot,graph",
            "views": [(False, "list"), (False, "pivot"), (False, "graph")],
            "domain": domain,
            "context": {"create": False, "ar_kpi_date": fields.Date.to_string(as_of)},
        }

    @api.model
    def action_refresh(self):
        """Compute the open list's KPIs again (the date of the action's context) and reopen it."""
        as_of = fields.Date.to_date(self.env.context.get("ar_kpi_date")) or fields.Date.context_today(self)
        return self.action_open_customer_kpi(as_of, refresh=True)

    @api.model
    def _cron_refresh(self):
        """Compute today's KPIs of the companies whose KPIs were opened lately again (a payment
        reaches them within the hour); forget the rows of older computations."""
        self.search([("computed_at", "<", fields.Datetime.now() - timedelta(days=KPI_KEEP_DAYS))]).unlink()
        for company in self.search([]).company_id:
            self.with_company(company)._ar_store_kpis(fields.Date.context_today(self.with_company(company)), company)

    def action_open_aging(self):
        """Open the aging of this customer as of the KPI date."""
        self.ensure_one()
        action = self.env["ar.aging.report"]._ar_action(self.date, view_mode="list")
        action["domain"] = [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id)]
        return action
