import math

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ar_collections.const import OPEN_PAYMENT_STATES


class ArCashMatchSplit(models.TransientModel):
    """Split one incoming bank line across open invoices by hand, when the matcher's
    suggestions are not right: what is not applied stays as customer credit."""

    _name = "ar.cash.match.split"
    _description = "Split a payment across invoices"

    statement_line_id = fields.Many2one("account.bank.statement.line", string="Bank line", required=True,
                                        readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="statement_line_id.company_id")
    date = fields.Date(related="statement_line_id.date")
    payment_ref = fields.Char(related="statement_line_id.payment_ref")
    partner_id = fields.Many2one(related="statement_line_id.partner_id", string="Customer on the line")
    currency_id = fields.Many2one("res.currency", compute="_compute_received")
    amount = fields.Monetary(string="Received", compute="_compute_received",
                             help="Amount of the bank line, in its transaction currency.")
    line_ids = fields.One2many("ar.cash.match.split.line", "wizard_id", string="Invoices")
    allocated_amount = fields.Monetary(string="Applied to invoices", compute="_compute_remainder")
    remainder = fields.Monetary(string="Left as customer credit", compute="_compute_remainder",
                                help="What the bank line brings beyond the invoices: it stays as the customer's credit.")

    @api.depends("statement_line_id")
    def _compute_received(self):
        for wizard in self:
            # as the matcher sees it: the transaction currency when the bank gave one
            wizard.currency_id, wizard.amount = wizard.statement_line_id._ar_received() \
                if wizard.statement_line_id else (False, 0.0)

    @api.depends("amount", "line_ids.amount")
    def _compute_remainder(self):
        for wizard in self:
            wizard.allocated_amount = sum(wizard.line_ids.mapped("amount"))
            wizard.remainder = wizard.amount - wizard.allocated_amount

    @api.model
    def default_get(self, fields_list):
        """Prefill the invoices from the suggestion in ``default_match_id`` (context), if any."""
        values = super().default_get(fields_list)
        match_id = self.env.context.get("default_match_id")
        if match_id and "line_ids" in fields_list and not values.get("line_ids"):
            match = self.env["ar.cash.match"].browse(match_id).exists()
            if match and match.statement_line_id.id == values.get("statement_line_id"):
                values["line_ids"] = [fields.Command.create({"move_id": line.move_id.id, "amount": line.amount})
                                      for line in match.line_ids]
        return values

    def action_apply(self):
        """Apply the bank line to the invoices as split here; the rest stays as customer credit."""
        self.ensure_one()
        self._ar_check()
        self.env["ar.cash.match"]._ar_create_manual(
            self.statement_line_id, [(line.move_id, line.amount) for line in self.line_ids])
        return {"type": "ir.actions.act_window_close"}

    def _ar_check(self):
        st_line = self.statement_line_id
        st_line._ar_check_can_match()
        currency = self.currency_id
        if not self.line_ids:
            raise UserError(self.env._("Add at least one invoice the payment is for."))
        seen = set()
        for line in self.line_ids:
            move = line.move_id
            if not math.isfinite(line.amount) or currency.compare_amounts(line.amount, 0) <= 0:
                raise UserError(self.env._("Enter an amount above zero for %(invoice)s.", invoice=move.display_name))
            if move.id in seen:
                raise UserError(self.env._("%(invoice)s is listed twice: put its whole amount on one line.",
                                           invoice=move.display_name))
            seen.add(move.id)
            if move.company_id != st_line.company_id:
                raise UserError(self.env._("%(invoice)s is not an invoice of %(company)s, the company of the bank line.",
                                           invoice=move.display_name, company=st_line.company_id.name))
            if move.move_type != "out_invoice" or move.state != "posted" \
                    or move.payment_state not in OPEN_PAYMENT_STATES:
                raise UserError(self.env._("%(invoice)s is not an open customer invoice.",
                                           invoice=move.display_name))
            if move.currency_id == currency and currency.compare_amounts(line.amount, move.amount_residual) > 0:
                raise UserError(self.env._(
                    "%(amount)s for %(invoice)s is more than is left to pay on it (%(residual)s): "
                    "leave the difference as customer credit.", amount=currency.format(line.amount),
                    invoice=move.display_name, residual=currency.format(move.amount_residual)))
        if currency.compare_amounts(self.allocated_amount, self.amount) > 0:
            raise UserError(self.env._(
                "The invoices get %(allocated)s but the bank line brings %(received)s.",
                allocated=currency.format(self.allocated_amount), received=currency.format(self.amount)))


class ArCashMatchSplitLine(models.TransientModel):
    _name = "ar.cash.match.split.line"
    _description = "Split a payment: one invoice"

    wizard_id = fields.Many2one("ar.cash.match.split", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="wizard_id.company_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True,
        domain="[('company_id', '=', company_id), ('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
               "('payment_state', 'in', ('not_paid', 'partial'))]")
    partner_id = fields.Many2one(related="move_id.commercial_partner_id", string="Customer")
    invoice_date_due = fields.Date(related="move_id.invoice_date_due")
    invoice_currency_id = fields.Many2one(related="move_id.currency_id", string="Invoice currency")
    amount_residual = fields.Monetary(related="move_id.amount_residual", currency_field="invoice_currency_id",
                                      string="Left to pay")
    amount = fields.Monetary(string="Applied", currency_field="currency_id",
                             help="Part of the bank line applied to this invoice, in the bank line's currency.")

    @api.onchange("move_id")
    def _onchange_move_id(self):
        """Propose what is left to pay on the invoice, at most what is left of the bank line."""
        wizard = self.wizard_id
        if not self.move_id or not wizard.currency_id:
            return
        residual = self.move_id.currency_id._convert(
            self.move_id.amount_residual, wizard.currency_id, wizard.company_id or self.move_id.company_id,
            wizard.date or fields.Date.context_today(self))
        others = sum((wizard.line_ids - self).mapped("amount"))
        left = wizard.amount - others
        self.amount = max(0.0, min(residual, left))
