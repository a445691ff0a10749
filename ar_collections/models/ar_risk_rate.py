from odoo import api, fields, models
from odoo.tools import create_unique_index


class ArRiskRate(models.Model):
    """A customer's calibrated risk by days overdue, as learnt by the nightly refresh of the
    predictions: the probability that one of its invoices overdue that long is still unpaid
    in 30 days (``ar.pay.prediction._ar_risk_rates``), one value per bucket of days overdue.

    The worklist reads them instead of learning them from the whole book at each opening:
    every overdue invoice, including one posted since the refresh, scores its customer's
    rate for its days overdue today (a customer without a row of its own: the company's row,
    without ``partner_id``). Payments show at once (the worklist reads the open amounts);
    what they teach about the customer counts from the next refresh.
    """

    _name = "ar.risk.rate"
    _description = "Customer risk by days overdue"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", ondelete="cascade", readonly=True,
                                 help="Commercial partner; empty: the company's rates.")
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", readonly=True)
    date = fields.Date(required=True, readonly=True, help="The day the rates were learnt for.")
    probabilities = fields.Json(readonly=True,
                                help="Calibrated probability of being still unpaid in 30 days, from each "
                                     "bucket of days overdue on (0, 15, 30, 60, 90, 180).")

    def init(self):
        # one row per customer (or none: the company's) and company; also the worklist's lookup
        create_unique_index(self.env.cr, "ar_risk_rate_partner_company_uniq", self._table,
                            ["company_id", "COALESCE(partner_id, 0)"])

    @api.model
    def _ar_store(self, partners, today):
        """Learn and store the rates of ``partners`` (commercial partners) and of every
        company on ``today``; a customer without history loses its row (the company's
        rates apply)."""
        rates = self.env["ar.pay.prediction"]._ar_risk_rates(today, partners.ids)
        company_ids = {company_id for _partner_id, company_id in rates}
        self.sudo().search(["|", ("partner_id", "in", partners.ids),
                            "&", ("partner_id", "=", False), ("company_id", "in", list(company_ids))]).unlink()
        self.sudo().create([{"partner_id": partner_id, "company_id": company_id, "date": today,
                             "probabilities": probabilities}
                            for (partner_id, company_id), probabilities in rates.items()])
