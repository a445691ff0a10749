from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError


class ArPaymentPlan(models.Model):
    """Overdue invoices of one customer split into dated instalments.

    Approved by a collections manager, an active plan pauses the reminders of its
    invoices for as long as the customer keeps up: once the amount paid falls behind
    the instalments due (after the grace days), the plan is broken and reminders resume.
    """

    _name = "ar.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "ar.customer.invoices.mixin"]
    _order = "id desc"

    state = fields.Selection([
        ("draft", "Draft"),
        ("to_approve", "To approve"),
        ("active", "Active"),
        ("done", "Completed"),
        ("broken", "Broken"),
        ("cancelled", "Cancelled"),
    ], default="draft", required=True, tracking=True, index=True)
    line_ids = fields.One2many("ar.payment.plan.line", "plan_id", string="Instalments", copy=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_total = fields.Monetary(compute="_compute_amounts", store=True, string="Planned")
    amount_start = fields.Monetary(string="Open when approved", readonly=True, copy=False,
                                   help="Open amount of the invoices (company currency) when the plan was approved.")
    amount_paid = fields.Monetary(compute="_compute_open_and_paid", string="Paid since approval")
    amount_open = fields.Monetary(compute="_compute_open_and_paid", string="Open now",
                                  help="What the invoices still have open (company currency): the instalments must add up to it.")
    grace_days = fields.Integer(default=3)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    date_end = fields.Date(compute="_compute_amounts", store=True, string="Last instalment")

    @api.depends("line_ids.amount", "line_ids.date")
    def _compute_amounts(self):
        for plan in self:
            plan.amount_total = sum(plan.line_ids.mapped("amount"))
            plan.date_end = max(plan.line_ids.mapped("date"), default=False)

    @api.depends("amount_start", "invoice_ids.amount_residual_signed")
    def _compute_open_and_paid(self):
        for plan in self:
            plan.amount_open = sum(plan.invoice_ids.mapped("amount_residual_signed"))
            plan.amount_paid = plan.amount_start - plan.amount_open if plan.amount_start else 0.0

    @api.depends("partner_id", "date_end")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._("%(partner)s: plan to %(date)s", partner=plan.partner_id.name or "",
                                           date=plan.date_end or "…")

    @api.constrains("line_ids", "grace_days")
    def _check_lines(self):
        for plan in self:
            if plan.grace_days < 0:
                raise ValidationError(self.env._("The grace period cannot be negative."))
            if any(line.amount <= 0 for line in plan.line_ids):
                raise ValidationError(self.env._("Every instalment needs a positive amount."))

    def _ar_amount_late(self, today):
        """Instalments whose date plus the grace days is past on ``today`` (company currency)."""
        self.ensure_one()
        grace = timedelta(days=self.grace_days)
        return sum(line.amount for line in self.line_ids if line.date + grace < today)

    def _ar_is_behind(self, today):
        """True when the customer paid less than the instalments already late on ``today``."""
        self.ensure_one()
        return self.currency_id.compare_amounts(self.amount_paid, self._ar_amount_late(today)) < 0

    def action_submit(self):
        """Ask a collections manager to approve the plan."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be submitted."))
            if not plan.line_ids:
                raise UserError(self.env._("Add the instalments before submitting the plan."))
            open_amount = plan.amount_open
            if plan.currency_id.compare_amounts(plan.amount_total, open_amount) != 0:
                raise UserError(self.env._(
                    "The instalments add up to %(planned)s but the invoices have %(open)s open: make them equal.",
                    planned=plan.currency_id.format(plan.amount_total), open=plan.currency_id.format(open_amount)))
        self.write({"state": "to_approve"})

    def action_approve(self):
        """Approve (collections managers only): reminders on the invoices pause while the plan is kept."""
        if not self.env.user.has_group("ar_collections.group_ar_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can approve a payment plan."))
        for plan in self:
            if plan.state != "to_approve":
                raise UserError(self.env._("Only a plan waiting for approval can be approved."))
            plan.write({
                "state": "active",
                "approved_by_id": self.env.uid,
                "amount_start": plan.amount_open,
            })

    def action_cancel(self):
        self.write({"state": "cancelled"})

    def _ar_update_state(self, today=None):
        """Mark active plans broken (behind schedule) or done (invoices paid)."""
        today = today or fields.Date.context_today(self)
        for plan in self.filtered(lambda p: p.state == "active"):
            if all(inv.payment_state in ("paid", "in_payment", "reversed") for inv in plan.invoice_ids):
                plan.state = "done"
            elif plan._ar_is_behind(today):
                plan.state = "broken"
                plan.message_post(body=self.env._("Instalments missed: reminders resume on the plan's invoices."))

    @api.model
    def _cron_update_plans(self):
        """Scheduled action: close kept plans and break missed ones."""
        self.search([("state", "=", "active")])._ar_update_state()
