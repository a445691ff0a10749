import logging
from datetime import timedelta

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..const import OPEN_PAYMENT_STATES

_logger = logging.getLogger(__name__)

# Instalments handled per scheduler call: one short transaction of a few emails each.
REMINDER_BATCH_SIZE = 100
# plans whose instalments count (approved ones)
APPROVED_STATES = ("active", "done", "broken")
# Set only by the workflow buttons (which write as superuser after their checks).
WORKFLOW_FIELDS = ("state", "approved_by_id", "amount_start", "proposer_id", "refuse_reason")
# What was approved: frozen once the plan left the draft and approval stages.
EDITABLE_STATES = ("draft", "to_approve")
LOCKED_FIELDS = ("partner_id", "company_id", "invoice_ids", "line_ids", "grace_days")
MAX_GRACE_DAYS = 365
# Plans that hold their invoices: a customer cannot propose another plan for them.
OPEN_PLAN_STATES = ("to_approve", "active")
# Instalment frequencies a customer chooses from on the portal: step between two dates.
FREQUENCIES = {
    "weekly": relativedelta(weeks=1),
    "biweekly": relativedelta(weeks=2),
    "monthly": relativedelta(months=1),
}


class ArPaymentPlan(models.Model):
    """Overdue invoices of one customer split into dated instalments.

    Approved by a collections manager, an active plan pauses the reminders of its
    invoices for as long as the customer keeps up: once the amount paid falls behind
    the instalments due (after the grace days), the plan is broken and reminders resume.
    """

    _name = "ar.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "mail.activity.mixin", "ar.customer.invoices.mixin", "ar.pause.source.mixin"]
    _ar_pause_sequence = 30
    _order = "id desc"

    state = fields.Selection([
        ("draft", "Draft"),
        ("to_approve", "To approve"),
        ("active", "Active"),
        ("done", "Completed"),
        ("broken", "Broken"),
        ("refused", "Declined"),
        ("cancelled", "Cancelled"),
    ], default="draft", required=True, tracking=True, index=True, copy=False)
    proposer_id = fields.Many2one(
        "res.partner", string="Proposed by", readonly=True, copy=False, index="btree_not_null",
        help="The customer's contact who proposed this plan from the customer portal.")
    refuse_reason = fields.Char(string="Reason declined", readonly=True, copy=False, tracking=True)
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

    @api.constrains("line_ids", "grace_days", "state")
    def _check_lines(self):
        for plan in self:
            if plan.grace_days < 0:
                raise ValidationError(self.env._("The grace period cannot be negative."))
            if plan.grace_days > MAX_GRACE_DAYS:
                raise ValidationError(self.env._("The grace period can be %(max)s days at most.", max=MAX_GRACE_DAYS))
            if any(line.amount <= 0 for line in plan.line_ids):
                raise ValidationError(self.env._("Every instalment needs a positive amount."))
        self._ar_check_company_limits()

    def _ar_check_company_limits(self):
        """The company's limits (Settings > Collections) bind every plan still to be approved,
        made in the back office or proposed by the customer."""
        today = fields.Date.context_today(self)
        for plan in self.filtered(lambda p: p.state in EDITABLE_STATES and p.line_ids
                                  and all(line.amount > 0 for line in p.line_ids)):
            company, currency = plan.company_id, plan.currency_id
            lines = plan.line_ids.sorted(lambda line: (line.date, line.id or 0))
            if len(lines) > company.ar_plan_max_instalments:
                raise ValidationError(self.env._(
                    "A payment plan has %(max)s instalments at most: this one has %(count)s.",
                    max=company.ar_plan_max_instalments, count=len(lines)))
            latest = today + timedelta(days=company.ar_plan_max_days)
            if lines[-1].date > latest:
                raise ValidationError(self.env._(
                    "A payment plan runs for %(days)s days at most: the last instalment must be due by %(latest)s "
                    "at the latest.", days=company.ar_plan_max_days, latest=fields.Date.to_string(latest)))
            minimum = currency.round(plan.amount_total * company.ar_plan_min_first_percent / 100)
            if currency.compare_amounts(lines[0].amount, minimum) < 0:
                percent = f"{company.ar_plan_min_first_percent:g}"
                raise ValidationError(self.env._(
                    "The first instalment must be at least %(percent)s%% of the total, %(minimum)s.",
                    percent=percent, minimum=currency.format(minimum)))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("state", "draft") != "draft" or vals.get("approved_by_id") or vals.get("amount_start")
            or vals.get("proposer_id") or vals.get("refuse_reason")
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
        """An active plan pauses its invoices while its instalments are paid on time
        (not with ``ar_plan_no_pause`` in the context: what else pauses a plan's invoices)."""
        if self.env.context.get("ar_plan_no_pause"):
            return {}
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
        for plan in self:
            plan._ar_schedule_approval()
            plan._ar_on_submitted()

    def _ar_schedule_approval(self):
        """Give the collections manager of the company an activity to approve or decline the plan."""
        self.ensure_one()
        approver = self.company_id._ar_escalation_user()
        # quick update: no "activity assigned" email, the activity is the notice
        self.sudo().with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=self.env._("Approve or decline the payment plan"),
            note=self.env._(
                "%(partner)s: %(count)s instalments of %(total)s until %(date)s%(origin)s.",
                partner=self.partner_id.display_name, count=len(self.line_ids),
                total=self.currency_id.format(self.amount_total), date=fields.Date.to_string(self.date_end),
                origin=self.env._(", proposed from the customer portal") if self.proposer_id else ""),
            user_id=approver.id,
        )

    def _ar_on_submitted(self):
        """Hook called once a plan waits for approval (e.g. to post an alert elsewhere)."""
        self.ensure_one()

    def _ar_check_approver(self):
        if not self.env.user.has_group("ar_collections.group_ar_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can approve or decline a payment plan."))

    def action_approve(self):
        """Approve (collections managers only): reminders on the invoices pause while the plan is kept."""
        if not self.env.user.has_group("ar_collections.group_ar_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can approve a payment plan."))
        for plan in self:
            if plan.state != "to_approve":
                raise UserError(self.env._("Only a plan waiting for approval can be approved."))
            # paid or credited since it was submitted: its instalments no longer add up to what is owed
            if plan.currency_id.compare_amounts(plan.amount_total, plan.amount_open) != 0:
                raise UserError(self.env._(
                    "The invoices have %(open)s open now but the instalments add up to %(planned)s (paid or "
                    "credited since the plan was submitted): decline this plan and make a new one.",
                    open=plan.currency_id.format(plan.amount_open),
                    planned=plan.currency_id.format(plan.amount_total)))
            plan.sudo().write({
                "state": "active",
                "approved_by_id": self.env.uid,
                "amount_start": plan.amount_open,
            })
            plan.sudo().activity_feedback(["mail.mail_activity_data_todo"],
                                          feedback=self.env._("Approved by %(user)s", user=self.env.user.name))

    def action_refuse(self, reason=None):
        """Decline a plan waiting for approval (collections managers only): reminders go on as before."""
        self._ar_check_approver()
        for plan in self:
            if plan.state != "to_approve":
                raise UserError(self.env._("Only a plan waiting for approval can be declined."))
            reason = (reason or "").strip()[:500] or False
            plan.sudo().write({"state": "refused", "refuse_reason": reason})
            plan.sudo().activity_feedback(["mail.mail_activity_data_todo"],
                                          feedback=self.env._("Declined by %(user)s", user=self.env.user.name))
            if plan.proposer_id:
                # the customer proposed it: tell them (the message reaches the plan's customer)
                plan.sudo().message_post(
                    body=self.env._("Your payment plan proposal was declined.%(reason)s",
                                    reason=(" " + reason) if reason else ""),
                    partner_ids=plan.proposer_id.ids, message_type="comment", subtype_xmlid="mail.mt_comment")

    def action_cancel(self):
        """Cancel the plan: reminders resume on its invoices."""
        self.check_access("write")
        self.sudo().write({"state": "cancelled"})
        self.sudo().activity_unlink(["mail.mail_activity_data_todo"])

    # ------------------------------------------------------------------
    # Proposed by the customer
    # ------------------------------------------------------------------

    @api.model
    def _ar_portal_propose(self, proposer, invoices, first_date, count=None, frequency="monthly", amounts=None):
        """Create, waiting for approval, the plan a customer proposes from the portal.

        :param proposer: the contact of the portal user (their commercial partner is the customer)
        :param invoices: the overdue invoices to split (any ids the browser sent, checked here)
        :param first_date: date of the first instalment
        :param count: number of equal instalments (the last one takes the rounding), or
        :param amounts: the amounts of the instalments, which add up to what is open
        :param frequency: a key of ``FREQUENCIES``
        :return: the plan (sudo)
        :raise UserError: with a sentence for the customer; nothing is written
        """
        env = self.env
        customer = proposer.commercial_partner_id
        invoices = invoices.sudo()
        today = fields.Date.context_today(self)
        if not invoices:
            raise UserError(env._("Choose at least one overdue invoice."))
        foreign = invoices.filtered(lambda inv: inv.commercial_partner_id != customer
                                    or inv.move_type != "out_invoice" or inv.state != "posted")
        if foreign:
            raise UserError(env._("Only your own invoices can go into a payment plan."))
        settled = invoices.filtered(lambda inv: inv.payment_state not in OPEN_PAYMENT_STATES)
        if settled:
            raise UserError(env._("Nothing is left to pay on %(invoices)s.",
                                  invoices=", ".join(settled.mapped("name"))))
        not_due = invoices.filtered(lambda inv: not inv.invoice_date_due or inv.invoice_date_due >= today)
        if not_due:
            raise UserError(env._("Only overdue invoices can go into a payment plan, not %(invoices)s.",
                                  invoices=", ".join(not_due.mapped("name"))))
        company = invoices.company_id
        if len(company) > 1:
            raise UserError(env._("Choose the invoices of one company at a time."))
        if invoices.currency_id != company.currency_id:
            raise UserError(env._("Payment plans are in %(currency)s: choose invoices in %(currency)s.",
                                  currency=company.currency_id.name))
        self._ar_lock_invoices(invoices)
        busy = self.sudo().search([("state", "in", OPEN_PLAN_STATES), ("invoice_ids", "in", invoices.ids)])
        if busy:
            raise UserError(env._("%(invoices)s already in a payment plan.",
                                  invoices=", ".join((busy.invoice_ids & invoices).mapped("name"))))
        if frequency not in FREQUENCIES:
            raise UserError(env._("Choose how often you pay from the list."))
        if not first_date or first_date < today:
            raise UserError(env._("The first instalment is today at the earliest."))
        latest = today + timedelta(days=company.ar_plan_max_days)
        if first_date > latest:
            # before adding months to a date that may be near the end of the calendar
            raise UserError(env._(
                "A payment plan runs for %(days)s days at most: the last instalment must be due by %(latest)s "
                "at the latest.", days=company.ar_plan_max_days, latest=fields.Date.to_string(latest)))
        currency = company.currency_id
        open_total = currency.round(sum(invoices.mapped("amount_residual_signed")))
        if amounts:
            amounts = [currency.round(amount) for amount in amounts]
        else:
            if not count or count < 1:
                raise UserError(env._("Choose the number of instalments."))
            if count > company.ar_plan_max_instalments:
                # before building a list as long as the number typed
                raise UserError(env._("A payment plan has %(max)s instalments at most: this one has %(count)s.",
                                      max=company.ar_plan_max_instalments, count=count))
            share = currency.round(open_total / count)
            minimum = currency.round(open_total * company.ar_plan_min_first_percent / 100)
            if count > 1 and currency.compare_amounts(share, minimum) < 0:
                # more instalments than the minimum first payment leaves room for (12 of 10 % at
                # least): the first is that minimum, the rest is split evenly
                share = currency.round((open_total - minimum) / (count - 1))
                amounts = [minimum] + [share] * (count - 2) + [
                    currency.round(open_total - minimum - share * (count - 2))]
            else:
                amounts = [share] * (count - 1) + [currency.round(open_total - share * (count - 1))]
        if len(amounts) > company.ar_plan_max_instalments:
            raise UserError(env._("A payment plan has %(max)s instalments at most: this one has %(count)s.",
                                  max=company.ar_plan_max_instalments, count=len(amounts)))
        if any(currency.compare_amounts(amount, 0.0) <= 0 for amount in amounts):
            raise UserError(env._("Every instalment needs a positive amount."))
        if currency.compare_amounts(sum(amounts), open_total):
            raise UserError(env._(
                "The instalments add up to %(planned)s but the invoices have %(open)s open: make them equal.",
                planned=currency.format(sum(amounts)), open=currency.format(open_total)))
        step = FREQUENCIES[frequency]
        plan = self.sudo().with_company(company).with_context(mail_create_nosubscribe=True).create({
            "partner_id": customer.id,
            "company_id": company.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "proposer_id": proposer.id,
            "line_ids": [Command.create({"date": first_date + step * index, "amount": amount})
                         for index, amount in enumerate(amounts)],
        })
        plan.message_post(
            body=env._("Proposed from the customer portal by %(name)s.", name=proposer.name),
            author_id=proposer.id, message_type="comment", subtype_xmlid="mail.mt_note")
        plan.action_submit()
        return plan

    def _ar_amount_due(self, today):
        """What the customer has to pay on ``today`` on this approved plan: the instalments due
        by then, less what was paid since approval (company currency)."""
        self.ensure_one()
        return self.currency_id.round(sum(self.line_ids.filtered(lambda line: line.date <= today)
                                          .mapped("amount_residual")))

    def _ar_next_line(self):
        """The first instalment of this approved plan with something left to pay."""
        self.ensure_one()
        if self.state not in ("active", "broken"):
            return self.env["ar.payment.plan.line"]
        return self.line_ids.filtered(lambda line: line.currency_id.compare_amounts(line.amount_residual, 0) > 0)[:1]

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
