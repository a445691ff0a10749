import json
import time

from odoo.tests import tagged

from .common import ArStripeHttpCommon

WEBHOOK = "/payment/stripe/webhook"


@tagged("post_install", "-at_install")
class TestStripeWebhookSignature(ArStripeHttpCommon):
    """A forged "payment succeeded" must never mark invoices paid: every Stripe event needs a
    valid, fresh signature, including when the provider has no webhook secret."""

    def setUp(self):
        super().setUp()
        self.tx = self.env["payment.transaction"].sudo().create({
            "provider_id": self.stripe.id,
            "payment_method_id": self.card_method.id,
            "amount": 350.0,
            "currency_id": self.company.currency_id.id,
            "partner_id": self.customer.id,
            "operation": "online_direct",
            "reference": "AR-WEBHOOK-1",
            "invoice_ids": [(6, 0, self.inv_partial.ids)],
        })
        intent = self.tx._stripe_create_intent()
        self.intent = self.fake_stripe.confirm_intent(intent["id"], "pm_card_visa")

    def _post(self, body, headers):
        return self.url_open(WEBHOOK, data=body, headers=headers)

    def _assert_refused(self, body, headers):
        response = self._post(body, headers)
        self.assertEqual(response.status_code, 403, response.text[:300])
        self.tx.invalidate_recordset(["state"])
        self.assertEqual(self.tx.state, "draft")

    def test_valid_signature_confirms_the_payment(self):
        body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", self.intent)
        response = self._post(body, headers)
        self.assertEqual(response.status_code, 200)
        self.tx.invalidate_recordset(["state", "provider_reference"])
        self.assertEqual((self.tx.state, self.tx.provider_reference), ("done", self.intent["id"]))

    def test_unsigned_forged_and_stale_events_are_refused(self):
        body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", self.intent)
        self._assert_refused(body, {"Content-Type": "application/json"})  # no signature at all
        self._assert_refused(body, {**headers, "Stripe-Signature": "garbage"})
        self._assert_refused(body, {**headers, "Stripe-Signature": "t=abc,v1=def"})
        forged, forged_headers = self.fake_stripe.signed_webhook(
            "payment_intent.succeeded", self.intent, secret="whsec_attacker")
        self._assert_refused(forged, forged_headers)
        # a valid signature of another body does not sign this one
        tampered = json.loads(body)
        tampered["data"]["object"]["amount"] = 1
        self._assert_refused(json.dumps(tampered).encode(), headers)
        old, old_headers = self.fake_stripe.signed_webhook(
            "payment_intent.succeeded", self.intent, timestamp=time.time() - 3600)
        self._assert_refused(old, old_headers)
        # signed with the secret but dated an hour ahead: payment_stripe alone would take it
        future, future_headers = self.fake_stripe.signed_webhook(
            "payment_intent.succeeded", self.intent, timestamp=time.time() + 3600)
        self._assert_refused(future, future_headers)
        self._assert_refused(body, {**headers, "Stripe-Signature": headers["Stripe-Signature"] + ",x=a=b"})

    def test_provider_without_webhook_secret_refuses_events(self):
        self.stripe.stripe_webhook_secret = False
        body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", self.intent)
        self._assert_refused(body, headers)
