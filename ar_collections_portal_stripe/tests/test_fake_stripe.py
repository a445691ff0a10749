import requests

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ArStripeCommon


@tagged("post_install", "-at_install")
class TestStripeThroughFake(ArStripeCommon):
    """Our Stripe HTTP layer (``_stripe_make_request``) against the fake Stripe: the same
    calls payment_stripe makes, the fake's idempotency and faults."""

    def _offline_tx(self, token, amount=125.5):
        return self.env["payment.transaction"].sudo().create({
            "provider_id": self.stripe.id,
            "payment_method_id": self.card_method.id,
            "token_id": token.id,
            "amount": amount,
            "currency_id": self.company.currency_id.id,
            "partner_id": self.customer.id,
            "operation": "offline",
            "reference": self.env["payment.transaction"]._compute_reference("stripe", prefix="AR-TEST"),
        })

    def test_offline_token_charge_is_done(self):
        token = self._ar_stripe_token(self.customer)
        tx = self._offline_tx(token)
        tx._send_payment_request()
        self.assertEqual(tx.state, "done", f"{tx.state_message} {self.fake_stripe.requests}")
        self.assertEqual(len(self.fake_stripe.charges), 1)
        charge = self.fake_stripe.charges[0]
        self.assertEqual((charge["amount"], charge["description"]), (12550, tx.reference))
        self.assertTrue(charge["idempotency_key"], "an off-session charge carries an idempotency key")
        self.assertEqual(tx.provider_reference, charge["payment_intent"])

    def test_declined_charge_reports_the_decline_code(self):
        token = self._ar_stripe_token(self.customer, pm="pm_card_chargeDeclinedInsufficientFunds")
        tx = self._offline_tx(token)
        errors = []
        tx.with_context(ar_stripe_errors=errors)._send_payment_request()
        self.assertEqual(tx.state, "error")
        self.assertIn("insufficient funds", tx.state_message)
        self.assertEqual([e.get("decline_code") for e in errors], ["insufficient_funds"])
        self.assertFalse(self.fake_stripe.charges)

    def test_same_idempotency_key_charges_once(self):
        token = self._ar_stripe_token(self.customer)
        tx = self._offline_tx(token)
        with self.assertRaises(ValidationError):  # the answer is lost, the charge was made
            self.fake_stripe.inject("drop_after_charge")
            tx._send_payment_request()
        self.assertEqual(tx.state, "draft")
        tx._send_payment_request()  # same tx, same reference, same key: Stripe replays
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(self.fake_stripe.charges), 1)
        keys = {r["headers"].get("idempotency-key") for r in self.fake_stripe.requests if r["path"] == "payment_intents"}
        self.assertEqual(len(keys), 1)

    def test_transport_faults_raise_a_clear_error(self):
        token = self._ar_stripe_token(self.customer)
        for kind, message in (("timeout", "did not answer in time"), ("500", "temporarily unavailable"),
                              ("drop_before", "Could not establish")):
            tx = self._offline_tx(token)
            self.fake_stripe.inject(kind)
            with self.assertRaisesRegex(ValidationError, message):
                tx._send_payment_request()
            self.assertFalse(self.fake_stripe.charges, kind)

    def test_idempotency_key_reused_with_other_parameters_is_refused(self):
        url = self.fake_stripe.url + "payment_intents"
        headers = {"Authorization": "Bearer sk_test_x", "Idempotency-Key": "k1"}
        first = requests.post(url, data={"amount": 100, "currency": "usd"}, headers=headers, timeout=5)
        again = requests.post(url, data={"amount": 100, "currency": "usd"}, headers=headers, timeout=5)
        other = requests.post(url, data={"amount": 200, "currency": "usd"}, headers=headers, timeout=5)
        self.assertEqual(first.json()["id"], again.json()["id"])
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual((other.status_code, other.json()["error"]["type"]), (400, "idempotency_error"))
        anonymous = requests.post(url, data={"amount": 100, "currency": "usd"}, timeout=5)
        self.assertEqual(anonymous.status_code, 401)

    def test_non_json_answer_raises_a_clear_error(self):
        token = self._ar_stripe_token(self.customer)
        tx = self._offline_tx(token)
        self.fake_stripe.inject("html_502")
        with self.assertRaisesRegex(ValidationError, "no usable answer"):
            tx._send_payment_request()
        self.assertEqual(tx.state, "draft", "nothing recorded: the charge is sent again later")
