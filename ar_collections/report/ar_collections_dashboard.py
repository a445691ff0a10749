from odoo import api, fields, models

from .ar_aging_report import AGING_BUCKETS

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
            kpis = self.env["ar.customer.kpi"]._ar_compute_kpis(as_of, company).get((company.id, False), {})
            buckets = dict(self.env["ar.aging.report"].with_context(
                ar_aging_date=fields.Date.to_string(as_of), allowed_company_ids=company.ids,
            )._read_group([("company_id", "=", company.id)], ["aging_bucket"], ["amount_residual:sum"]))
            values = {name: kpis.get(name, 0.0) for name in KPI_FIELDS}
            values.update({f"amount_{key}": buckets.get(key, 0.0) for key, _label in AGING_BUCKETS})
            dashboard.update(values)

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
