from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.ar_collections.const import PAID_PAYMENT_STATES
from odoo.addons.ar_collections_portal_stripe.models.ar_autopay_attempt import MAX_SEND_ERRORS
from odoo.addons.ar_collections_portal_stripe.tests.test_autopay import ArAutopayCase
from odoo.addons.payment import utils as payment_utils


@tagged("post_install", "-at_install")
class TestAutopayLookup(ArAutopayCase):
    """A charge sent without answer is looked up at Stripe, never sent again blindly."""

    def _unanswered(self, fault):
        attempt = self._queue()
        self.fake_stripe.inject(fault)
        now = self._at(self.today)
        self.Attempt._cron_autopay_send(now=now)
        self.assertEqual((attempt.state, attempt.send_errors), ("sending", 1))
        return attempt, now + timedelta(minutes=2)

    def _pay_by_hand(self, attempt):
        for invoice in attempt.invoice_ids:
            self._ar_pay(invoice, invoice.amount_residual)
        self.assertTrue(all(inv.payment_state in PAID_PAYMENT_STATES for inv in attempt.invoice_ids))

    def _posts(self, path="payment_intents"):
        return [req for req in self.fake_stripe.requests if req["method"] == "POST" and req["path"] == path]

    def test_paid_by_hand_after_an_error_is_not_charged(self):
        attempt, later = self._unanswered("500")
        self._pay_by_hand(attempt)
        self.Attempt._cron_autopay_send(now=later)
        self.assertEqual(attempt.state, "cancelled")
        self.assertIn("Not charged", attempt.message)
        self.assertEqual(attempt.transaction_id.state, "cancel")
        self.assertFalse(self.fake_stripe.charges)
        self.assertEqual(len(self._posts()), 1, "the charge was not sent again")
        self.assertTrue(any(req["method"] == "GET" and req["path"] == "payment_intents"
                            for req in self.fake_stripe.requests), "Stripe was asked what it did")

    def test_paid_by_hand_after_a_lost_answer_records_the_one_charge(self):
        self.customer.with_company(self.company).ar_collector_id = self.user_collector
        attempt, later = self._unanswered("drop_after_charge")
        self.assertEqual(len(self.fake_stripe.charges), 1, "Stripe charged, the answer was lost")
        self._pay_by_hand(attempt)
        self.Attempt._cron_autopay_send(now=later)
        self.assertEqual(attempt.state, "done", "the charge Stripe made is recorded")
        self.assertEqual(attempt.transaction_id.state, "done")
        self.assertEqual(len(self.fake_stripe.charges), 1, "and not made twice")
        self.assertEqual(len(self._posts()), 1)
        self.assertIn("refund", attempt.message)
        activity = self.mandate.activity_ids
        self.assertEqual((len(activity), activity.user_id), (1, self.user_collector))

    def test_waiting_intent_is_cancelled_at_stripe(self):
        attempt, later = self._unanswered("500")
        tx = attempt.transaction_id
        # Stripe created the intent but had not confirmed it when the answer was lost.
        intent = {
            "id": "pi_waiting_1", "object": "payment_intent",
            "amount": payment_utils.to_minor_currency_units(tx.amount, tx.currency_id),
            "currency": tx.currency_id.name.lower(),
            "customer": self.token.provider_ref, "description": tx.reference, "status": "requires_confirmation",
            "capture_method": "automatic", "payment_method": None, "last_payment_error": None,
            "charges": {"object": "list", "data": [], "has_more": False}, "amount_received": 0,
            "client_secret": "pi_waiting_1_secret_fake", "created": int(tx.create_date.timestamp()),
        }
        self.fake_stripe.payment_intents[intent["id"]] = intent
        self._pay_by_hand(attempt)
        self.Attempt._cron_autopay_send(now=later)
        self.assertEqual(len(self._posts("payment_intents/pi_waiting_1/cancel")), 1)
        self.assertEqual(self.fake_stripe.payment_intents["pi_waiting_1"]["status"], "canceled")
        self.assertEqual(attempt.state, "cancelled")
        self.assertFalse(self.fake_stripe.charges)

    def test_lookup_without_answer_waits_and_never_charges(self):
        attempt, later = self._unanswered("500")
        self._pay_by_hand(attempt)
        self.fake_stripe.inject("500")  # the look-up fails too
        self.Attempt._cron_autopay_send(now=later)
        self.assertEqual((attempt.state, attempt.send_errors), ("sending", 2))
        self.Attempt._cron_autopay_send(now=attempt.send_after)
        self.assertEqual(attempt.state, "cancelled")
        self.assertEqual(len(self._posts()), 1)
        self.assertFalse(self.fake_stripe.charges)

    def test_unanswered_to_the_last_try_is_looked_up(self):
        attempt = self._queue()
        self.fake_stripe.inject("drop_after_charge", count=MAX_SEND_ERRORS)
        now = self._at(self.today)
        for _try in range(MAX_SEND_ERRORS):
            self.Attempt._cron_autopay_send(now=now)
            if attempt.state == "sending":
                now = attempt.send_after
        self.assertEqual(attempt.state, "done", "Stripe's answer found by looking it up")
        self.assertEqual(attempt.send_errors, MAX_SEND_ERRORS - 1)
        self.assertEqual(len(self.fake_stripe.charges), 1)
        self.assertIn(self.inv_overdue.payment_state, PAID_PAYMENT_STATES)
        self.assertFalse(self.mandate.activity_ids, "nothing for a collector to check")
