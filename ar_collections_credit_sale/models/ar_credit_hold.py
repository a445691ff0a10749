from odoo import api, fields, models


class ArCreditHold(models.Model):
    _inherit = "ar.credit.hold"

    reason = fields.Selection(
        selection_add=[("limit_orders", "Orders not invoiced over their limit"), ("limit_overdue",)],
        ondelete={"limit_orders": "cascade"},
    )

    @api.model
    def _ar_candidates(self, company):
        """Customers with confirmed orders not fully invoiced may be blocked too."""
        partners = super()._ar_candidates(company)
        invoiced_to = self.env["sale.order"].sudo()._read_group(
            [("company_id", "=", company.id), ("state", "=", "sale"), ("invoice_status", "!=", "invoiced")],
            ["partner_invoice_id"])
        return (partners | self.env["res.partner"].sudo().union(*(partner for [partner] in invoiced_to))) \
            .exists().commercial_partner_id
