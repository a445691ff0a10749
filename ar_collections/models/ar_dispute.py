from odoo import api, fields, models

OPEN_STAGES = ("new", "review")


class ArDispute(models.Model):
    """A customer disputes invoices: while it is open, they are not chased."""

    _name = "ar.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin", "ar.customer.invoices.mixin"]
    _order = "id desc"
    reason = fields.Selection([
        ("pricing", "Wrong price or quantity"),
        ("quality", "Goods or service not as agreed"),
        ("not_received", "Not received"),
        ("duplicate", "Invoiced twice"),
        ("other", "Other"),
    ], required=True, default="other", tracking=True)
    description = fields.Text()
    user_id = fields.Many2one("res.users", string="Owner", default=lambda self: self.env.user, tracking=True,
                              domain="[('share', '=', False)]")
    stage = fields.Selection([
        ("new", "New"),
        ("review", "Under review"),
        ("resolved_credit", "Resolved: credit note"),
        ("resolved_rejected", "Resolved: rejected"),
        ("cancelled", "Cancelled"),
    ], required=True, default="new", tracking=True, index=True)
    is_open = fields.Boolean(compute="_compute_is_open", store=True, index=True)

    @api.depends("stage")
    def _compute_is_open(self):
        for dispute in self:
            dispute.is_open = dispute.stage in OPEN_STAGES

    @api.depends("partner_id", "invoice_ids")
    def _compute_display_name(self):
        for dispute in self:
            invoices = ", ".join(dispute.invoice_ids.mapped("name"))
            dispute.display_name = f"{dispute.partner_id.name or ''}: {invoices}" if invoices else dispute.partner_id.name

    def action_review(self):
        self.write({"stage": "review"})

    def action_resolve_credit(self):
        self.write({"stage": "resolved_credit"})

    def action_resolve_rejected(self):
        self.write({"stage": "resolved_rejected"})

    def action_cancel(self):
        self.write({"stage": "cancelled"})

    def action_reopen(self):
        self.write({"stage": "new"})
