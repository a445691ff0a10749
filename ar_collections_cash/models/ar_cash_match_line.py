from odoo import fields, models


class ArCashMatchLine(models.Model):
    """One invoice of a proposed or applied cash match, with the share of the bank line it gets."""

    _name = "ar.cash.match.line"
    _description = "Cash match: invoice share"
    _order = "match_id, sequence, id"

    match_id = fields.Many2one("ar.cash.match", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="match_id.company_id", store=True, index=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade", index=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_refund')), ('company_id', '=', company_id)]",
    )
    partner_id = fields.Many2one(related="move_id.commercial_partner_id", string="Customer")
    invoice_date_due = fields.Date(related="move_id.invoice_date_due")
    invoice_currency_id = fields.Many2one(related="move_id.currency_id", string="Invoice currency")
    invoice_residual = fields.Monetary(
        related="move_id.amount_residual", currency_field="invoice_currency_id", string="Left to pay")
    currency_id = fields.Many2one(related="match_id.currency_id")
    amount = fields.Monetary(
        string="Applied", currency_field="currency_id",
        help="Part of the bank line applied to this invoice, in the bank line's currency.",
    )
    discount_amount = fields.Monetary(
        string="Early-payment discount", currency_field="invoice_currency_id",
        help="Discount of the invoice's payment terms granted because the customer paid in time.",
    )
    disputed = fields.Boolean(
        help="The invoice has an open dispute: only a collections manager may apply this match.")
