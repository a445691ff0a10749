from datetime import timedelta

from odoo import api, models

# The dashboard's match rate is over the bank lines of this many days.
MATCH_RATE_DAYS = 90


class ArCollectionsDashboard(models.TransientModel):
    _inherit = "ar.collections.dashboard"

    @api.model
    def _ar_dashboard_cards(self, company, as_of):
        """The match rate: share of the bank lines of the last 90 days applied without a
        person (``ar.cash.match.report._ar_match_rate``)."""
        cards = super()._ar_dashboard_cards(company, as_of)
        rate = self.env["ar.cash.match.report"].with_company(company).with_context(
            allowed_company_ids=company.ids)._ar_match_rate(as_of - timedelta(days=MATCH_RATE_DAYS - 1), as_of)
        if rate["lines"]:
            cards.append({
                "key": "match_rate",
                "label": self.env._("Match rate"),
                "value": rate["automatic_rate"],
                "unit": "%",
                "help": self.env._("%(lines)s bank lines in %(days)s days, %(queued)s queued",
                                   lines=rate["lines"], days=MATCH_RATE_DAYS, queued=rate["queued"]),
                "action": "ar_collections_cash.action_ar_cash_match_report",
            })
        return cards
