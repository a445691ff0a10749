
from lxml import html as lxml_html

from odoo.tests import tagged

from odoo.addons.ar_collections_portal.tests.pay_common import PAID, ArPayStatementMixin
from odoo.addons.ar_collections_portal_stripe.tests.common import ArStripeHttpCommon


@tagged("post_install", "-at_install")
class TestPayOverdueStripe(ArPayStatementMixin, ArStripeHttpCommon):
    """Paying the statement through Stripe: the PaymentIntent, its signed webhook, saved cards
    charged off-session."""


    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe.is_published = True  # customers only see published providers
        cls.overdue = cls.inv_overdue | cls.inv_partial  # 1000 + 350 open

    def _ar_pay_provider(self):
        return self.stripe

    def _ar_pay_method(self):
        return self.card_method

    def _complete_card_payment(self, tx, processing):
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

    def test_pay_all_overdue_end_to_end(self):
        self._ar_login()
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        pay_url = statement.xpath("//a[contains(@class, 'o_ar_pay_overdue')]/@href")[0]
        page = self.url_open(pay_url)
        self.assertEqual(page.status_code, 200)
        tree = lxml_html.fromstring(page.text)
        self.assertEqual({int(i) for i in tree.xpath("//tr[contains(@class, 'o_ar_pay_invoice')]/@data-move-id")},
                         set(self.overdue.ids))
        form = tree.xpath("//form[@id='o_payment_form']")
        self.assertTrue(form, "Odoo's payment form is on the page")
        route = form[0].get("data-transaction-route")
        self.assertEqual(route, f"/my/statement/transaction/{self.inv_overdue.id},{self.inv_partial.id}")
        self.assertEqual(float(form[0].get("data-amount")), 1350.0)
        self.assertEqual(form[0].get("data-landing-route"), "/my/statement")

        # the payment form posts to the route it was given, the invoices in its URL
        tx, processing = self._pay([], 1350.0, route=route)
        self.assertEqual(tx.state, "draft")
        self.assertEqual(tx.invoice_ids, self.overdue)
        self.assertEqual(tx.amount, 1350.0)
        self.assertEqual(tx.partner_id, self.customer_contact)
        self.assertEqual(tx.landing_route, "/my/statement", "the landing route sent by the browser is ignored")
        self.assertTrue(processing["client_secret"])

        # a forged webhook (wrong secret, no signature) changes nothing
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
        payment = tx.payment_id
        self.assertTrue(payment)
        self.assertEqual(payment.amount, 1350.0)
        self.assertEqual(payment.partner_id, self.customer)
        self.assertEqual(payment.reconciled_invoice_ids, self.overdue)
        self.assertEqual(set(self.overdue.mapped("payment_state")) - set(PAID), set())
        self.assertEqual(self.inv_not_due.payment_state, "not_paid")
        self.assertEqual(len(self.fake_stripe.charges), 1)
        self.assertEqual(self.fake_stripe.charges[0]["amount"], 135000)
        self.assertEqual(self.fake_stripe.charges[0]["currency"], "usd")
        # the statement has nothing overdue left
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        self.assertFalse(statement.xpath("//a[contains(@class, 'o_ar_pay_overdue')]"))

    def test_pay_selection(self):
        self._ar_login()
        tx, _processing = self._pay(self.inv_partial | self.inv_not_due, 650.0)
        self.assertEqual(tx.invoice_ids, self.inv_partial | self.inv_not_due)
        self.assertEqual(tx.amount, 650.0)
        self.assertTrue(tx.reference.startswith("BATCH"), "several invoices: a batch payment reference")
        self._complete_card_payment(tx, _processing)
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.inv_partial | self.inv_not_due)
        self.assertIn(self.inv_partial.payment_state, PAID)
        self.assertIn(self.inv_not_due.payment_state, PAID)
        self.assertEqual(self.inv_overdue.payment_state, "not_paid")

    def test_pay_with_saved_card(self):
        token = self._ar_stripe_token(self.customer_contact)
        self._ar_login()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}")
        self.assertIn(f'id="o_payment_token_{token.id}"', page.text, "the customer's saved card is offered")
        tx, _processing = self._pay(self.overdue, 1350.0, flow="token", token_id=token.id,
                                    provider_id=None, payment_method_id=None)
        self.assertEqual(tx.token_id, token)
        self.assertEqual(tx.state, "done", "a saved card is charged at once")
        self.assertEqual([charge["amount"] for charge in self.fake_stripe.charges], [135000])
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.overdue)

    def test_saved_card_of_other_customer_refused(self):
        token = self._ar_stripe_token(self.other_customer)
        self._ar_login()
        self._refused(self._tx_params(self.overdue, 1350.0, flow="token", token_id=token.id),
                      "This payment method is not available")
        self.assertFalse(self.fake_stripe.charges)

    def test_partial_allowed_pays_oldest_first(self):
        self.company.ar_portal_allow_partial = True
        self._ar_login()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_partial.id},{self.inv_overdue.id}&amount=1100")
        self.assertEqual(page.status_code, 200)
        tree = lxml_html.fromstring(page.text)
        self.assertTrue(tree.xpath("//form[contains(@class, 'o_ar_partial_amount')]//input[@name='amount']"))
        self.assertEqual(float(tree.xpath("//form[@id='o_payment_form']/@data-amount")[0]), 1100.0)
        tx, processing = self._pay(self.overdue, 1100.0)
        self.assertEqual(tx.amount, 1100.0)
        self._complete_card_payment(tx, processing)
        self.assertEqual(tx.state, "done")
        tx._post_process()
        self.assertEqual(self.fake_stripe.charges[0]["amount"], 110000)
        self.assertIn(self.inv_overdue.payment_state, PAID, "the oldest due invoice is settled first")
        self.assertEqual(self.inv_partial.payment_state, "partial")
        self.assertAlmostEqual(self.inv_partial.amount_residual, 250.0)

    def test_pay_overdue_from_link(self):
        token = self.customer._ar_statement_access_token()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id},{self.inv_partial.id}"
                             f"&access_token={token}")
        self.assertEqual(page.status_code, 200)
        form = lxml_html.fromstring(page.text).xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(form.get("data-access-token"), token)
        self.assertEqual(form.get("data-landing-route"), f"/my/statement?access_token={token}")
        tx, processing = self._pay([], 1350.0, route=form.get("data-transaction-route"), access_token=token)
        self.assertEqual(tx.partner_id, self.customer)
        self.assertEqual(tx.invoice_ids, self.overdue)
        self.assertEqual(tx.landing_route, f"/my/statement?access_token={token}")
        self.assertFalse(tx.tokenize)
        self._complete_card_payment(tx, processing)
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.overdue)

    def test_link_cannot_use_or_save_cards(self):
        token = self.customer._ar_statement_access_token()
        card = self._ar_stripe_token(self.customer)
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}&access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)
        self.assertNotIn(f'id="o_payment_token_{card.id}"', page.text, "saved cards are not offered")
        self._refused(self._tx_params(self.inv_overdue, 1000.0, flow="token", token_id=card.id, access_token=token),
                      "Log in to pay with a saved payment method")
        tx, _processing = self._pay(self.inv_overdue, 1000.0, tokenization_requested=True, access_token=token)
        self.assertFalse(tx.tokenize)
