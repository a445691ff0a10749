import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Instalments handled per scheduler call: one short transaction of a few emails each.
REMINDER_BATCH_SIZE = 100
# plans whose instalments count (approved ones)
APPROVED_STATES = ("active", "done", "broken")
# Set only by the workflow buttons (which write as superuser after their checks).
WORKFLOW_FIELDS = ("state", "approved_by_id", "amount_start")
# What was approved: frozen once the plan left the draft and approval stages.
EDITABLE_STATES = ("draft", "to_approve")
LOCKED_FIELDS = ("partner_id", "company_id", "invoice_ids", "line_ids", "grace_days")
MAX_GRACE_DAYS = 365


class ArPaymentPlan(models.Model):
    """Overdue invoices of one customer split into dated instalments.

    Approved by a collections manager, an active plan pauses the reminders of its
    invoices for as long as the customer keeps up: once the amount paid falls behind
    the instalments due (after the grace days), the plan is broken and reminders resume.
    """

    _name = "ar.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "ar.customer.invoices.mixin", "ar.pause.source.mixin"]
    _ar_pause_sequence = 30
    _order = "id desc"

    state = fields.Selection([
        ("draft", "Draft"),
        ("to_approve", "To approve"),
        ("active", "Active"),
        ("done", "Completed"),
        ("broken", "Broken"),
        ("cancelled", "Cancelled"),
    ], default="draft", required=True, tracking=True, index=True, copy=False)
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
    instalment_due_count = fields.Integer(compute="_compute_adherence", store=True, string="Instalments due")
    adherence = fields.Float(
        compute="_compute_adherence", store=True, aggregator="avg",
        help="Share of the instalments due so far that were paid on time.")

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
            if plan.grace_days > MAX_GRACE_DAYS:
                raise ValidationError(self.env._("The grace period can be %(max)s days at most.", max=MAX_GRACE_DAYS))
            if any(line.amount <= 0 for line in plan.line_ids):
                raise ValidationError(self.env._("Every instalment needs a positive amount."))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("state", "draft") != "draft" or vals.get("approved_by_id") or vals.get("amount_start")
            for vals in vals_list
        ):
            raise AccessError(self.env._("A payment plan starts as a draft: use its buttons to submit and approve it."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if any(field in vals for field in WORKFLOW_FIELDS):
                raise AccessError(self.env._("Use the plan's buttons to submit, approve or cancel it."))
            if any(field in vals for field in LOCKED_FIELDS):
                self._ar_check_editable()
        return super().write(vals)

    def _ar_check_editable(self):
        """Refuse changes to what a collections manager approved (the superuser's are trusted)."""
        locked = self.filtered(lambda plan: plan.state not in EDITABLE_STATES)
        if locked and not self.env.su:
            raise UserError(self.env._(
                "%(plan)s is %(state)s: its invoices and instalments can no longer be changed. "
                "Cancel it and make a new plan.",
                plan=locked[0].display_name, state=dict(self._fields["state"].selection)[locked[0].state].lower()))

    def _ar_amount_late(self, today):
        """Instalments whose date plus the grace days is past on ``today`` (company currency)."""
        self.ensure_one()
        grace = timedelta(days=self.grace_days)
        return sum(line.amount for line in self.line_ids if line.date + grace < today)

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        """An active plan pauses its invoices while its instalments are paid on time."""
        reasons = {}
        ids = set(invoices.ids)
        for plan in self.search([("state", "=", "active"), ("invoice_ids", "in", invoices.ids)]):
            if plan._ar_is_behind(today):
                continue  # missed instalments end the pause, even before the cron marks it broken
            for move_id in set(plan.invoice_ids.ids) & ids:
                reasons.setdefault(move_id, self.env._(
                    "Payment plan until %(date)s", date=fields.Date.to_string(plan.date_end)))
        return reasons

    def _ar_is_behind(self, today):
        """True when the customer paid less than the instalments already late on ``today``."""
        self.ensure_one()
        return self.currency_id.compare_amounts(self.amount_paid, self._ar_amount_late(today)) < 0

    def action_submit(self):
        """Ask a collections manager to approve the plan."""
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be submitted."))
            if not plan.line_ids:
                raise UserError(self.env._("Add the instalments before submitting the plan."))
            past = plan.line_ids.filtered(lambda line: line.date < today)
            if past:
                raise UserError(self.env._(
                    "The instalment of %(date)s is in the past: instalments start today at the earliest.",
                    date=fields.Date.to_string(past[0].date)))
            open_amount = plan.amount_open
            if plan.currency_id.compare_amounts(plan.amount_total, open_amount) != 0:
                raise UserError(self.env._(
                    "The instalments add up to %(planned)s but the invoices have %(open)s open: make them equal.",
                    planned=plan.currency_id.format(plan.amount_total), open=plan.currency_id.format(open_amount)))
        self.sudo().write({"state": "to_approve"})

    def action_approve(self):
        """Approve (collections managers only): reminders on the invoices pause while the plan is kept."""
        if not self.env.user.has_group("ar_collections.group_ar_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can approve a payment plan."))
        for plan in self:
            if plan.state != "to_approve":
                raise UserError(self.env._("Only a plan waiting for approval can be approved."))
            plan.sudo().write({
                "state": "active",
                "approved_by_id": self.env.uid,
                "amount_start": plan.amount_open,
            })

    def action_cancel(self):
        """Cancel the plan: reminders resume on its invoices."""
        self.check_access("write")
        self.sudo().write({"state": "cancelled"})

    def _ar_update_state(self, today=None):
        """Mark active plans broken (behind schedule) or done (invoices paid)."""
        today = today or fields.Date.context_today(self)
        for plan in self.filtered(lambda p: p.state == "active"):
            if all(inv.payment_state in ("paid", "in_payment", "reversed") for inv in plan.invoice_ids):
                plan.sudo().state = "done"
            elif plan._ar_is_behind(today):
                plan.sudo().state = "broken"
                plan.message_post(body=self.env._("Instalments missed: reminders resume on the plan's invoices."))

    @api.model
    def _cron_update_plans(self):
        """Scheduled action: close kept plans and break missed ones."""
        self.search([("state", "=", "active")])._ar_update_state()

    # ------------------------------------------------------------------
    # Instalments chased like invoices
    # ------------------------------------------------------------------

    @api.depends("line_ids.payment_status")
    def _compute_adherence(self):
        for plan in self:
            decided = plan.line_ids.filtered(lambda line: line.payment_status != "pending")
            plan.instalment_due_count = len(decided)
            on_time = len(decided.filtered(lambda line: line.payment_status == "on_time"))
            plan.adherence = on_time / len(decided) if decided else 1.0

    @api.model
    def _ar_reminder_sql(self, kind, today):
        """WHERE clause of the instalments owing a ``kind`` step on ``today``:
        "before" (reminder some days ahead) or "due" (the day after: paid on time or missed)."""
        if kind == "before":
            return SQL(
                "plan.state = 'active' AND NOT COALESCE(line.reminder_before_sent, FALSE)"
                " AND line.date >= %(today)s AND line.date - COALESCE(company.ar_plan_reminder_days, 0) <= %(today)s",
                today=today)
        return SQL("plan.state IN %(states)s AND line.payment_status = 'pending' AND line.date < %(today)s",
                   states=APPROVED_STATES, today=today)

    @api.model
    def _ar_claim_instalments(self, kind, today, limit):
        """Lock up to ``limit`` instalments owing a ``kind`` step that no other worker holds.

        Raw SQL for SKIP LOCKED: two workers never remind the same instalment, and the flag
        written in the same transaction keeps a rerun from sending it again.
        """
        if limit <= 0:
            return self.env["ar.payment.plan.line"]
        self.env["ar.payment.plan.line"].flush_model()
        self.flush_model(["state", "company_id"])
        self.env["res.company"].flush_model(["ar_plan_reminder_days"])
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    """SELECT line.id FROM ar_payment_plan_line line
                         JOIN ar_payment_plan plan ON plan.id = line.plan_id
                         JOIN res_company company ON company.id = plan.company_id
                        WHERE %s
                     ORDER BY line.date, line.id
                        LIMIT %s
                          FOR UPDATE OF line SKIP LOCKED""",
                    self._ar_reminder_sql(kind, today), limit,
                ))
                ids = [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            # Rows changed by a worker that committed after our snapshot: next call.
            return self.env["ar.payment.plan.line"]
        return self.env["ar.payment.plan.line"].sudo().browse(ids)

    @api.model
    def _ar_count_instalments(self, kind, today):
        self.env.cr.execute(SQL(
            """SELECT COUNT(*) FROM ar_payment_plan_line line
                 JOIN ar_payment_plan plan ON plan.id = line.plan_id
                 JOIN res_company company ON company.id = plan.company_id
                WHERE %s""",
            self._ar_reminder_sql(kind, today),
        ))
        return self.env.cr.fetchone()[0]

    @api.model
    def _ar_send_instalment_reminder(self, lines, template_xmlid):
        """Email the customers of ``lines`` (through the mail queue) with the template, on the plans' chatter."""
        if not lines:
            return
        template = self.env.ref(template_xmlid)
        values = template._generate_template(lines.ids, ["subject", "body_html", "email_from", "reply_to"])
        for line in lines:
            plan = line.plan_id
            posted = plan.with_context(mail_post_autofollow=False).message_post(
                body=values[line.id]["body_html"],
                subject=values[line.id]["subject"],
                email_from=values[line.id].get("email_from") or plan.company_id.email_formatted,
                reply_to=values[line.id].get("reply_to") or False,
                author_id=plan.company_id.partner_id.id,
                partner_ids=plan.partner_id.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
                # into the queue: the mail cron sends it once this transaction is committed
                force_send=False,
                mail_auto_delete=False,
            )
            _logger.info("Payment plan %s: instalment reminder %s queued", plan.id, posted.id)

    @api.model
    def _cron_instalment_reminders(self, batch_size=REMINDER_BATCH_SIZE):
        """Scheduled action: remind customers of coming instalments, decide the instalments
        of yesterday (paid on time or missed) and remind the missed ones; one bounded batch
        per call (Odoo 18 cron batch protocol), each step claimed once per instalment."""
        today = fields.Date.context_today(self)
        before = self._ar_claim_instalments("before", today, batch_size)
        due = self._ar_claim_instalments("due", today, batch_size - len(before))
        before.write({"reminder_before_sent": True})
        # paid ahead of time: nothing to remind
        self._ar_send_instalment_reminder(
            before.filtered(lambda line: not line.is_paid), "ar_collections.mail_template_instalment_coming")
        on_time = due.filtered("is_paid")
        missed = due - on_time
        on_time.write({"payment_status": "on_time"})
        missed.write({"payment_status": "missed"})
        to_remind = missed.filtered(lambda line: line.plan_id.state == "active" and not line.reminder_after_sent)
        to_remind.write({"reminder_after_sent": True})
        self._ar_send_instalment_reminder(to_remind, "ar_collections.mail_template_instalment_missed")
        done = len(before) + len(due)
        remaining = 0
        if done >= batch_size:
            self.env.flush_all()
            remaining = self._ar_count_instalments("before", today) + self._ar_count_instalments("due", today)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
