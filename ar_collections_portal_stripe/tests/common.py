from odoo import Command

from odoo.addons.ar_collections_portal.tests.common import ArPortalCommon, ArPortalHttpCommon
from odoo.addons.ar_collections_portal_stripe.tests.fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_test_ar"


class ArStripeCommon(ArPortalCommon):
    """The portal's scenario plus a Stripe provider of the test company that talks to a fake
    Stripe on loopback (``cls.fake_stripe``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake_stripe = FakeStripe(webhook_secret=WEBHOOK_SECRET).start()
        cls.addClassCleanup(cls.fake_stripe.stop)
        # Odoo's test cases raise any requests timeout below 10 s to 10 s: a "timeout" fault
        # therefore costs 10 s; the fake stays silent a bit longer than that.
        cls.startClassPatcher(cls.fake_stripe.patch_transport(timeout=10))
        cls.fake_stripe.timeout_seconds = 11
        cls.stripe = cls._ar_stripe_provider(cls.company)
        cls.card_method = cls.env.ref("payment.payment_method_card")

    def setUp(self):
        super().setUp()
        # Each test starts with an empty Stripe: the database is rolled back between tests, so
        # references (hence idempotency keys) repeat, and Stripe would replay the old answers.
        self.fake_stripe.reset()

    @classmethod
    def _ar_stripe_provider(cls, company):
        """A Stripe provider of ``company`` in test mode (its API calls reach the fake Stripe)."""
        Provider = cls.env["payment.provider"].sudo()
        provider = Provider.search([("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1)
        if not provider:
            provider = cls.env.ref("payment.payment_provider_stripe").sudo().copy({"company_id": company.id})
        card = cls.env.ref("payment.payment_method_card").sudo()
        provider.write({
            "state": "test",
            "stripe_publishable_key": "pk_test_ar_fake",
            "stripe_secret_key": "sk_test_ar_fake",
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "payment_method_ids": [Command.set(card.ids)],
            "allow_tokenization": True,
            "is_published": True,  # customers (portal and public users) only see published providers
        })
        card.active = True  # only once an enabled provider supports it
        bank_journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        if provider.journal_id != bank_journal:
            provider.journal_id = bank_journal
        return provider

    @classmethod
    def _ar_stripe_token(cls, partner, pm="pm_card_visa", provider=None):
        """A saved Stripe card of ``partner`` (the fake knows ``pm``)."""
        provider = provider or cls.stripe
        customer = f"cus_{partner.id}"
        card = cls.fake_stripe.payment_methods.get(pm) or {"object": cls.fake_stripe.add_payment_method(pm)}
        card["object"]["customer"] = customer
        return cls.env["payment.token"].sudo().create({
            "provider_id": provider.id,
            "payment_method_id": cls.env.ref("payment.payment_method_card").id,
            "partner_id": partner.id,
            "payment_details": card["object"]["card"]["last4"],
            "provider_ref": customer,
            "stripe_payment_method": pm,
        })


class ArStripeHttpCommon(ArStripeCommon, ArPortalHttpCommon):
    """Portal routes as the customer, paying through the fake Stripe."""
