from odoo import api, fields, models
from odoo.tools import format_date

from .ar_aging_report import AGING_BUCKETS

TOP_RISKS = 5
KPI_FIELDS = (
    "open_amount", "overdue_amount", "overdue_pct", "dso", "cei", "avg_days_to_pay", "avg_days_beyond_terms",
)


class ArCollectionsDashboard(models.TransientModel):
    """The accountant's collections dashboard: the company's receivable KPIs as of a
    date, the aging buckets, and the way to the aging, the customer KPIs and the
    overdue trend."""

    _name = "ar.collections.dashboard"
    _description = "Collections Dashboard"
    _rec_name = "date"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="As of", required=True, default=fields.Date.context_today)
    open_amount = fields.Monetary(string="Open receivable", compute="_compute_kpis")
    overdue_amount = fields.Monetary(string="Overdue", compute="_compute_kpis")
    overdue_pct = fields.Float(string="% overdue", compute="_compute_kpis")
    dso = fields.Float(string="DSO (days)", compute="_compute_kpis",
                       help="Days sales outstanding, countback method over the last months' credit sales.")
    cei = fields.Float(string="CEI (%)", compute="_compute_kpis",
                       help="Collection effectiveness index over the last three months.")
    avg_days_to_pay = fields.Float(string="Avg days to pay", compute="_compute_kpis",
                                   help="Over the invoices paid in the last 365 days.")
    avg_days_beyond_terms = fields.Float(string="Avg days beyond terms", compute="_compute_kpis",
                                         help="Over the invoices paid in the last 365 days.")
    amount_not_due = fields.Monetary(string="Not due", compute="_compute_kpis")
    amount_1_30 = fields.Monetary(string="1-30 days", compute="_compute_kpis")
    amount_31_60 = fields.Monetary(string="31-60 days", compute="_compute_kpis")
    amount_61_90 = fields.Monetary(string="61-90 days", compute="_compute_kpis")
    amount_90_plus = fields.Monetary(string="90+ days", compute="_compute_kpis")

    @api.depends("company_id", "date")
    def _compute_kpis(self):
        for dashboard in self:
            company, as_of = dashboard.company_id, dashboard.date or fields.Date.context_today(self)
            values = dashboard._ar_figures([as_of], company)[as_of]
            dashboard.update({name: values[name] for name in KPI_FIELDS})
            dashboard.update({f"amount_{key}": values["aging"][key] for key, _label in AGING_BUCKETS})

    @api.model
    def _ar_figures(self, dates, company):
        """{date: the dashboard's KPIs and aging of ``company`` on that date}; the payment delays
        only for the last date. Company totals from aggregates (ar.customer.kpi's
        ``_ar_company_*``): no per-customer or per-invoice work, under a second on any book."""
        Kpi = self.env["ar.customer.kpi"]
        # one pass over the ledger for the aging and the balances the KPIs need
        aging = Kpi._ar_company_aging(Kpi._ar_company_kpi_dates(dates), company)
        kpis = Kpi._ar_company_kpis(dates, company, aging=aging)
        last = max(dates)
        for as_of, values in kpis.items():
            values["aging"] = aging[as_of]
            values["avg_days_to_pay"] = values["avg_days_beyond_terms"] = 0.0
        kpis[last]["avg_days_to_pay"], kpis[last]["avg_days_beyond_terms"] = Kpi._ar_company_payment_delays(
            last, company)
        return kpis

    @api.model
    def retrieve_dashboard(self, as_of=None, refresh=False):
        """Everything the Collections dashboard (client action ``ar_collections.dashboard``)
        shows, for the current company, in one call (:meth:`_ar_compute_dashboard`), from the
        figures last computed for that date (``computed_at``), computed now when there are
        none or ``refresh`` is set."""
        as_of = fields.Date.to_date(as_of) or fields.Date.context_today(self)
        return self.env["ar.collections.dashboard.snapshot"]._ar_get(self.env.company, as_of, refresh=refresh)

    @api.model
    def _ar_compute_dashboard(self, company, as_of):
        """The dashboard's figures of ``company``: KPIs as of ``as_of``, aging, twelve-month
        trend of overdue, DSO and CEI, top risks, cash-in forecast and the cards the add-ons
        contribute (:meth:`_ar_dashboard_cards`)."""
        dates = self.env["ar.overdue.trend"]._ar_trend_dates(as_of)
        figures = self._ar_figures(dates, company)
        today = figures[as_of]
        return {
            "as_of": fields.Date.to_string(as_of),
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "kpis": {name: today[name] for name in KPI_FIELDS},
            "aging": [{"key": key, "label": label, "amount": today["aging"][key]} for key, label in AGING_BUCKETS],
            "trend": [{
                "date": fields.Date.to_string(day),
                "label": format_date(self.env, day, date_format="MMM yy"),
                "open_amount": figures[day]["open_amount"],
                "overdue_amount": figures[day]["overdue_amount"],
                "dso": figures[day]["dso"],
                "cei": figures[day]["cei"],
            } for day in dates],
            "top_risks": self._ar_top_risks(company),
            "forecast": self._ar_forecast(company),
            "cards": self._ar_dashboard_cards(company, as_of),
        }

    @api.model
    def _ar_top_risks(self, company, limit=TOP_RISKS):
        """The first customers of the worklist, by its own ranking (amount at risk)."""
        worklist = self.env["ar.worklist"]
        fnames = [name for name in ("partner_id", "overdue_amount", "amount_at_risk", "expected_loss", "risk_band",
                                    "oldest_days_overdue") if name in worklist._fields]
        rows = worklist.search_read([("company_id", "=", company.id)], fnames, limit=limit)
        bands = dict(worklist._fields["risk_band"]._description_selection(self.env)) \
            if "risk_band" in worklist._fields else {}
        for row in rows:
            row["partner_id"], row["partner_name"] = row["partner_id"] or (False, "")
            if "expected_loss" in row:  # the worklist's measure before the calibrated risk
                row.setdefault("amount_at_risk", row.pop("expected_loss"))
            row["risk_label"] = bands.get(row.get("risk_band"), "")
        return rows

    @api.model
    def _ar_forecast(self, company):
        """The cash-in forecast by week (and the forecast's other buckets), labelled for the chart."""
        Forecast = self.env["ar.cash.forecast"]
        buckets = dict(Forecast._fields["bucket"]._description_selection(self.env))
        return [{
            "label": format_date(self.env, row["week_start"], date_format="dd MMM") if row.get("week_start")
            else buckets.get(row.get("bucket", "past"), ""),
            "amount": row["amount"],
        } for row in Forecast._ar_weekly_forecast(company)]

    @api.model
    def _ar_dashboard_cards(self, company, as_of):
        """Hook: extra figures of the add-ons on the dashboard, each a dict ``{"key", "label",
        "value", "unit" ("%", "days", "amount" or "count"), "help", "action" (optional xml id
        of an action to open)}``; ar_collections_cash adds the statement lines' match rate."""
        return []

    @api.model
    def action_open_dashboard(self):
        """Open the dashboard of the current company as of today."""
        dashboard = self.create({})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Collections Dashboard"),
            "res_model": self._name,
            "res_id": dashboard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_open_aging(self):
        """The aging pivot as of the dashboard date."""
        self.ensure_one()
        action = self.env["ar.aging.report"]._ar_action(self.date)
        action["domain"] = [("company_id", "=", self.company_id.id)]
        return action

    def action_open_customer_kpi(self):
        """The per-customer KPIs as of the dashboard date."""
        self.ensure_one()
        return self.env["ar.customer.kpi"].action_open_customer_kpi(self.date, self.company_id)

    def action_open_overdue_trend(self):
        """The overdue receivable at each month end of the last twelve months."""
        self.ensure_one()
        action = self.env["ar.overdue.trend"]._ar_action(self.date)
        action["domain"] = [("company_id", "=", self.company_id.id)]
        return action
