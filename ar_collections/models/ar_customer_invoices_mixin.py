from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ArCustomerInvoicesMixin(models.AbstractModel):
    """Something about some posted invoices of one customer (a dispute, a promise)."""

    _name = "ar.customer.invoices.mixin"
    _description = "Invoices of one customer"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True,
                                 domain="[('parent_id', '=', False)]")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices", required=True, check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )

    @api.constrains("partner_id", "invoice_ids")
    def _check_invoices_partner(self):
        for record in self:
            foreign = record.invoice_ids.filtered(
                lambda inv, rec=record: inv.commercial_partner_id != rec.partner_id.commercial_partner_id)
            if foreign:
                raise ValidationError(self.env._(
                    "Invoices %(invoices)s are not invoices of %(partner)s.",
                    invoices=", ".join(foreign.mapped("name")), partner=record.partner_id.display_name))
