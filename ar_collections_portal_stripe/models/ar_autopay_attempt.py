import logging
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.ar_collections.const import OPEN_PAYMENT_STATES
from odoo.addons.ar_collections.tools.backoff import Backoff

_logger = logging.getLogger(__name__)

# How a refused off-session card charge is handled, by Stripe decline code (the error's
# ``decline_code``, else its ``code``; https://docs.stripe.com/declines/codes):
# - "hard": retrying cannot work (the card is gone, blocked, or the customer must act):
#   never retried, the mandate is suspended and the customer is asked to choose another
#   card (``authentication_required``: their bank wants them present, to pay in the portal).
# - "soft": the same card may go through later (funds, issuer trouble): retried at the
#   company's retry days. A code missing from this table is soft.
DECLINE_CATEGORIES = {
    **dict.fromkeys((
        "stolen_card", "lost_card", "pickup_card", "restricted_card", "fraudulent", "expired_card",
        "incorrect_number", "invalid_account", "card_not_supported", "currency_not_supported",
        "do_not_try_again", "revocation_of_authorization", "revocation_of_all_authorizations",
        "stop_payment_order", "security_violation", "transaction_not_allowed",
        "new_account_information_available", "authentication_required",
    ), "hard"),
    **dict.fromkeys((
        "insufficient_funds", "processing_error", "try_again_later", "issuer_not_available",
        "reenter_transaction", "card_velocity_exceeded", "withdrawal_count_limit_exceeded",
        "generic_decline", "do_not_honor", "call_issuer", "approve_with_id", "no_action_taken",
        "not_permitted", "service_not_allowed",
    ), "soft"),
}

ATTEMPT_STATES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("done", "Charged"),
    ("declined", "Declined"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
# Attempts whose invoices must not get another charge: one is planned or under way, the card
# was charged, or the outcome is unknown (a collector checks it).
ACTIVE_STATES = ("queued", "sending", "done", "failed")
# Charges sent per scheduler call: each is one or two Stripe calls of at most the API timeout.
SEND_BATCH_SIZE = 20
# A charge whose request got no usable answer (timeout, HTTP 5xx, connection lost) is sent
# again with the same transaction, hence the same idempotency key, after these delays; then
# it is marked failed for a collector to check in Stripe.
SEND_RETRY = Backoff(
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
)
MAX_SEND_ERRORS = SEND_RETRY.max_tries
# PaymentIntent statuses Stripe still lets us cancel before any money moves
# (https://docs.stripe.com/api/payment_intents/cancel).
CANCELLABLE_INTENT_STATUSES = ("requires_payment_method", "requires_confirmation", "requires_action")
# PaymentIntents of the customer read when looking for an unanswered charge (newest first).
INTENT_LOOKUP_PAGES = 3


def classify_decline(code):
    """``"hard"`` or ``"soft"`` for a Stripe decline code (unknown codes are soft)."""
    return DECLINE_CATEGORIES.get(code or "", "soft")


class ArAutopayAttempt(models.Model):
    """One off-session charge of a customer's card for invoices due (one currency).

    Lifecycle: ``queued`` (with its draft payment transaction, reference fixed) → ``sending``
    → ``done`` (payment posted and reconciled) or ``declined`` (soft: a retry is planned at
    the company's retry days, as a new attempt with a new transaction; hard: the mandate is
    suspended) or ``failed`` (no usable answer after several tries, or a Stripe error that is
    not a card decline: a collector checks it). A request without answer leaves the attempt
    ``sending`` with the same transaction: the next try reuses its idempotency key, so Stripe
    replays the first outcome instead of charging twice. ``cancelled``: the invoices were
    paid, disputed... before the charge left.
    """

    _name = "ar.autopay.attempt"
    _inherit = ["ar.claim.mixin"]
    _description = "Autopay Charge"
    _order = "id desc"
    _rec_name = "reference"
    _check_company_auto = True

    mandate_id = fields.Many2one(
        "ar.autopay.mandate", required=True, index=True, readonly=True, ondelete="restrict",
        context={"active_test": False},
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    token_id = fields.Many2one("payment.token", string="Card", required=True, readonly=True, ondelete="restrict")
    invoice_ids = fields.Many2many(
        "account.move", "ar_autopay_attempt_invoice_rel", "attempt_id", "invoice_id", string="Invoices",
        readonly=True,
    )
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    plan_id = fields.Many2one(
        "ar.payment.plan", string="Payment plan", readonly=True, index="btree_not_null", ondelete="set null",
        help="The instalments due of this approved plan are charged, not the whole of its invoices.")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    transaction_id = fields.Many2one(
        "payment.transaction", readonly=True, index="btree_not_null", ondelete="restrict",
        help="A new transaction per attempt; its reference is the charge's description at Stripe and feeds "
             "the idempotency key of the request.",
    )
    reference = fields.Char(related="transaction_id.reference")
    payment_id = fields.Many2one(related="transaction_id.payment_id", string="Payment")
    attempt_number = fields.Integer(string="Attempt", default=1, readonly=True, help="1: first try; then retries.")
    previous_attempt_id = fields.Many2one(
        "ar.autopay.attempt", string="Retry of", readonly=True, index="btree_not_null", ondelete="set null")
    chain_date = fields.Date(
        string="First attempt on", required=True, readonly=True,
        help="Day of the first attempt of this chain of retries; the retry days count from it.",
    )
    state = fields.Selection(ATTEMPT_STATES, default="queued", required=True, readonly=True, index=True)
    decline_code = fields.Char(readonly=True)
    decline_category = fields.Selection(
        [("soft", "Soft: retried"), ("hard", "Hard: card to replace"), ("error", "Error")],
        readonly=True, index="btree_not_null",
    )
    message = fields.Char(readonly=True)
    next_retry_date = fields.Date(
        string="Next retry", readonly=True, index="btree_not_null",
        help="A soft decline is charged again on this day (as a new attempt).",
    )
    next_retry_is_last = fields.Boolean(readonly=True, help="Technical: the planned retry is the last one.")
    retry_notice_sent = fields.Boolean(
        readonly=True, help="The customer was told the day before the last retry.")
    date_queued = fields.Datetime(string="Queued on", readonly=True, default=fields.Datetime.now)
    date_sent = fields.Datetime(string="Sent on", readonly=True)
    send_errors = fields.Integer(
        string="Requests without answer", readonly=True,
        help="Times Stripe could not be reached or gave no usable answer for this charge.")
    send_after = fields.Datetime(string="Send again after", readonly=True, index="btree_not_null")

    # ------------------------------------------------------------------
    # Queue
    # ------------------------------------------------------------------

    @api.model
    def _ar_covered_invoices(self, invoices, mandates=None, exclude=None):
        """The invoices of ``invoices`` that must not get a new chain of charges.

        Covered: an attempt is queued, being sent, charged or failed for them, or (when
        ``mandates`` is given) one was declined on the card their customer's mandate still
        uses (a retry is planned, or the retries are over: that card is not charged again
        for them until the customer chooses another one). ``exclude``: attempts to ignore.
        """
        if not invoices:
            return invoices
        states = ACTIVE_STATES + (("declined",) if mandates else ())
        attempts = self.sudo().search([("invoice_ids", "in", invoices.ids), ("state", "in", states)])
        # a charged instalment leaves the plan's invoices open for the next ones
        attempts = attempts.filtered(lambda attempt: not (attempt.plan_id and attempt.state == "done"))
        if exclude:
            attempts -= exclude
        card = {(mandate.partner_id.id, mandate.company_id.id): mandate.token_id for mandate in mandates or ()}
        covered = invoices.browse()
        for attempt in attempts:
            if attempt.state != "declined" or card.get((attempt.partner_id.id, attempt.company_id.id)) == attempt.token_id:
                covered |= attempt.invoice_ids
        return covered & invoices

    @api.model
    def _ar_create_attempts(self, specs):
        """Create queued attempts, each with its draft offline payment transaction.

        :param list specs: dicts with ``mandate``, ``invoices`` (one currency), ``today`` and,
            for a retry, ``previous`` (the declined attempt)
        :return: the attempts
        """
        specs = [spec for spec in specs if spec["invoices"]]
        if not specs:
            return self.browse()
        tx_vals = []
        for spec in specs:
            token = spec["mandate"].token_id
            currency = spec["invoices"].currency_id
            spec["amount"] = spec.get("amount") or currency.round(sum(spec["invoices"].mapped("amount_residual")))
            tx_vals.append({
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "token_id": token.id,
                "amount": spec["amount"],
                "currency_id": currency.id,
                "partner_id": spec["mandate"].partner_id.id,
                "operation": "offline",
                "invoice_ids": [Command.set(spec["invoices"].ids)],
            })
        # The reference is computed here, once: every send of this attempt uses the same one,
        # hence the same Stripe idempotency key. One create per transaction: payment's
        # constraint _check_token_is_active reads token_id as a singleton.
        Transaction = self.env["payment.transaction"].sudo()
        transactions = Transaction.concat(*(Transaction.create(vals) for vals in tx_vals))
        vals_list = []
        for spec, tx in zip(specs, transactions, strict=True):
            previous = spec.get("previous")
            vals_list.append({
                "mandate_id": spec["mandate"].id,
                "partner_id": spec["mandate"].partner_id.id,
                "company_id": spec["mandate"].company_id.id,
                "token_id": tx.token_id.id,
                "invoice_ids": [Command.set(spec["invoices"].ids)],
                "amount": spec["amount"],
                "plan_id": spec["plan"].id if spec.get("plan") else False,
                "currency_id": tx.currency_id.id,
                "transaction_id": tx.id,
                "attempt_number": previous.attempt_number + 1 if previous else 1,
                "previous_attempt_id": previous.id if previous else False,
                "chain_date": previous.chain_date if previous else spec["today"],
            })
        return self.sudo().create(vals_list)

    @api.model
    def _ar_plan_specs(self, invoices, mandates, today):
        """Charges of the instalments due on ``today`` of the approved plans holding some of
        ``invoices`` (due invoices not covered by a charge yet) under ``mandates``.

        :return: (specs for ``_ar_create_attempts``, the invoices of ``invoices`` in those plans:
            they are not charged as a whole)
        """
        plans = self.env["ar.payment.plan"].sudo().search(
            [("state", "=", "active"), ("invoice_ids", "in", invoices.ids)])
        by_mandate = {(mandate.partner_id.id, mandate.company_id.id): mandate for mandate in mandates}
        specs = []
        for plan in plans:
            mandate = by_mandate.get((plan.partner_id.id, plan.company_id.id))
            open_invoices = plan.invoice_ids.filtered(lambda inv: inv.payment_state in OPEN_PAYMENT_STATES)
            # an invoice of the plan is already being charged: the next queue run
            if not mandate or not open_invoices or open_invoices - invoices:
                continue
            due = plan._ar_amount_due(today)
            if plan.currency_id.compare_amounts(due, 0.0) <= 0:
                continue
            # a dispute, a promise, an exclusion... stops the plan's charge as it stops the invoices'
            if open_invoices.with_context(ar_plan_no_pause=True)._ar_get_pause_reasons(today):
                continue
            specs.append({"mandate": mandate, "invoices": open_invoices, "today": today, "amount": due, "plan": plan})
        return specs, plans.invoice_ids & invoices

    @api.model
    def _ar_retry_domain(self, today):
        return [("state", "=", "declined"), ("next_retry_date", "!=", False), ("next_retry_date", "<=", today)]

    @api.model
    def _ar_queue_retries(self, today, limit):
        """Queue a new attempt for the soft declines whose retry day came, with those of their
        invoices that are still to be charged.

        :return: the new attempts
        """
        due = self.sudo().search(self._ar_retry_domain(today), limit=limit, order="next_retry_date, id")
        if not due:
            return self.browse()
        invoices = due.invoice_ids
        blocked = invoices._ar_get_pause_reasons(today)
        covered = self._ar_covered_invoices(invoices, exclude=due)
        specs = []
        dropped = {}
        for attempt in due:
            mandate = attempt.mandate_id
            if not (mandate.active and mandate.state == "active" and mandate.token_id == attempt.token_id):
                dropped[attempt] = self.env._("Retry dropped: autopay is off, suspended or uses another card.")
                continue
            if attempt.plan_id:
                spec = attempt._ar_plan_retry_spec(today, covered)
                if spec:
                    specs.append(spec)
                else:
                    dropped[attempt] = self.env._("Retry dropped: nothing left to charge.")
                continue
            left = attempt.invoice_ids.filtered(
                lambda inv: inv.state == "posted" and inv.payment_state in OPEN_PAYMENT_STATES
                and inv.id not in blocked and inv not in covered and inv.amount_residual > 0)
            if not left:
                dropped[attempt] = self.env._("Retry dropped: nothing left to charge.")
                continue
            specs.append({"mandate": mandate, "invoices": left, "today": today, "previous": attempt})
        due.write({"next_retry_date": False})
        for attempt, reason in dropped.items():
            attempt.message = reason
        self.browse([attempt.id for attempt in dropped])._ar_log_on_invoices()
        return self._ar_create_attempts(specs)

    def _ar_plan_retry_spec(self, today, covered):
        """The retry of this declined charge of a plan's instalments: what is due on ``today``
        (False when nothing is, or the plan's invoices are paused or charged otherwise)."""
        self.ensure_one()
        plan = self.plan_id.sudo()
        invoices = plan.invoice_ids.filtered(lambda inv: inv.payment_state in OPEN_PAYMENT_STATES)
        due = plan._ar_amount_due(today) if plan.state == "active" else 0.0
        if not invoices or invoices & covered or plan.currency_id.compare_amounts(due, 0.0) <= 0 \
                or invoices.with_context(ar_plan_no_pause=True)._ar_get_pause_reasons(today):
            return False
        return {"mandate": self.mandate_id, "invoices": invoices, "today": today, "previous": self,
                "amount": due, "plan": plan}

    def _ar_send_last_retry_notice(self, today):
        """Tell the customers whose last retry comes tomorrow (or today), once."""
        template = self.env.ref("ar_collections_portal_stripe.mail_template_autopay_last_retry")
        to_notify = self.filtered(
            lambda attempt: attempt.state == "declined" and attempt.next_retry_is_last
            and not attempt.retry_notice_sent and attempt.next_retry_date
            and attempt.next_retry_date <= today + timedelta(days=1))
        for attempt in to_notify:
            attempt.mandate_id._ar_notify_customer(template, attempt)
        to_notify.write({"retry_notice_sent": True})
        return to_notify

    @api.model
    def _ar_notify_last_retry(self, today, limit):
        """Scheduler part: the last-retry notices due on ``today``."""
        attempts = self.sudo().search([
            ("state", "=", "declined"),
            ("next_retry_is_last", "=", True),
            ("retry_notice_sent", "=", False),
            ("next_retry_date", "!=", False),
            ("next_retry_date", "<=", today + timedelta(days=1)),
        ], limit=limit)
        return attempts._ar_send_last_retry_notice(today)

    def _ar_stop_pending(self, reason):
        """Cancel the queued attempts of ``self`` and drop their planned retries (the card
        changed, the mandate was suspended or ended). Charges being sent are left to finish."""
        self._ar_cancel(reason)
        waiting = self.filtered(lambda attempt: attempt.state == "declined" and attempt.next_retry_date)
        waiting.write({"next_retry_date": False, "next_retry_is_last": False, "message": reason})
        waiting._ar_log_on_invoices()

    def _ar_cancel(self, reason, states=("queued",)):
        """Cancel those of these attempts in ``states`` (by default: not sent yet), and their
        draft transactions.

        :return: the attempts cancelled
        """
        to_cancel = self.filtered(lambda attempt: attempt.state in states)
        if not to_cancel:
            return to_cancel
        to_cancel.transaction_id.filtered(lambda tx: tx.state == "draft")._set_canceled(state_message=reason)
        to_cancel.write({"state": "cancelled", "message": reason, "send_after": False})
        to_cancel._ar_log_on_invoices()
        return to_cancel

    # ------------------------------------------------------------------
    # Send
    # ------------------------------------------------------------------

    @api.model
    def _cron_autopay_send(self, batch_size=SEND_BATCH_SIZE, now=None):
        """Scheduled action: send the queued charges and those to send again (batch protocol)."""
        now = now or fields.Datetime.now()
        attempts = self._ar_claim(batch_size, now)
        attempts._ar_send(now)
        remaining = self.sudo().search_count(self._ar_due_domain(now))
        self.env["ir.cron"]._notify_progress(done=len(attempts), remaining=remaining)
        return attempts

    @api.model
    def _ar_due_domain(self, now):
        return [("state", "in", ("queued", "sending")), "|", ("send_after", "=", False), ("send_after", "<=", now)]

    @api.model
    def _ar_claim(self, limit, now=None):
        """Lock up to ``limit`` attempts to send that no other worker holds.

        Two workers never send the same charge (``ar.claim.mixin``).
        """
        now = now or fields.Datetime.now()
        return self._ar_claim_rows(
            SQL("state IN ('queued', 'sending') AND (send_after IS NULL OR send_after <= %s)", now),
            SQL("id"), limit, ["state", "send_after"],
        )

    def _ar_send(self, now=None):
        """Send these attempts to Stripe (those queued are checked once more first)."""
        now = now or fields.Datetime.now()
        today = fields.Date.context_today(self, now)
        self.filtered(lambda attempt: attempt.state == "queued")._ar_recheck(today)
        for attempt in self:
            # Re-read the state: a hard decline earlier in the batch cancels the queued
            # charges of the same mandate.
            if attempt.state in ("queued", "sending"):
                attempt._ar_send_one(now, today)

    def _ar_recheck(self, today):
        """Cancel the queued attempts that must not be charged any more: an invoice paid,
        disputed, promised, in a plan, excluded, reset to draft or with another open amount
        since it was queued; the card removed or changed; autopay off or suspended. The
        invoices still due are queued again by the next queue run."""
        reasons = self.invoice_ids._ar_get_pause_reasons(today)
        to_requeue = self.env["ar.autopay.mandate"]
        for attempt in self:
            reason = attempt._ar_cancel_reason(reasons)
            if reason:
                attempt._ar_cancel(reason)
                to_requeue |= attempt.mandate_id
        if to_requeue:
            # What is still due under these mandates is queued again without waiting a day.
            to_requeue.write({"queued_date": False})
            self.env.ref("ar_collections_portal_stripe.ir_cron_autopay_queue")._trigger()

    def _ar_cancel_reason(self, pause_reasons):
        """Why this queued attempt must not be sent (False: send it); ``pause_reasons``: the
        invoices' pause reasons, ``account.move._ar_get_pause_reasons``."""
        self.ensure_one()
        mandate = self.mandate_id
        if not mandate.active or mandate.state != "active":
            return self.env._("Autopay is off or suspended.")
        if not self.token_id.active or self.token_id != mandate.token_id:
            return self.env._("The card was removed or replaced.")
        if self.plan_id:
            return self._ar_plan_cancel_reason()
        for invoice in self.invoice_ids:
            if invoice.state != "posted":
                return self.env._("%(invoice)s is no longer posted.", invoice=invoice.display_name)
            if invoice.id in pause_reasons:
                return self.env._("%(invoice)s: %(reason)s", invoice=invoice.display_name,
                                  reason=pause_reasons[invoice.id])
        if self.currency_id.compare_amounts(sum(self.invoice_ids.mapped("amount_residual")), self.amount):
            return self.env._("The amount due changed since the charge was queued.")
        return False

    def _ar_plan_cancel_reason(self):
        """Why this queued charge of a plan's instalments must not be sent (False: send it)."""
        today = fields.Date.context_today(self)
        plan = self.plan_id.sudo()
        if plan.state != "active":
            return self.env._("The payment plan is no longer active.")
        reasons = self.invoice_ids.with_context(ar_plan_no_pause=True)._ar_get_pause_reasons(today)
        for invoice in self.invoice_ids:
            if invoice.state != "posted":
                return self.env._("%(invoice)s is no longer posted.", invoice=invoice.display_name)
            if invoice.id in reasons:
                return self.env._("%(invoice)s: %(reason)s", invoice=invoice.display_name, reason=reasons[invoice.id])
        # the instalments due then, or those due on the day it was queued (sent a day later)
        if self.currency_id.compare_amounts(plan._ar_amount_due(max(today, self.chain_date)), self.amount) \
                and self.currency_id.compare_amounts(plan._ar_amount_due(self.chain_date), self.amount):
            return self.env._("The amount due changed since the charge was queued.")
        return False

    def _ar_send_one(self, now, today):
        self.ensure_one()
        tx = self.transaction_id.sudo()
        if self.state == "queued":
            self.write({"state": "sending", "date_sent": now})
        elif self.send_errors and tx.state == "draft":
            # Sent before without an answer: the invoices may have been paid by hand since.
            # Never charge them again; find out what the first request did instead.
            reason = self._ar_cancel_reason(self.invoice_ids._ar_get_pause_reasons(today))
            if reason:
                self._ar_settle_unanswered(reason, now, today)
                return
        errors = []
        if tx.state == "draft":
            # The Stripe layer appends the error objects it receives to this list. Read it back
            # from the environment: Odoo reuses an environment whose context is equal, so an
            # earlier, equally empty list may be the one that gets them.
            tx = tx.with_context(ar_stripe_errors=[])
            errors = tx.env.context["ar_stripe_errors"]
            try:
                with self.env.cr.savepoint():
                    tx._send_payment_request()
            except psycopg2.Error:
                raise  # concurrency or database trouble: the whole batch is tried again
            except Exception as error:  # whatever broke, the charge may have been made
                # The savepoint put the transaction back to draft: the next try sends the same
                # reference, hence the same idempotency key, and Stripe replays what it did.
                _logger.warning("autopay charge %s got no usable answer: %s", tx.reference, error)
                self._ar_no_answer(str(error), now)
                return
        if tx.state == "done":
            self._ar_done()
        elif tx.state in ("error", "cancel", "draft"):
            self._ar_declined(errors, today)
        else:  # pending or authorized: Stripe's webhook will tell the outcome
            self._ar_no_answer(self.env._("Stripe is still processing the payment."), now)

    def _ar_no_answer(self, message, now):
        """This attempt got no usable answer: send it again later with the same transaction,
        or give it to a collector after too many tries."""
        self.ensure_one()
        count = self.send_errors + 1
        if count >= MAX_SEND_ERRORS and self._ar_apply_found_intent(fields.Date.context_today(self, now)):
            return
        if count >= MAX_SEND_ERRORS:
            self.write({
                "state": "failed", "send_errors": count, "send_after": False, "decline_category": "error",
                "message": self.env._("No answer from Stripe after %(count)s tries: %(error)s", count=count,
                                      error=message),
            })
            self._ar_collector_activity()
            self._ar_log_on_invoices()
            return
        send_after = SEND_RETRY.next_try(now, count)
        self.write({"send_errors": count, "send_after": send_after, "message": message})
        self.env.ref("ar_collections_portal_stripe.ir_cron_autopay_send")._trigger(at=send_after)

    def _ar_stripe_intent(self):
        """The PaymentIntent Stripe holds for this attempt's transaction, or None if it has none.

        Looked up among the customer's intents by the transaction reference (the intent's
        description). Raises ``ValidationError`` when Stripe cannot be asked.
        """
        self.ensure_one()
        tx = self.transaction_id.sudo()
        payload = {
            "customer": tx.token_id.provider_ref,
            "limit": 100,
            "created[gte]": int(tx.create_date.timestamp()) - 3600,
        }
        for _page in range(INTENT_LOOKUP_PAGES):
            answer = tx.provider_id._stripe_make_request("payment_intents", payload=payload, method="GET")
            intents = answer.get("data") or []
            for intent in intents:
                if isinstance(intent, dict) and intent.get("description") == tx.reference:
                    return intent
            if not answer.get("has_more") or not intents:
                return None
            payload["starting_after"] = intents[-1]["id"]
        raise ValidationError(self.env._("Stripe: too many payments of this customer to find %(reference)s.",
                                         reference=tx.reference))

    def _ar_apply_found_intent(self, today):
        """Apply what Stripe did with this charge if it has an intent for it; True if settled."""
        self.ensure_one()
        try:
            intent = self._ar_stripe_intent()
        except ValidationError as error:
            _logger.warning("autopay: could not look up charge %s at Stripe: %s", self.reference, error)
            return False
        return bool(intent) and self._ar_apply_intent(intent, today)

    def _ar_apply_intent(self, intent, today):
        """Settle this attempt from its Stripe ``intent``; True unless Stripe is still at it."""
        self.ensure_one()
        tx = self.transaction_id.sudo()
        tx._handle_notification_data("stripe", {
            "reference": tx.reference, "payment_intent": intent, "payment_method": intent.get("payment_method"),
        })
        if tx.state == "done":
            self._ar_done()
        elif tx.state in ("error", "cancel"):
            self._ar_declined([intent["last_payment_error"]] if intent.get("last_payment_error") else [], today)
        else:
            return False  # still processing at Stripe: its webhook tells the outcome
        return True

    def _ar_settle_unanswered(self, reason, now, today):
        """Stop a charge sent without answer whose invoices no longer need it (``reason``).

        The first request may have reached Stripe: an intent still waiting is cancelled there,
        a charge already made is recorded (the collector decides on the refund), and only when
        Stripe has nothing is the attempt simply cancelled.
        """
        self.ensure_one()
        tx = self.transaction_id.sudo()
        try:
            intent = self._ar_stripe_intent()
            if intent and intent.get("status") in CANCELLABLE_INTENT_STATUSES:
                intent = tx.provider_id._stripe_make_request(f"payment_intents/{intent['id']}/cancel")
        except ValidationError as error:
            # Stripe cannot say whether it charged: ask again later, never charge.
            self._ar_no_answer(str(error), now)
            return
        if intent and intent.get("status") not in ("canceled", "requires_payment_method"):
            if self._ar_apply_intent(intent, today) and self.state == "done":
                self.message = self.env._(
                    "Charged by an earlier request although %(reason)s: refund it or keep it as credit.",
                    reason=reason)
                self._ar_collector_activity()
            return
        self._ar_cancel(self.env._("Not charged: %(reason)s", reason=reason), states=("sending",))

    def _ar_done(self):
        self.ensure_one()
        tx = self.transaction_id.sudo()
        self.write({"state": "done", "send_after": False, "next_retry_date": False, "message": False})
        try:
            with self.env.cr.savepoint():
                tx._post_process()
        except psycopg2.Error:
            raise
        except Exception:  # the card was charged: never undo that
            # Odoo's post-processing cron tries again (the transaction is not post-processed).
            _logger.exception("autopay: the payment of transaction %s could not be posted", tx.reference)
        self.mandate_id.last_result = self.env._(
            "Charged %(amount)s on %(date)s", amount=self._ar_amount_text(),
            date=fields.Date.to_string(fields.Date.context_today(self)))
        self._ar_log_on_invoices()

    def _ar_declined(self, errors, today):
        """Classify the refusal and plan what follows: a retry, a suspension, a collector."""
        self.ensure_one()
        tx = self.transaction_id.sudo()
        error = next((err for err in reversed(errors) if err.get("decline_code") or err.get("type") == "card_error"),
                     errors[-1] if errors else {})
        code = error.get("decline_code") or error.get("code") or False
        is_decline = bool(error.get("decline_code")) or error.get("type") == "card_error"
        category = classify_decline(code) if is_decline else "error"
        message = error.get("message") or tx.state_message or self.env._("The charge was refused.")
        if tx.state == "draft":
            tx._set_error(message)
        vals = {"decline_code": code, "decline_category": category, "message": message, "send_after": False}
        mandate = self.mandate_id
        if category == "error":
            self.write({**vals, "state": "failed"})
            self._ar_collector_activity()
        elif category == "hard":
            self.write({**vals, "state": "declined"})
            mandate._ar_suspend(self.env._("Card declined (%(code)s): waiting for another card.", code=code))
            mandate._ar_notify_customer(
                self.env.ref("ar_collections_portal_stripe.mail_template_autopay_hard_decline"), self)
        else:
            days = self.company_id._ar_autopay_retry_days()
            retries_done = self.attempt_number - 1
            if retries_done < len(days):
                vals.update(
                    next_retry_date=max(self.chain_date + timedelta(days=days[retries_done]),
                                        today + timedelta(days=1)),
                    next_retry_is_last=retries_done + 1 == len(days),
                )
            self.write({**vals, "state": "declined"})
            self._ar_send_last_retry_notice(today)
        mandate.last_result = self.env._("Declined (%(code)s): %(message)s", code=code or category, message=message)
        self._ar_log_on_invoices()

    def _ar_collector_activity(self):
        """Ask the customer's collector to look at this charge in Stripe."""
        self.ensure_one()
        mandate = self.mandate_id
        user = self.partner_id.with_company(self.company_id).ar_collector_id or self.company_id._ar_escalation_user()
        mandate.sudo().with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=self.env._("Autopay charge %(reference)s failed", reference=self.reference),
            note=Markup("<p>%s</p>") % self.env._(  # escapes Stripe's message
                "The charge %(reference)s of %(amount)s failed: %(message)s. Look for a payment with this "
                "description in the Stripe dashboard before trying again or cancelling it.",
                reference=self.reference, amount=self._ar_amount_text(), message=self.message or ""),
            user_id=user.id,
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry_now(self):
        """Send a failed charge again with the same transaction (Stripe replays a charge made)."""
        self.check_access("write")
        retry = self.filtered(lambda attempt: attempt.state == "failed" and attempt.transaction_id.state == "draft")
        retry.write({"state": "sending", "send_errors": 0, "send_after": False})
        if retry:
            self.env.ref("ar_collections_portal_stripe.ir_cron_autopay_send")._trigger()

    def action_cancel(self):
        """Cancel a queued or failed charge: its invoices are charged anew by the next queue run."""
        self.check_access("write")
        cancelled = self._ar_cancel(self.env._("Cancelled by %(user)s", user=self.env.user.name),
                                    states=("queued", "failed"))
        cancelled.mandate_id.write({"queued_date": False})

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _ar_amount_text(self):
        self.ensure_one()
        return self.currency_id.format(self.amount)

    def _ar_state_text(self):
        """One line on the outcome of this attempt, for the invoices' chatter."""
        self.ensure_one()
        if self.state == "done":
            return self.env._("Autopay: %(amount)s charged on %(card)s (attempt %(number)s, %(reference)s).",
                              amount=self._ar_amount_text(), card=self.token_id.display_name,
                              number=self.attempt_number, reference=self.reference)
        if self.state == "declined":
            if self.next_retry_date:
                return self.env._(
                    "Autopay: %(amount)s declined on %(card)s (%(code)s, attempt %(number)s): %(message)s "
                    "Next try on %(date)s.", amount=self._ar_amount_text(), card=self.token_id.display_name,
                    code=self.decline_code or "", number=self.attempt_number, message=self.message or "",
                    date=fields.Date.to_string(self.next_retry_date))
            return self.env._(
                "Autopay: %(amount)s declined on %(card)s (%(code)s, attempt %(number)s): %(message)s "
                "No further automatic try.", amount=self._ar_amount_text(), card=self.token_id.display_name,
                code=self.decline_code or "", number=self.attempt_number, message=self.message or "")
        return self.env._("Autopay: charge of %(amount)s %(state)s (attempt %(number)s): %(message)s",
                          amount=self._ar_amount_text(), state=dict(ATTEMPT_STATES)[self.state].lower(),
                          number=self.attempt_number, message=self.message or "")

    def _ar_log_on_invoices(self):
        """A short note on the invoices of each attempt about its outcome (one batch per call)."""
        bodies = {}
        for attempt in self:
            body = Markup("<p>%s</p>") % attempt._ar_state_text()  # escapes Stripe's message
            for invoice in attempt.invoice_ids:
                bodies[invoice.id] = bodies[invoice.id] + body if invoice.id in bodies else body
        if bodies:
            self.env["account.move"].sudo().browse(list(bodies))._message_log_batch(bodies=bodies)
