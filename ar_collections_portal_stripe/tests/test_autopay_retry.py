from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.ar_collections.const import PAID_PAYMENT_STATES
from odoo.addons.ar_collections_portal_stripe.models.ar_autopay_attempt import DECLINE_CATEGORIES, classify_decline
from odoo.addons.ar_collections_portal_stripe.tests.test_autopay import ArAutopayCase

HARD_CODES = (
    "stolen_card", "lost_card", "pickup_card", "restricted_card", "fraudulent", "expired_card",
    "incorrect_number", "invalid_account", "card_not_supported", "currency_not_supported", "do_not_try_again",
    "revocation_of_authorization", "revocation_of_all_authorizations", "stop_payment_order",
    "security_violation", "transaction_not_allowed", "new_account_information_available",
    "authentication_required",
)
SOFT_CODES = (
    "insufficient_funds", "processing_error", "try_again_later", "issuer_not_available", "reenter_transaction",
    "card_velocity_exceeded", "withdrawal_count_limit_exceeded", "generic_decline", "do_not_honor",
    "call_issuer", "approve_with_id", "no_action_taken", "not_permitted", "service_not_allowed",
)


@tagged("post_install", "-at_install")
class TestAutopayRetry(ArAutopayCase):
    """Declined charges: retried at the company's retry days (1, 3, 7) when the decline is soft,
    never when it is hard."""

    def _days_with_attempts(self, last_day=30):
        """Run the scheduler every day from today; {day offset: attempts queued that day}."""
        queued = {}
        for offset in range(last_day + 1):
            attempts = self._run_day(self.today + timedelta(days=offset))
            if attempts:
                queued[offset] = attempts
        return queued

    def test_classification_table(self):
        self.assertEqual({code for code, kind in DECLINE_CATEGORIES.items() if kind == "hard"}, set(HARD_CODES))
        self.assertEqual({code for code, kind in DECLINE_CATEGORIES.items() if kind == "soft"}, set(SOFT_CODES))
        self.assertEqual(classify_decline("a_code_stripe_adds_next_year"), "soft")
        self.assertEqual(classify_decline(None), "soft")

    def test_soft_decline_retried_at_offsets_then_stops(self):
        self.assertEqual(self.company._ar_autopay_retry_days(), [1, 3, 7])
        self._use_card("pm_ar_no_funds", decline_code="insufficient_funds")
        queued = self._days_with_attempts(last_day=9)
        self.assertEqual(sorted(queued), [0, 1, 3, 7], "first try, then retries 1, 3 and 7 days after it")
        attempts = self.Attempt.search([("mandate_id", "=", self.mandate.id)], order="id")
        self.assertEqual(attempts.mapped("attempt_number"), [1, 2, 3, 4], "at most 3 retries")
        self.assertEqual(set(attempts.mapped("state")), {"declined"})
        self.assertEqual(set(attempts.mapped("decline_code")), {"insufficient_funds"})
        self.assertEqual(set(attempts.mapped("decline_category")), {"soft"})
        self.assertEqual(set(attempts.mapped("chain_date")), {self.today})
        self.assertEqual(len(attempts.transaction_id), 4, "a new transaction per attempt")
        keys = {req["headers"]["idempotency-key"] for req in self._intent_requests()}
        self.assertEqual(len(self._intent_requests()), 4)
        self.assertEqual(len(keys), 4, "each attempt has its own idempotency key")
        self.assertFalse(attempts.filtered("next_retry_date"), "nothing left to retry")
        self.assertEqual(self.mandate.state, "active", "a soft decline does not suspend autopay")
        self.assertFalse(self.fake_stripe.charges)
        self.assertEqual(self.inv_overdue.payment_state, "not_paid")
        notices = self._mandate_mails("once more")
        self.assertEqual(len(notices), 1, "one email before the last retry")
        self.assertEqual(notices.state, "outgoing")
        self.assertIn(self.customer, notices.recipient_ids)
        self.assertTrue(attempts[2].retry_notice_sent, "sent for the attempt before the last one")
        # The invoice falling due on day 10 starts its own chain; the others are not charged
        # to this card again.
        later = self._run_day(self.today + timedelta(days=10))
        self.assertEqual((later.invoice_ids, later.attempt_number), (self.inv_not_due, 1))

    def test_last_retry_notice_the_day_before(self):
        self._use_card("pm_ar_no_funds", decline_code="insufficient_funds")
        for offset in (0, 1, 3):
            self._run_day(self.today + timedelta(days=offset))
        self.assertFalse(self._mandate_mails("once more"), "not before the day before the last retry")
        self._queue(self.today + timedelta(days=5))
        self.assertFalse(self._mandate_mails("once more"))
        self._queue(self.today + timedelta(days=6))
        notice = self._mandate_mails("once more")
        self.assertEqual(len(notice), 1)
        self._queue(self.today + timedelta(days=6))
        self.assertEqual(len(self._mandate_mails("once more")), 1, "once")
        self.assertEqual(len(self._intent_requests()), 3, "the notice day charges nothing")

    def test_soft_decline_then_success_on_second_retry(self):
        self._use_card("pm_ar_later", decline_code="do_not_honor")
        self._run_day(self.today)
        self._run_day(self.today + timedelta(days=1))
        self.fake_stripe.set_decline("pm_ar_later", None)
        retry = self._run_day(self.today + timedelta(days=3))
        self.assertEqual((retry.attempt_number, retry.state), (3, "done"))
        self.assertEqual(len(self.fake_stripe.charges), 1)
        self.assertEqual(self.fake_stripe.charges[0]["description"], retry.transaction_id.reference)
        self.assertIn(self.inv_overdue.payment_state, PAID_PAYMENT_STATES)
        for offset in range(4, 10):
            self.assertFalse(self._run_day(self.today + timedelta(days=offset)), f"day {offset}: no more attempts")
        self.assertEqual(len(self.fake_stripe.charges), 1)
        self.assertEqual(self._run_day(self.today + timedelta(days=10)).invoice_ids, self.inv_not_due,
                         "only the invoice falling due")

    def test_retry_charges_what_is_left(self):
        self._use_card("pm_ar_no_funds", decline_code="insufficient_funds")
        first = self._run_day(self.today)
        self.assertEqual(first.amount, 1350.0)
        self._ar_pay(self.inv_partial, 350.0)
        self.fake_stripe.set_decline("pm_ar_no_funds", None)
        retry = self._run_day(self.today + timedelta(days=1))
        self.assertEqual((retry.invoice_ids, retry.amount, retry.state), (self.inv_overdue, 1000.0, "done"))
        self.assertEqual(self.fake_stripe.charges[0]["amount"], 100000)

    def _assert_hard_decline(self, code):
        token = self._use_card(f"pm_ar_{code}", decline_code=code)
        attempt = self._run_day(self.today)
        self.assertEqual((attempt.state, attempt.decline_code, attempt.decline_category), ("declined", code, "hard"))
        self.assertFalse(attempt.next_retry_date, "never retried")
        self.assertEqual(self.mandate.state, "suspended")
        self.assertIn(code, self.mandate.state_reason)
        mails = self._mandate_mails("declined")
        self.assertEqual(len(mails), 1, "the customer is asked to update the card")
        self.assertEqual(mails.state, "outgoing")
        self.assertIn("/my/autopay", mails.body_html)
        for offset in range(1, 10):
            self.assertFalse(self._run_day(self.today + timedelta(days=offset)), f"day {offset}: suspended")
        self.assertEqual(len(self._intent_requests()), 1)
        # A new card lifts the suspension: the invoices are charged to it.
        self._use_card("pm_card_visa")
        self.assertEqual(self.mandate.state, "active")
        again = self._run_day(self.today + timedelta(days=10))
        self.assertEqual((again.attempt_number, again.state), (1, "done"))
        self.assertNotEqual(again.token_id, token)
        self.assertEqual(len(self.fake_stripe.charges), 1)
        return attempt

    def test_hard_decline_stolen_card(self):
        self._assert_hard_decline("stolen_card")

    def test_hard_decline_lost_card(self):
        self._assert_hard_decline("lost_card")

    def test_hard_decline_do_not_try_again(self):
        self._assert_hard_decline("do_not_try_again")

    def test_authentication_required_asks_to_pay_online(self):
        self._use_card("pm_ar_sca", decline_code="authentication_required", code="authentication_required")
        attempt = self._run_day(self.today)
        self.assertEqual((attempt.decline_category, self.mandate.state), ("hard", "suspended"))
        mail = self._mandate_mails("declined")
        self.assertIn("confirm the payment", mail.body_html)
        self.assertIn(f"/my/invoices/{self.inv_overdue.id}", mail.body_html)

    def test_hard_decline_cancels_other_queued_charges(self):
        eur = self.env.ref("base.EUR")
        if eur == self.company.currency_id:
            eur = self.env.ref("base.USD")
        eur.active = True
        foreign = self._ar_invoice(self.customer, 80.0, days_overdue=3, currency=eur)
        self._use_card("pm_ar_stolen", decline_code="stolen_card")
        attempts = self._queue()
        self.assertEqual(len(attempts), 2, "one charge per currency")
        self.assertIn(foreign, attempts.invoice_ids)
        self._send()
        self.assertEqual(sorted(attempts.mapped("state")), ["cancelled", "declined"])
        self.assertEqual(len(self._intent_requests()), 1, "the second charge was not sent after a hard decline")

    def test_unknown_decline_code_is_soft(self):
        self._use_card("pm_ar_new_code", decline_code="a_code_stripe_adds_next_year")
        attempt = self._run_day(self.today)
        self.assertEqual((attempt.decline_category, attempt.state), ("soft", "declined"))
        self.assertEqual(attempt.next_retry_date, self.today + timedelta(days=1))
        self.assertEqual(self.mandate.state, "active")

    def test_decline_code_falls_back_to_code(self):
        # Stripe refuses some charges with a bare ``code`` (no ``decline_code``); the fake always
        # sends both, so the refusal is handed over as Stripe's error object.
        attempt = self._queue()
        errors = [{"type": "card_error", "code": "expired_card", "message": "Your card has expired."}]
        attempt.write({"state": "sending"})
        attempt._ar_declined(errors, self.today)
        self.assertEqual((attempt.decline_code, attempt.decline_category), ("expired_card", "hard"))
        self.assertEqual(self.mandate.state, "suspended")

    def test_stripe_error_is_failed_for_a_collector(self):
        self.customer.with_company(self.company).ar_collector_id = self.user_collector
        self._use_card("pm_ar_gone")
        del self.fake_stripe.payment_methods["pm_ar_gone"]  # detached at Stripe: "No such PaymentMethod"
        attempt = self._run_day(self.today)
        self.assertEqual((attempt.state, attempt.decline_category), ("failed", "error"))
        self.assertIn("No such PaymentMethod", attempt.message)
        activity = self.mandate.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_collector)
        self.assertIn(attempt.reference, activity.summary)
        self.assertFalse(self._run_day(self.today + timedelta(days=1)), "not charged anew until a collector acts")
