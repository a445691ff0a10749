from odoo import api, fields, models
from odoo.exceptions import ValidationError

OPEN_STAGES = ("new", "review")


class ArDispute(models.Model):
    """A customer disputes invoices: while it is open, they are not chased."""

    _name = "ar.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True,
                                 domain="[('parent_id', '=', False)]")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices", required=True, check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
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

    @api.constrains("partner_id", "invoice_ids")
    def _check_invoices(self):
        for dispute in self:
            foreign = dispute.invoice_ids.filtered(
                lambda inv, d=dispute: inv.commercial_partner_id != d.partner_id.commercial_partner_id)
            if foreign:
                raise ValidationError(self.env._(
                    "Invoices %(invoices)s are not invoices of %(partner)s.",
                    invoices=", ".join(foreign.mapped("name")), partner=dispute.partner_id.display_name))

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
