from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.ar_collections.const import PAID_PAYMENT_STATES
from odoo.addons.ar_collections_portal_stripe.models.ar_autopay_attempt import MAX_SEND_ERRORS
from odoo.addons.ar_collections_portal_stripe.tests.test_autopay import ArAutopayCase


@tagged("post_install", "-at_install")
class TestAutopayFaults(ArAutopayCase):
    """A charge whose request gets no usable answer is sent again with the same transaction,
    hence the same idempotency key: Stripe replays what it did, the card is charged once."""

    def _keys(self):
        return [req["headers"].get("idempotency-key") for req in self._intent_requests()]

    def test_resent_after_rollback_charges_once(self):
        attempt = self._queue()
        tx = attempt.transaction_id
        with self.env.cr.savepoint() as savepoint:
            attempt._ar_send()
            self.assertEqual((attempt.state, tx.state), ("done", "done"))
            self.assertEqual(len(self.fake_stripe.charges), 1)
            # The worker dies before its commit: everything it wrote is gone, the charge is not.
            savepoint.rollback()
        self.assertEqual((attempt.state, tx.state), ("queued", "draft"))
        self.assertFalse(tx.payment_id)
        self._send()
        self.assertEqual((attempt.state, tx.state), ("done", "done"))
        keys = self._keys()
        self.assertEqual(len(keys), 2, "Stripe was asked twice")
        self.assertEqual(len(set(keys)), 1, "with the same idempotency key")
        self.assertTrue(keys[0])
        self.assertEqual(len(self.fake_stripe.charges), 1, "and charged once")
        self.assertTrue(tx.payment_id)
        self.assertIn(self.inv_overdue.payment_state, PAID_PAYMENT_STATES)

    def _assert_recovers(self, kind):
        attempt = self._queue()
        tx = attempt.transaction_id
        self.fake_stripe.inject(kind)
        now = self._at(self.today)
        self.Attempt._cron_autopay_send(now=now)
        self.assertEqual((attempt.state, attempt.send_errors, attempt.transaction_id), ("sending", 1, tx))
        self.assertEqual(tx.state, "draft", "the transaction waits for the answer")
        self.assertTrue(attempt.message)
        self.assertEqual(attempt.send_after, now + timedelta(minutes=1))
        self.assertEqual(len(self.fake_stripe.charges), 1 if kind == "drop_after_charge" else 0, kind)
        # Not sent again before its time.
        self.assertFalse(self.Attempt._cron_autopay_send(now=now + timedelta(seconds=30)))
        self.assertEqual(len(self._intent_requests()), 1)
        # The next call completes it with the same transaction and idempotency key.
        self.assertEqual(self.Attempt._cron_autopay_send(now=now + timedelta(minutes=2)), attempt)
        self.assertEqual((attempt.state, attempt.transaction_id, tx.state), ("done", tx, "done"))
        self.assertEqual(len(self.fake_stripe.charges), 1, "exactly one charge")
        self.assertEqual(len(set(self._keys())), 1)
        self.assertEqual(len(self._keys()), 2)
        self.assertIn(self.inv_overdue.payment_state, PAID_PAYMENT_STATES)
        self.assertFalse(self.Attempt._cron_autopay_send(now=now + timedelta(hours=1)))
        self.assertEqual(len(self.fake_stripe.charges), 1)

    def test_timeout(self):
        self._assert_recovers("timeout")

    def test_http_500(self):
        self._assert_recovers("500")

    def test_connection_dropped_after_the_charge(self):
        self._assert_recovers("drop_after_charge")

    def test_connection_dropped_before(self):
        self._assert_recovers("drop_before")

    def test_declined_answer_lost_is_replayed_as_declined(self):
        self._use_card("pm_ar_no_funds", decline_code="insufficient_funds")
        attempt = self._queue()
        self.fake_stripe.inject("drop_after_charge")
        now = self._at(self.today)
        self.Attempt._cron_autopay_send(now=now)
        self.assertEqual(attempt.state, "sending")
        self.fake_stripe.set_decline("pm_ar_no_funds", None)  # a new charge would go through now
        self.Attempt._cron_autopay_send(now=now + timedelta(minutes=2))
        self.assertEqual((attempt.state, attempt.decline_code), ("declined", "insufficient_funds"),
                         "Stripe replays the first outcome")
        self.assertFalse(self.fake_stripe.charges)

    def test_too_many_failures_go_to_a_collector(self):
        self.customer.with_company(self.company).ar_collector_id = self.user_collector
        attempt = self._queue()
        tx = attempt.transaction_id
        self.fake_stripe.inject("500", count=MAX_SEND_ERRORS)
        now = self._at(self.today)
        for _try in range(MAX_SEND_ERRORS):
            self.assertEqual(self.Attempt._cron_autopay_send(now=now), attempt)
            if attempt.state == "sending":
                now = attempt.send_after
        self.assertEqual((attempt.state, attempt.decline_category, attempt.send_errors),
                         ("failed", "error", MAX_SEND_ERRORS))
        self.assertFalse(self.fake_stripe.charges)
        activity = self.mandate.activity_ids
        self.assertEqual((len(activity), activity.user_id), (1, self.user_collector))
        self.assertFalse(self._queue(self.today + timedelta(days=1)), "the invoices wait for the collector")
        # The collector checked Stripe and sends it again: same transaction, same key.
        attempt.with_user(self.user_ar_manager).action_retry_now()
        self.assertEqual(attempt.state, "sending")
        self._send(self.today + timedelta(days=1))
        self.assertEqual((attempt.state, attempt.transaction_id, tx.state), ("done", tx, "done"))
        self.assertEqual(len(set(self._keys())), 1)
        self.assertEqual(len(self.fake_stripe.charges), 1)
