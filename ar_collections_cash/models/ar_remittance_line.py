from odoo import fields, models


class ArRemittanceLine(models.Model):
    """One invoice of a remittance advice."""

    _name = "ar.remittance.line"
    _description = "Remittance advice line"
    _order = "remittance_id, sequence, id"

    remittance_id = fields.Many2one("ar.remittance", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="remittance_id.company_id", store=True)
    currency_id = fields.Many2one(related="remittance_id.currency_id")
    invoice_ref = fields.Char(string="Invoice number (as sent)", required=True)
    move_id = fields.Many2one("account.move", string="Invoice", index=True, ondelete="set null",
                              domain="[('move_type', '=', 'out_invoice'), ('company_id', '=', company_id)]")
    amount = fields.Monetary(required=True)
