from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date, formatLang

from ..const import SETTLED_PAYMENT_STATES

# Promises checked per scheduler call: a few hundred small reads, one short transaction.
BATCH_SIZE = 500
SETTLED_STATES = SETTLED_PAYMENT_STATES
# A promise found broken longer ago than this (scheduler off, module just upgraded) is only
# marked broken: escalating old news would jump the invoices' reminder levels for nothing.
ESCALATION_MAX_AGE_DAYS = 7
# A promise is for the coming weeks: further away, it is a payment plan (or a typo that
# would stop the reminders for years).
MAX_PROMISE_DAYS = 366
MAX_GRACE_DAYS = 365


class ArPromise(models.Model):
    """A customer promised to pay invoices by a date: not chased until then (plus grace).

    Open promises are checked daily (and right after their invoices are paid): a promise
    is kept once the promised amount was received on its invoices (their open amount went
    down by at least that much since the promise, or they are paid) by the promised date
    plus the grace days, and broken when that date passed first. A broken promise gives
    the collector an activity and makes the next dunning run send the invoices' next level.
    """

    _name = "ar.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread", "mail.activity.mixin", "ar.customer.invoices.mixin", "ar.system.fields.mixin",
                "ar.pause.source.mixin"]
    _order = "promised_date desc, id desc"
    _ar_pause_sequence = 20
    _ar_system_fields = ("state", "kept_date", "broken_date", "amount_residual_start", "checked_date")
    amount = fields.Monetary(required=True, tracking=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    promised_date = fields.Date(required=True, tracking=True)
    grace_days = fields.Integer(default=3, help="Reminders resume this many days after the promised date.")
    pause_until = fields.Date(compute="_compute_pause_until", store=True, index=True)
    state = fields.Selection([
        ("open", "Open"),
        ("kept", "Kept"),
        ("broken", "Broken"),
        ("cancelled", "Cancelled"),
    ], default="open", required=True, readonly=True, tracking=True, index=True)
    note = fields.Text()
    kept_date = fields.Date(readonly=True, copy=False, tracking=True, help="When the promised amount was received.")
    broken_date = fields.Date(readonly=True, copy=False, tracking=True,
                              help="First day after the promised date plus grace without the promised amount.")
    amount_residual_start = fields.Monetary(
        string="Open when promised", readonly=True, copy=False, currency_field="currency_id",
        help="Open amount of the invoices when the promise was recorded (promise currency).")
    amount_received = fields.Monetary(
        string="Received since", compute="_compute_amount_received", currency_field="currency_id",
        help="How much the open amount of the invoices went down since the promise.")
    checked_date = fields.Date(readonly=True, copy=False, help="Technical: last day the scheduler checked it.")

    @api.depends("promised_date", "grace_days")
    def _compute_pause_until(self):
        for promise in self:
            try:
                promise.pause_until = promise.promised_date and promise.promised_date + timedelta(
                    days=promise.grace_days)
            except OverflowError:
                # past year 9999: refused by _check_values, which runs after this computation
                promise.pause_until = False

    @api.depends("partner_id", "amount", "promised_date")
    def _compute_display_name(self):
        for promise in self:
            # in the reader's language and number and date formats
            promise.display_name = self.env._(
                "%(partner)s: %(amount)s by %(date)s", partner=promise.partner_id.name or "",
                amount=formatLang(self.env, promise.amount, currency_obj=promise.currency_id),
                date=format_date(self.env, promise.promised_date))

    @api.depends("amount_residual_start", "invoice_ids.amount_residual")
    def _compute_amount_received(self):
        for promise in self:
            promise.amount_received = (
                promise.amount_residual_start - promise._ar_open_residual() if promise.amount_residual_start else 0.0)

    @api.constrains("amount", "grace_days", "promised_date", "invoice_ids")
    def _check_values(self):
        latest = fields.Date.context_today(self) + timedelta(days=MAX_PROMISE_DAYS)
        for promise in self:
            promise._ar_check_customer_invoices()
            if promise.amount <= 0:
                raise ValidationError(self.env._("A promise to pay needs a positive amount."))
            if promise.grace_days < 0:
                raise ValidationError(self.env._("The grace period cannot be negative."))
            if promise.grace_days > MAX_GRACE_DAYS:
                raise ValidationError(self.env._("The grace period can be %(max)s days at most.", max=MAX_GRACE_DAYS))
            if promise.state == "open" and promise.promised_date > latest:
                raise ValidationError(self.env._(
                    "A promise to pay is for the coming weeks: choose a date within a year, by %(date)s at the "
                    "latest, or set up a payment plan.", date=fields.Date.to_string(latest)))
            # Against what was open when the promise was recorded; invoices already settled are
            # history (a promise recorded after the fact), kept at the next check.
            open_amount = promise.amount_residual_start or promise._ar_open_residual()
            if promise.state == "open" and promise.currency_id.compare_amounts(open_amount, 0.0) > 0 \
                    and promise.currency_id.compare_amounts(promise.amount, open_amount) > 0:
                raise ValidationError(self.env._(
                    "The promised amount %(amount)s is more than the invoices have open (%(open)s).",
                    amount=promise.currency_id.format(promise.amount), open=promise.currency_id.format(open_amount)))

    @api.model_create_multi
    def create(self, vals_list):
        self._ar_check_system_create(vals_list)
        promises = super().create(vals_list)
        for promise in promises:
            # the baseline "received since the promise" is measured against
            promise.sudo().amount_residual_start = promise._ar_open_residual()
        return promises

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        """A promise pauses its invoices until the promised date plus grace; a kept one keeps
        the agreed pause on what is left to pay."""
        reasons = {}
        ids = set(invoices.ids)
        for promise in self.search([
            ("state", "in", ("open", "kept")), ("pause_until", ">=", today), ("invoice_ids", "in", invoices.ids),
        ]):
            for move_id in set(promise.invoice_ids.ids) & ids:
                reasons.setdefault(move_id, self.env._(
                    "Promised to pay by %(date)s", date=fields.Date.to_string(promise.promised_date)))
        return reasons

    def action_cancel(self):
        """Cancel open promises: their invoices are chased again."""
        if self.filtered(lambda promise: promise.state != "open"):
            raise UserError(self.env._("Only an open promise can be cancelled: a kept or broken one is history."))
        self._ar_system_write({"state": "cancelled"})

    # ------------------------------------------------------------------
    # Kept / broken detection
    # ------------------------------------------------------------------

    def _ar_open_residual(self):
        """What the invoices still have open, in the promise's currency."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return sum(
            invoice.currency_id._convert(invoice.amount_residual, self.currency_id, self.company_id, today)
            for invoice in self.invoice_ids
        )

    def _ar_paid_after_deadline(self):
        """{promise id: amount settled on its invoices after its pause_until (promise currency)}.

        Reconciliations dated after the deadline lower the open amount but do not keep
        the promise: the scheduler may check a promise a day or more late.
        """
        late = defaultdict(float)
        past = self.filtered("pause_until")
        if not past:
            return late
        today = fields.Date.context_today(self)
        groups = self.env["account.partial.reconcile"].sudo()._read_group(
            [("debit_move_id.move_id", "in", past.invoice_ids.ids), ("max_date", ">", min(past.mapped("pause_until")))],
            ["debit_move_id", "max_date:day"],
            ["debit_amount_currency:sum"],
        )
        for promise in past:
            for line, date, amount in groups:
                if line.move_id in promise.invoice_ids and date > promise.pause_until:
                    late[promise.id] += line.currency_id._convert(amount, promise.currency_id, promise.company_id, today)
        return late

    def _ar_evaluate(self, today=None, kept_only=False):
        """Mark the open promises of ``self`` kept (promised amount received by the
        deadline) or broken (deadline passed without it), and escalate the broken ones.

        :param kept_only: only detect kept promises (right after a payment)
        :return: (kept promises, broken promises)
        """
        today = today or fields.Date.context_today(self)
        promises = self.filtered(lambda promise: promise.state == "open")
        late = promises.filtered(lambda promise: promise.pause_until < today)._ar_paid_after_deadline()
        kept, broken = self.browse(), self.browse()
        for promise in promises:
            late_amount = late.get(promise.id, 0.0)
            received = promise.amount_residual_start - promise._ar_open_residual() - late_amount
            settled = not late_amount and all(inv.payment_state in SETTLED_STATES for inv in promise.invoice_ids)
            if settled or promise.currency_id.compare_amounts(received, promise.amount) >= 0:
                kept |= promise
            elif not kept_only and promise.pause_until < today:
                broken |= promise
        for promise in kept:
            promise.sudo().write({"state": "kept", "kept_date": min(today, promise.pause_until)})
        for promise in broken:
            promise.sudo().write({"state": "broken", "broken_date": promise.pause_until + timedelta(days=1)})
        recent = today - timedelta(days=ESCALATION_MAX_AGE_DAYS)
        broken.filtered(lambda promise: promise.broken_date >= recent)._ar_escalate_broken(today)
        return kept, broken

    def _ar_escalate_broken(self, today):
        """Give the collector (else the company's escalation user) an activity, and have the
        next dunning run send the invoices' next level at once."""
        for promise in self:
            company = promise.company_id
            user = promise.partner_id.with_company(company).ar_collector_id or company._ar_escalation_user()
            promise.with_context(mail_activity_quick_update=True).activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                summary=self.env._("Broken promise to pay"),
                note=self.env._(
                    "%(partner)s promised %(amount)s by %(date)s and did not pay it: their invoices "
                    "get the next reminder level at the next run. Call them.",
                    partner=promise.partner_id.display_name, amount=promise.currency_id.format(promise.amount),
                    date=fields.Date.to_string(promise.promised_date)),
                user_id=user.id,
            )
        open_invoices = self.invoice_ids.filtered(lambda inv: inv.payment_state not in SETTLED_STATES)
        if open_invoices:
            open_invoices.sudo().write({"ar_escalate_level": True})

    @api.model
    def _ar_check_invoices(self, invoices):
        """Mark kept the open promises on ``invoices`` whose amount is now received."""
        if not invoices:
            return
        self.search([("state", "=", "open"), ("invoice_ids", "in", invoices.ids)])._ar_evaluate(kept_only=True)

    @api.model
    def _cron_check_promises(self, batch_size=BATCH_SIZE):
        """Scheduled action: check the open promises not checked today, one bounded batch
        per call (Odoo 18 cron batch protocol)."""
        today = fields.Date.context_today(self)
        domain = [("state", "=", "open"), "|", ("checked_date", "=", False), ("checked_date", "<", today)]
        promises = self.search(domain, limit=batch_size, order="id")
        promises._ar_evaluate(today)
        promises.sudo().write({"checked_date": today})
        self.env["ir.cron"]._notify_progress(done=len(promises), remaining=self.search_count(domain))

    # ------------------------------------------------------------------
    # One open promise per invoice
    # ------------------------------------------------------------------

    @api.constrains("state", "invoice_ids")
    def _check_without_other_open_promise(self):  # named to run after the checks of the values
        """An invoice is in one open promise at most, whoever records it (portal, back office)
        and however many requests record one at the same time."""
        busy = self._ar_invoices_open_elsewhere([("state", "=", "open")])
        if busy:
            raise ValidationError(self.env._(
                "%(invoices)s already promised to be paid: one open promise at a time.",
                invoices=", ".join(busy.mapped("name"))))
