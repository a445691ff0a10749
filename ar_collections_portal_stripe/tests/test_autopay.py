from datetime import date, datetime, time, timedelta

import psycopg2

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections.const import PAID_PAYMENT_STATES
from odoo.addons.ar_collections_portal_stripe.tests.common import ArStripeCommon
from odoo.addons.payment import utils as payment_utils


class ArAutopayCase(ArStripeCommon):
    """The AR scenario with a Stripe card saved by the customer and an active autopay mandate
    of the test company on it (no tests here: the autopay test modules build on it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Mandate = cls.env["ar.autopay.mandate"]
        cls.Attempt = cls.env["ar.autopay.attempt"]
        cls.token = cls._ar_stripe_token(cls.customer)
        cls.mandate = cls.Mandate.create({
            "partner_id": cls.customer.id,
            "company_id": cls.company.id,
            "token_id": cls.token.id,
            "consent_user_id": cls.portal_user.id,
        })

    def setUp(self):
        super().setUp()
        # Transactions are rolled back between tests, so references (hence idempotency keys)
        # come back: the fake Stripe must forget the previous test's requests.
        self.fake_stripe.reset()

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _at(self, day, hour=9):
        """A UTC datetime on ``day`` (the send cron's ``now``)."""
        return datetime.combine(day, time(hour))

    def _queue(self, day=None):
        return self.Mandate._cron_autopay_queue(today=day or self.today)

    def _send(self, day=None, hour=9):
        return self.Attempt._cron_autopay_send(now=self._at(day or self.today, hour))

    def _run_day(self, day):
        """What the scheduler does on ``day``: queue, then send; returns the attempts queued."""
        attempts = self._queue(day)
        self._send(day)
        return attempts

    def _card(self, pm, decline_code=None, **kwargs):
        """A card of the customer known to the fake Stripe (re-registered after each reset)."""
        self.fake_stripe.add_payment_method(pm, decline_code=decline_code, **kwargs)
        return self._ar_stripe_token(self.customer, pm=pm)

    def _use_card(self, pm, decline_code=None, **kwargs):
        token = self._card(pm, decline_code=decline_code, **kwargs)
        self.mandate.token_id = token
        return token

    def _intent_requests(self):
        return [req for req in self.fake_stripe.requests if req["method"] == "POST" and req["path"] == "payment_intents"]

    def _mandate_mails(self, subject_part, mandate=None):
        """Emails queued to the customer from the mandate's chatter whose subject has ``subject_part``."""
        mandate = mandate or self.mandate
        messages = mandate.message_ids.filtered(lambda msg: subject_part in (msg.subject or ""))
        return self.env["mail.mail"].sudo().search([("mail_message_id", "in", messages.ids)])


@tagged("post_install", "-at_install")
class TestAutopay(ArAutopayCase):

    def test_due_invoices_charged_once(self):
        due_today = self._ar_invoice(self.customer, 200.0, days_overdue=0)
        attempt = self._queue()
        self.assertEqual(len(attempt), 1, "one charge per customer, company and currency")
        self.assertEqual(attempt.invoice_ids, self.inv_overdue | self.inv_partial | due_today,
                         "the invoices due today or earlier, not those due later")
        self.assertEqual(attempt.amount, 1550.0, "open amounts after partial payments")
        self.assertEqual((attempt.state, attempt.attempt_number, attempt.token_id), ("queued", 1, self.token))
        tx = attempt.transaction_id
        self.assertEqual((tx.state, tx.operation, tx.token_id, tx.amount), ("draft", "offline", self.token, 1550.0))
        self.assertEqual(tx.invoice_ids, attempt.invoice_ids)
        self.assertFalse(self.fake_stripe.requests, "queuing talks to nobody")

        self._send()
        self.assertEqual(attempt.state, "done")
        self.assertEqual(tx.state, "done")
        charges = self.fake_stripe.charges
        self.assertEqual(len(charges), 1)
        self.assertEqual((charges[0]["amount"], charges[0]["description"]), (155000, tx.reference))
        self.assertEqual(charges[0]["idempotency_key"],
                         payment_utils.generate_idempotency_key(tx, scope="payment_intents_token"))
        self.assertTrue(tx.payment_id, "the payment is posted")
        self.assertEqual(tx.payment_id.amount, 1550.0)
        for invoice in attempt.invoice_ids:
            self.assertIn(invoice.payment_state, PAID_PAYMENT_STATES, invoice.name)
            self.assertTrue(invoice.message_ids.filtered(lambda msg: "Autopay:" in (msg.body or "")
                                                         and "charged" in msg.body), "a note on the invoice")
        self.assertIn("Charged", self.mandate.last_result)

        self.assertFalse(self._queue(), "a second run the same day queues nothing")
        self.assertFalse(self._send(), "and sends nothing")
        self.assertFalse(self._queue(self.today + timedelta(days=1)), "nor the next day: all is paid")
        self.assertEqual(len(self.fake_stripe.charges), 1)

    def test_several_customers_queued_and_charged_in_one_call(self):
        # payment's _check_token_is_active reads token_id as a singleton: creating several
        # transactions in one create() failed as soon as two customers were due together.
        other_token = self._ar_stripe_token(self.other_customer)
        self.Mandate.create({"partner_id": self.other_customer.id, "company_id": self.company.id,
                             "token_id": other_token.id})
        attempts = self._queue()
        self.assertEqual(attempts.partner_id, self.customer | self.other_customer)
        self.assertEqual(len(attempts.transaction_id), 2)
        self._send()
        self.assertEqual(set(attempts.mapped("state")), {"done"})
        self.assertEqual(sorted(charge["amount"] for charge in self.fake_stripe.charges), [70000, 135000])

    def test_invoice_charged_on_its_due_date(self):
        self._run_day(self.today)
        self.assertEqual(len(self.fake_stripe.charges), 1)
        self.assertEqual(self.inv_not_due.payment_state, "not_paid")
        self.assertFalse(self._run_day(self.today + timedelta(days=9)), "not due yet")
        attempt = self._run_day(self.today + timedelta(days=10))
        self.assertEqual(attempt.invoice_ids, self.inv_not_due)
        self.assertEqual(attempt.state, "done")
        self.assertEqual(len(self.fake_stripe.charges), 2)
        self.assertEqual(self.fake_stripe.charges[1]["amount"], 30000)

    def test_paused_invoices_not_queued(self):
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "invoice_ids": [(6, 0, self.inv_overdue.ids)], "reason": "quality",
        })
        self.inv_partial.write({"ar_no_chase": True, "ar_no_chase_reason": "Agreed with the CFO"})
        self.assertFalse(self._queue(), "disputed and excluded invoices are not charged")
        self.assertFalse(self.fake_stripe.requests)

    def test_paid_between_queue_and_send_is_cancelled(self):
        attempt = self._queue()
        self._ar_pay(self.inv_partial, 350.0)
        self._send()
        self.assertEqual(attempt.state, "cancelled")
        self.assertIn(self.inv_partial.name, attempt.message)
        self.assertEqual(attempt.transaction_id.state, "cancel")
        self.assertFalse(self.fake_stripe.requests, "nothing was sent to Stripe")
        # What is still due is queued again the same day, without the paid invoice.
        again = self._queue()
        self.assertEqual((again.invoice_ids, again.amount), (self.inv_overdue, 1000.0))
        self.assertNotEqual(again.transaction_id, attempt.transaction_id, "a new transaction")
        self._send()
        self.assertEqual(again.state, "done")
        self.assertEqual(len(self.fake_stripe.charges), 1)
        self.assertEqual(self.fake_stripe.charges[0]["amount"], 100000)

    def test_disputed_between_queue_and_send_is_cancelled(self):
        attempt = self._queue()
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "invoice_ids": [(6, 0, self.inv_overdue.ids)], "reason": "pricing",
        })
        self._send()
        self.assertEqual(attempt.state, "cancelled")
        self.assertIn("Disputed", attempt.message)
        self.assertFalse(self.fake_stripe.charges)

    def test_opt_out_cancels_queued_charges(self):
        attempt = self._queue()
        self.mandate.active = False
        self.assertEqual(attempt.state, "cancelled")
        self._send()
        self.assertFalse(self.fake_stripe.requests)
        self.assertFalse(self._queue(self.today + timedelta(days=1)), "no charge once opted out")

    def test_one_active_mandate_per_customer_and_company(self):
        other_card = self._card("pm_ar_other")
        with self.assertRaises(psycopg2.errors.ExclusionViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.Mandate.create({"partner_id": self.customer.id, "company_id": self.company.id,
                                 "token_id": other_card.id})
        self.mandate.active = False
        again = self.Mandate.create({"partner_id": self.customer.id, "company_id": self.company.id,
                                     "token_id": other_card.id})
        self.assertTrue(again.active, "a new mandate once the old one was ended")

    def test_mandate_card_must_be_the_customers(self):
        foreign = self._ar_stripe_token(self.other_customer, pm="pm_card_mastercard")
        with self.assertRaisesRegex(ValidationError, "is not a card of"), self.cr.savepoint():
            self.mandate.token_id = foreign
        self.token.active = False
        with self.assertRaisesRegex(ValidationError, "was removed"), self.cr.savepoint():
            self.Mandate.create({"partner_id": self.other_customer.id, "company_id": self.company.id,
                                 "token_id": self.token.id})

    def test_removed_card_suspends_the_mandate(self):
        self.token.active = False
        self.assertFalse(self._queue())
        self.assertEqual(self.mandate.state, "suspended")
        self.assertFalse(self.fake_stripe.requests)

    # ------------------------------------------------------------------
    # card expiry
    # ------------------------------------------------------------------

    def test_card_expiry_read_when_stripe_saves_the_card(self):
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": self.stripe.id,
            "payment_method_id": self.card_method.id,
            "amount": 0.0,
            "currency_id": self.company.currency_id.id,
            "partner_id": self.customer_contact.id,
            "operation": "validation",
            "tokenize": True,
        })
        tx._stripe_tokenize_from_notification_data({
            "payment_method": {"id": "pm_ar_new", "type": "card",
                               "card": {"brand": "visa", "last4": "1881", "exp_month": 4, "exp_year": 2031}},
            "setup_intent": {"customer": "cus_ar_new"},
        })
        self.assertEqual((tx.token_id.ar_card_exp_month, tx.token_id.ar_card_exp_year), (4, 2031))
        self.assertEqual(tx.token_id.ar_card_expiry_date, date(2031, 4, 30))

    def test_card_expiry_notice_sent_once(self):
        today = self.today
        end_of_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        token = self._use_card("pm_ar_expiring", exp_month=today.month, exp_year=today.year)
        self.assertFalse(token.ar_card_expiry_date, "a token made by hand: expiry unknown")
        self.Mandate._cron_autopay_card_expiry(today=today)
        self.assertEqual(token.ar_card_expiry_date, end_of_month, "looked up at Stripe")
        lookups = [req for req in self.fake_stripe.requests if req["path"] == "payment_methods/pm_ar_expiring"]
        self.assertEqual(len(lookups), 1)
        self.assertTrue(token.ar_expiry_notified)
        mails = self._mandate_mails("expires soon")
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.state, "outgoing", "queued, not sent during the cron")
        self.assertIn(self.customer, mails.recipient_ids)
        self.assertIn(self.customer_contact, mails.recipient_ids, "and the contact who opted in")
        self.assertIn("/my/autopay", mails.body_html)

        self.Mandate._cron_autopay_card_expiry(today=today + timedelta(days=1))
        self.assertEqual(len(self._mandate_mails("expires soon")), 1, "once per card")

    def test_card_far_from_expiry_no_notice(self):
        self.token.write({"ar_card_exp_month": 12, "ar_card_exp_year": 2030})
        self.Mandate._cron_autopay_card_expiry(today=date(2030, 11, 30))
        self.assertFalse(self.token.ar_expiry_notified)
        self.assertFalse(self._mandate_mails("expires soon"))
        self.Mandate._cron_autopay_card_expiry(today=date(2030, 12, 1))
        self.assertTrue(self.token.ar_expiry_notified, "30 days before the end of the expiry month")
        self.assertEqual(len(self._mandate_mails("expires soon")), 1)
        self.assertFalse(self.fake_stripe.requests, "a known expiry is not looked up")
