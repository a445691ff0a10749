from collections import defaultdict

from odoo import api, fields, models

ONLINE_PAYMENT_STATES = ("authorized", "done")
# What changes a customer's exposure or overdue invoices (the collections fields written on
# invoices by the reminders do not)
HOLD_INPUT_FIELDS = {
    "state", "partner_id", "commercial_partner_id", "invoice_line_ids", "line_ids", "currency_id", "company_id",
    "move_type", "invoice_date", "invoice_date_due", "invoice_payment_term_id",
}


class AccountMove(models.Model):
    _inherit = "account.move"

    ar_credit_available = fields.Monetary(
        string="Available credit", compute="_compute_ar_credit_available", currency_field="ar_credit_currency_id",
        groups="base.group_user",
        help="The customer's credit limit less its exposure (company currency). Empty: no limit.",
    )
    ar_credit_currency_id = fields.Many2one("res.currency", compute="_compute_ar_credit_available",
                                            groups="base.group_user")
    ar_credit_has_limit = fields.Boolean(compute="_compute_ar_credit_available", groups="base.group_user")

    @api.depends("partner_id", "state", "amount_total")
    def _compute_ar_credit_available(self):
        self.ar_credit_available = 0.0
        self.ar_credit_has_limit = False
        for move in self:
            move.ar_credit_currency_id = move.company_id.currency_id
        customer_moves = self.filtered(lambda move: move.is_sale_document() and move.commercial_partner_id)
        for company, moves in customer_moves.grouped("company_id").items():
            partners = moves.commercial_partner_id.sudo()
            exposure = partners._ar_credit_exposure(company)
            limits = partners._ar_credit_limits(company)
            for move in moves:
                limit = limits[move.commercial_partner_id.id]
                move.ar_credit_has_limit = bool(limit)
                move.ar_credit_available = limit - exposure[move.commercial_partner_id.id]["total"] if limit else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves._ar_credit_refresh_holds_later()
        return moves

    def write(self, vals):
        if not HOLD_INPUT_FIELDS.intersection(vals):
            return super().write(vals)
        # the customer before (a partner changed on a draft) and after the write
        self._ar_credit_refresh_holds_later(posting="state" in vals)
        result = super().write(vals)
        self._ar_credit_refresh_holds_later(posting="state" in vals)
        return result

    def unlink(self):
        self._ar_credit_refresh_holds_later()
        return super().unlink()

    def _ar_credit_refresh_holds_later(self, posting=False):
        """Customer invoices change their customer's exposure; payments and other entries when posted."""
        moves = self.filtered(lambda move: move.is_sale_document() or (posting and move.partner_id))
        for company, company_moves in moves.grouped("company_id").items():
            self.env["ar.credit.hold"]._ar_refresh_later(company_moves.commercial_partner_id, company)

    def _ar_credit_bucket(self):
        """Where the amount of the invoices being posted goes in the exposure: the open invoices."""
        return "open"

    def _ar_credit_exempt(self):
        """Invoices of an online payment (portal) are never blocked."""
        return self.filtered(lambda move: any(tx.state in ONLINE_PAYMENT_STATES for tx in move._ar_credit_transactions()))

    def _ar_credit_transactions(self):
        """The online payments of this invoice (the Sales bridge adds those of its orders)."""
        self.ensure_one()
        return self.sudo().transaction_ids

    def _post(self, soft=True):
        to_check = self.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "draft"
            and move.company_id.ar_credit_check_invoice
        )
        to_check -= to_check._ar_credit_exempt()
        for company, moves in to_check.grouped("company_id").items():
            amounts, names = defaultdict(float), defaultdict(list)
            for move in moves:
                amounts[move.commercial_partner_id.id] += move.amount_total_signed
                names[move.commercial_partner_id.id].append(move.display_name)
            labels = {
                partner_id: ", ".join(invoice_names)
                for partner_id, invoice_names in names.items()
            }
            moves.commercial_partner_id._ar_credit_enforce(company, dict(amounts), labels, moves, exclude_moves=moves)
        return super()._post(soft=soft)

    def _ar_credit_action(self):
        """What the credit check stops, for its messages."""
        return self.env._("posting the invoice")
