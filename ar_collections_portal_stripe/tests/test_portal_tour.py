import re

from odoo.tests import tagged

from .common import ArStripeHttpCommon


@tagged("post_install", "-at_install")
class TestPortalPayTour(ArStripeHttpCommon):
    """Headless Chromium: a customer pays everything overdue from a reminder email's link, and
    saves a card to turn autopay on."""

    def setUp(self):
        super().setUp()
        # The page loads Stripe.js from js.stripe.com; the browser gets the fake's instead,
        # which confirms the PaymentIntent against the fake API, as Stripe.js would.
        sdk = self.env.ref("payment_stripe.sdk_assets")
        self.assertIn("https://js.stripe.com/v3/", sdk.arch_db)
        sdk.arch_db = sdk.arch_db.replace("https://js.stripe.com/v3/", self.fake_stripe.js_url)

    def test_pay_everything_overdue_from_a_reminder(self):
        overdue = self.inv_overdue | self.inv_partial
        open_amount = sum(overdue.mapped("amount_residual"))
        self.assertEqual(open_amount, 1350.0)

        # The reminder the run queued for this customer carries the signed statement link.
        self._ar_run()
        messages = self._ar_dispatch().filtered(lambda m: m.partner_id == self.customer and m.channel == "email")
        self.assertTrue(messages, "the run queued an email reminder for the customer")
        mails = self.env["mail.mail"].sudo().search([("mail_message_id", "in", messages.mail_message_id.ids)])
        links = set(re.findall(r'href="([^"]*/my/statement[^"]*)"', "".join(mails.mapped("body_html"))))
        self.assertEqual(len(links), 1, links)
        link = links.pop().replace("&amp;", "&")
        path = link[link.index("/my/statement"):]

        self.start_tour(path, "ar_portal_pay_overdue_tour")  # not logged in

        charges = self.fake_stripe.charges
        self.assertEqual(len(charges), 1, "exactly one card charge")
        self.assertEqual(charges[0]["amount"], 135000)
        tx = self.env["payment.transaction"].search([("provider_reference", "=", charges[0]["payment_intent"])])
        self.assertEqual((tx.state, tx.operation), ("done", "online_direct"))
        self.assertEqual(tx.invoice_ids, overdue)
        self.assertEqual(overdue.mapped("amount_residual"), [0.0, 0.0])
        self.assertTrue(set(overdue.mapped("payment_state")) <= {"in_payment", "paid"})
        self.assertEqual(self.inv_not_due.payment_state, "not_paid", "only what was overdue was paid")

    def test_save_a_card_and_turn_autopay_on(self):
        self.fake_stripe.add_payment_method("pm_card_ar_tour", last4="1881", exp_month=3, exp_year=2031)
        self.start_tour("/my/payment_method", "ar_portal_save_card_autopay_tour", login="ar_portal")

        token = self.env["payment.token"].search([("stripe_payment_method", "=", "pm_card_ar_tour")])
        self.assertEqual(len(token), 1, "the card saved through the SetupIntent became a token")
        self.assertEqual(token.partner_id.commercial_partner_id, self.customer)
        self.assertEqual((token.payment_details, token.ar_card_exp_month, token.ar_card_exp_year), ("1881", 3, 2031))
        self.assertFalse(self.fake_stripe.charges, "saving a card charges nothing")
        mandate = self.env["ar.autopay.mandate"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((mandate.state, mandate.token_id, mandate.company_id), ("active", token, self.company))
        self.assertEqual(mandate.consent_user_id, self.portal_user)
