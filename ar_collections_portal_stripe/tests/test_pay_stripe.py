from odoo.tests import tagged

from odoo.addons.ar_collections_portal.tests.pay_common import ArPayScenarios
from odoo.addons.ar_collections_portal_stripe.tests.common import ArStripeHttpCommon


@tagged("post_install", "-at_install")
class TestPayOverdueStripe(ArPayScenarios, ArStripeHttpCommon):
    """Paying the statement through Stripe: the PaymentIntent, its signed webhook, saved cards
    charged off-session. The scenarios are those of every provider (``ArPayScenarios``)."""
    # Odoo's runner runs only the methods a class defines itself unless told: the scenarios are inherited
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe.is_published = True  # customers only see published providers
        cls.overdue = cls.inv_overdue | cls.inv_partial  # 1000 + 350 open

    def _ar_pay_provider(self):
        return self.stripe

    def _ar_pay_method(self):
        return self.card_method

    def _ar_saved_method(self, partner):
        return self._ar_stripe_token(partner)

    def _complete_payment(self, tx, processing):
        """What the customer's browser and Stripe do next: confirm the PaymentIntent with a card,
        then Stripe's signed webhook tells Odoo it succeeded."""
        pi_id = processing["client_secret"].split("_secret")[0]
        intent = self.fake_stripe.confirm_intent(pi_id, "pm_card_visa")
        self.assertEqual(intent["description"], tx.reference)
        body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", intent)
        response = self.url_open("/payment/stripe/webhook", data=body, headers=headers)
        self.assertEqual(response.status_code, 200)
        tx.invalidate_recordset()
        return intent

    def _complete_token_payment(self, tx, processing):
        self.assertEqual(tx.state, "done", "a saved card is charged at once")

    def _check_processing_values(self, tx, processing):
        self.assertTrue(processing["client_secret"])

    def _check_charged(self, amounts):
        self.assertEqual([(charge["amount"], charge["currency"]) for charge in self.fake_stripe.charges],
                         [(round(amount * 100), "usd") for amount in amounts])

    def test_forged_webhook_changes_nothing(self):
        """A webhook with the wrong secret, or none, is refused and leaves the transaction as it was;
        the signed one then completes it."""
        self._ar_login()
        tx, processing = self._pay(self.overdue, 1350.0)
        pi_id = processing["client_secret"].split("_secret")[0]
        intent = self.fake_stripe.confirm_intent(pi_id, "pm_card_visa")
        body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", intent, secret="whsec_forged")
        self.assertEqual(self.url_open("/payment/stripe/webhook", data=body, headers=headers).status_code, 403)
        response = self.url_open("/payment/stripe/webhook", data=body, headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 403)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "draft")

        body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", intent)
        self.assertEqual(self.url_open("/payment/stripe/webhook", data=body, headers=headers).status_code, 200)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.overdue)
        self._check_charged([1350.0])
