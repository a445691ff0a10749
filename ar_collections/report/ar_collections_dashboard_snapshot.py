from datetime import timedelta

from odoo import api, fields, models

# Snapshots older than this are deleted by the refresh cron.
SNAPSHOT_KEEP_DAYS = 7


class ArCollectionsDashboardSnapshot(models.Model):
    """The Collections dashboard's figures as last computed for a company, date and language:
    the dashboard opens on them at once (computing them reads the whole ledger, seconds on a
    large book); refreshed by the hourly cron and by its "Refresh" button."""

    _name = "ar.collections.dashboard.snapshot"
    _description = "Collections Dashboard Figures"
    _order = "computed_at desc, id desc"
    _rec_name = "date"

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    date = fields.Date(string="As of", required=True)
    lang = fields.Char(required=True)
    data = fields.Json(string="Figures")
    computed_at = fields.Datetime(required=True, default=fields.Datetime.now)

    @api.model
    def _ar_get(self, company, as_of, refresh=False):
        """The figures of ``company`` as of ``as_of`` in the user's language, with their
        ``computed_at`` (UTC, as a string): the stored ones, or computed and stored when
        there are none or ``refresh`` is set."""
        lang = self.env.lang or "en_US"
        domain = [("company_id", "=", company.id), ("date", "=", as_of), ("lang", "=", lang)]
        snapshot = self.sudo().search(domain, limit=1)
        if refresh or not snapshot:
            data = self.env["ar.collections.dashboard"]._ar_compute_dashboard(company, as_of)
            self.sudo().search(domain).unlink()
            snapshot = self.sudo().create({"company_id": company.id, "date": as_of, "lang": lang, "data": data})
        return {**snapshot.data, "computed_at": fields.Datetime.to_string(snapshot.computed_at)}

    @api.model
    def _cron_refresh(self):
        """Recompute today's figures of the companies and languages opened lately (a payment
        reaches the dashboard within the hour); forget the older ones. The overdue trend's past
        month ends of every company are stored again too (an entry dated in a past month)."""
        self.env["ar.overdue.balance"]._ar_store(self.env["res.company"].search([]))
        self.search([("computed_at", "<", fields.Datetime.now() - timedelta(days=SNAPSHOT_KEEP_DAYS))]).unlink()
        for company, lang in {(snapshot.company_id, snapshot.lang) for snapshot in self.search([])}:
            self.with_context(lang=lang).with_company(company)._ar_get(
                company, fields.Date.context_today(self.with_company(company)), refresh=True)
