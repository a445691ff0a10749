from odoo import api, fields, models


class ArRemittance(models.Model):
    """A customer's remittance advice: which invoices one payment pays, and how much of each.

    Imported from CSV (``ar.remittance.import``); the matcher uses it to split the bank line whose
    reference or amount it matches exactly across the listed invoices.
    """

    _name = "ar.remittance"
    _description = "Remittance advice"
    _order = "date desc, id desc"

    name = fields.Char(string="Payment reference", required=True, index=True,
                       help="The reference the customer put on the payment; found in the bank line's label.")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    date = fields.Date(default=fields.Date.context_today)
    currency_id = fields.Many2one("res.currency", required=True,
                                  default=lambda self: self.env.company.currency_id)
    amount = fields.Monetary(compute="_compute_amount", store=True, string="Total")
    line_ids = fields.One2many("ar.remittance.line", "remittance_id", string="Invoices")
    state = fields.Selection([("open", "Waiting for the payment"), ("matched", "Matched"), ("cancelled", "Cancelled")],
                             default="open", required=True, index=True)
    statement_line_id = fields.Many2one("account.bank.statement.line", string="Bank line", readonly=True,
                                        index="btree_not_null", ondelete="set null")
    file_name = fields.Char(string="Imported from", readonly=True)

    @api.depends("line_ids.amount")
    def _compute_amount(self):
        for remittance in self:
            remittance.amount = sum(remittance.line_ids.mapped("amount"))

    def action_cancel(self):
        """Stop using this advice for matching."""
        self.filtered(lambda r: r.state == "open").state = "cancelled"
