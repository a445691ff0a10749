from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression

OPEN_STAGES = ("new", "review")
# Disputes escalated per scheduler call.
BATCH_SIZE = 200


def add_business_days(start, days):
    """``start`` plus ``days`` working days, Saturdays and Sundays skipped."""
    date = start
    while days > 0:
        date += timedelta(days=1)
        if date.weekday() < 5:
            days -= 1
    return date


class ArDispute(models.Model):
    """A customer disputes invoices (whole or an amount): while it is open, they are not chased.

    It must be resolved within the company's SLA (business days): past it, the scheduler
    escalates it once to the collections manager, and once more to a configurable person
    after the second escalation delay. Resolving it with a credit note drafts the credit
    note for the disputed amount.
    """

    _name = "ar.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin", "ar.customer.invoices.mixin", "ar.system.fields.mixin",
                "ar.pause.source.mixin"]
    _order = "id desc"
    _ar_pause_sequence = 10
    _ar_system_fields = ("stage", "is_open", "date_opened", "sla_deadline", "sla_breached", "sla_escalation",
                         "credit_note_id")
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
    ], required=True, default="new", readonly=True, tracking=True, index=True)
    is_open = fields.Boolean(compute="_compute_is_open", store=True, index=True)
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", store=True)
    amount = fields.Monetary(
        string="Disputed amount", compute="_compute_amount", store=True, readonly=False, precompute=True,
        tracking=True, currency_field="currency_id",
        help="Part of the invoices' open amount the customer disputes; all of it by default.")
    attachment_ids = fields.Many2many(
        "ir.attachment", "ar_dispute_ir_attachment_rel", "dispute_id", "attachment_id", string="Attachments",
        help="The customer's evidence: photos, delivery notes, emails.")
    date_opened = fields.Date(string="Opened on", readonly=True, copy=False, default=fields.Date.context_today)
    sla_deadline = fields.Date(
        string="Resolve by", readonly=True, copy=False, index=True,
        help="Opening day plus the company's dispute resolution time in business days.")
    sla_breached = fields.Boolean(string="SLA breached", readonly=True, copy=False, index=True, tracking=True)
    sla_escalation = fields.Selection(
        [("none", "None"), ("manager", "Collections manager"), ("second", "Second escalation")],
        string="Escalated to", default="none", required=True, readonly=True, copy=False)
    credit_note_id = fields.Many2one("account.move", string="Credit note", readonly=True, copy=False,
                                     check_company=True)

    @api.depends("stage")
    def _compute_is_open(self):
        for dispute in self:
            dispute.is_open = dispute.stage in OPEN_STAGES

    @api.depends("invoice_ids")
    def _compute_currency_id(self):
        for dispute in self:
            dispute.currency_id = dispute.invoice_ids[:1].currency_id or dispute.company_id.currency_id

    @api.depends("invoice_ids")
    def _compute_amount(self):
        for dispute in self:
            dispute.amount = sum(dispute.invoice_ids.mapped("amount_residual"))

    @api.depends("partner_id", "invoice_ids")
    def _compute_display_name(self):
        for dispute in self:
            invoices = ", ".join(dispute.invoice_ids.mapped("name"))
            dispute.display_name = f"{dispute.partner_id.name or ''}: {invoices}" if invoices else dispute.partner_id.name

    @api.constrains("amount", "invoice_ids")
    def _check_amount(self):
        for dispute in self:
            dispute._ar_check_customer_invoices()
            if len(dispute.invoice_ids.currency_id) > 1:
                raise ValidationError(self.env._("Dispute invoices in one currency at a time: open one dispute per currency."))
            residual = sum(dispute.invoice_ids.mapped("amount_residual"))
            if dispute.currency_id.compare_amounts(dispute.amount, 0.0) <= 0:
                raise ValidationError(self.env._("The disputed amount must be positive."))
            if dispute.is_open and dispute.currency_id.compare_amounts(dispute.amount, residual) > 0:
                raise ValidationError(self.env._(
                    "The disputed amount %(amount)s is more than the invoices still have open (%(open)s).",
                    amount=dispute.currency_id.format(dispute.amount), open=dispute.currency_id.format(residual)))

    @api.constrains("attachment_ids")
    def _check_attachment_ids(self):
        if self.env.su:
            return
        for dispute in self:
            # Linking an attachment by id gives no right to it: the user must be able to open it.
            attachments = dispute.sudo().attachment_ids
            hidden = attachments - self.env["ir.attachment"]._filter_attachment_access(attachments.ids)
            if hidden:
                raise AccessError(self.env._(
                    "You can only attach documents you can open yourself, which is not the case of %(files)s.",
                    files=", ".join(hidden.sudo().mapped("name"))))

    @api.model_create_multi
    def create(self, vals_list):
        self._ar_check_system_create(vals_list)
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if not vals.get("sla_deadline"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                opened = fields.Date.to_date(vals.get("date_opened")) or today
                vals["sla_deadline"] = add_business_days(opened, company.ar_dispute_sla_days)
        return super().create(vals_list)

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        """An open dispute pauses its invoices."""
        reasons = {}
        ids = set(invoices.ids)
        labels = dict(self._fields["reason"]._description_selection(self.env))
        for dispute in self.search([("is_open", "=", True), ("invoice_ids", "in", invoices.ids)]):
            for move_id in set(dispute.invoice_ids.ids) & ids:
                reasons.setdefault(move_id, self.env._("Disputed: %(reason)s", reason=labels[dispute.reason]))
        return reasons

    # ------------------------------------------------------------------
    # Stages
    # ------------------------------------------------------------------

    def _ar_check_open(self):
        if self.filtered(lambda dispute: not dispute.is_open):
            raise UserError(self.env._("This dispute is already closed: reopen it first."))

    def action_review(self):
        """Start reviewing new disputes."""
        if self.filtered(lambda dispute: dispute.stage != "new"):
            raise UserError(self.env._("Only a new dispute can be put under review."))
        self._ar_system_write({"stage": "review"})

    def action_resolve_credit_note(self):
        """Resolve with a credit note: draft one for the disputed amount and open it."""
        self._ar_check_open()
        refunds = self.env["account.move"]
        for dispute in self:
            refund = dispute._ar_create_credit_note()
            dispute._ar_system_write({"stage": "resolved_credit", "credit_note_id": refund.id})
            dispute.message_post(body=self.env._("Credit note drafted: %(refund)s", refund=refund._get_html_link()))
            refunds |= refund
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_refund_type")
        if len(refunds) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=refunds.id)
        else:
            action["domain"] = [("id", "in", refunds.ids)]
        return action

    def _ar_create_credit_note(self):
        """A draft credit note of the disputed amount (no tax) reversing the disputed invoice
        (the first one when there are several)."""
        self.ensure_one()
        invoice = self.invoice_ids.sorted("id")[:1]
        income_line = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")[:1]
        reason = dict(self._fields["reason"]._description_selection(self.env))[self.reason]
        return self.env["account.move"].with_company(invoice.company_id).create({
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "journal_id": invoice.journal_id.id,
            "currency_id": invoice.currency_id.id,
            "reversed_entry_id": invoice.id,
            "ref": self.env._("Dispute on %(invoices)s: %(reason)s",
                              invoices=", ".join(self.invoice_ids.mapped("name")), reason=reason),
            "invoice_line_ids": [Command.create({
                "name": self.env._("Credit for disputed %(invoices)s (%(reason)s)",
                                   invoices=", ".join(self.invoice_ids.mapped("name")), reason=reason),
                "quantity": 1,
                "price_unit": self.amount,
                "tax_ids": [Command.clear()],
                # the invoice's income account; else the journal's default
                **({"account_id": income_line.account_id.id} if income_line else {}),
            })],
        })

    def action_view_credit_note(self):
        """Open the credit note that resolved this dispute."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_refund_type")
        action.update(views=[(False, "form")], view_mode="form", res_id=self.credit_note_id.id)
        return action

    def action_reject(self):
        """Resolve by rejecting the customer's claim: reminders resume."""
        self._ar_check_open()
        self._ar_system_write({"stage": "resolved_rejected"})

    def action_cancel(self):
        """Cancel (opened by mistake, withdrawn): reminders resume."""
        self._ar_check_open()
        self._ar_system_write({"stage": "cancelled"})

    def action_reopen(self):
        """Reopen a rejected or cancelled dispute."""
        if self.filtered(lambda dispute: dispute.stage not in ("resolved_rejected", "cancelled")):
            raise UserError(self.env._("Only a rejected or cancelled dispute can be reopened."))
        self._ar_system_write({"stage": "new"})

    # Former names of the resolution buttons, kept for callers outside this module.
    def action_resolve_credit(self):
        return self.action_resolve_credit_note()

    def action_resolve_rejected(self):
        return self.action_reject()

    # ------------------------------------------------------------------
    # SLA
    # ------------------------------------------------------------------

    @api.model
    def _ar_escalation_domain(self, today):
        """Open disputes that have an escalation due on ``today``."""
        second = []
        for company in self.env["res.company"].sudo().search([]):
            second.append([
                ("company_id", "=", company.id),
                ("date_opened", "<", today - timedelta(days=company.ar_dispute_escalation_days)),
            ])
        due = expression.OR([
            [("sla_deadline", "<", today), ("sla_breached", "=", False)],
            expression.AND([[("sla_escalation", "!=", "second")], expression.OR(second or [expression.FALSE_DOMAIN])]),
        ])
        return expression.AND([[("is_open", "=", True)], due])

    def _ar_escalate(self, today):
        """Escalate each dispute of ``self`` as far as it is due on ``today``, each step once."""
        for dispute in self:
            company = dispute.company_id
            values = {}
            if dispute.sla_deadline and dispute.sla_deadline < today and not dispute.sla_breached:
                values["sla_breached"] = True
                if dispute.sla_escalation == "none":
                    values["sla_escalation"] = "manager"
                dispute._ar_escalation_activity(company._ar_escalation_user(), self.env._(
                    "Dispute not resolved by %(date)s", date=fields.Date.to_string(dispute.sla_deadline)))
            if dispute.sla_escalation != "second" and \
                    dispute.date_opened < today - timedelta(days=company.ar_dispute_escalation_days):
                values["sla_escalation"] = "second"
                dispute._ar_escalation_activity(company._ar_dispute_escalation_user(), self.env._(
                    "Dispute open for more than %(days)s days", days=company.ar_dispute_escalation_days))
            dispute.sudo().write(values)

    def _ar_escalation_activity(self, user, summary):
        self.ensure_one()
        self.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=summary,
            note=self.env._("The dispute of %(partner)s on %(invoices)s (owner: %(owner)s) is still open. "
                            "Get it resolved.", partner=self.partner_id.display_name,
                            invoices=", ".join(self.invoice_ids.mapped("name")), owner=self.user_id.name or "-"),
            user_id=user.id,
        )

    @api.model
    def _cron_escalate_disputes(self, batch_size=BATCH_SIZE):
        """Scheduled action: escalate the disputes past their SLA or open too long, one
        bounded batch per call (Odoo 18 cron batch protocol)."""
        today = fields.Date.context_today(self)
        domain = self._ar_escalation_domain(today)
        disputes = self.sudo().search(domain, limit=batch_size, order="id")
        disputes._ar_escalate(today)
        self.env["ir.cron"]._notify_progress(done=len(disputes), remaining=self.sudo().search_count(domain))

    # ------------------------------------------------------------------
    # One open dispute per invoice
    # ------------------------------------------------------------------

    @api.constrains("stage", "invoice_ids")
    def _check_without_other_open_dispute(self):  # named to run after the checks of the values
        """An invoice is in one open dispute at most, whoever opens it (portal, back office)
        and however many requests open one at the same time."""
        busy = self._ar_invoices_open_elsewhere([("is_open", "=", True)])
        if busy:
            raise ValidationError(self.env._(
                "%(invoices)s already in an open dispute: resolve or cancel it first.",
                invoices=", ".join(busy.mapped("name"))))
