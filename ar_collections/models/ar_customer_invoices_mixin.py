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
            record._ar_check_customer_invoices()

    def _ar_check_customer_invoices(self):
        """Raise unless the invoices are posted customer invoices of the record's customer.

        Also called first by the amount checks of the models, so that a user sees the
        wrong invoice rather than the amount it led to.
        """
        self.ensure_one()
        if not self.invoice_ids:
            raise ValidationError(self.env._("Choose at least one invoice of %(partner)s.",
                                             partner=self.partner_id.display_name))
        # vendor bills, credit notes, draft and cancelled invoices: the form's domain is only a hint
        wrong = self.invoice_ids.filtered(lambda inv: inv.move_type != "out_invoice" or inv.state != "posted")
        if wrong:
            raise ValidationError(self.env._(
                "Only posted customer invoices can be chosen, not %(invoices)s.",
                invoices=", ".join(wrong.mapped("display_name"))))
        foreign = self.invoice_ids.filtered(
            lambda inv: inv.commercial_partner_id != self.partner_id.commercial_partner_id)
        if foreign:
            raise ValidationError(self.env._(
                "Invoices %(invoices)s are not invoices of %(partner)s.",
                invoices=", ".join(foreign.mapped("name")), partner=self.partner_id.display_name))
