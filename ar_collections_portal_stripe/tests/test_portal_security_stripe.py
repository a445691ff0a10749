"""Hostile inputs on the customer-facing routes of ar_collections_portal_stripe: autopay and the
Stripe webhook, with the portal's attack catalogue helpers (see
ar_collections_portal/tests/test_portal_security.py): a case passes when it is refused the
expected way AND nothing was written, autopay mandates and charges at Stripe included.
"""

import time
from urllib.parse import urlencode

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections.tests.hostile_catalogue import SCRIPT
from odoo.addons.ar_collections.tests.run_summary import record
from odoo.addons.ar_collections_portal.tests.test_portal_security import (
    PortalAttackMixin,
    arabic_digits,
    fullwidth_digits,
)
from odoo.addons.ar_collections_portal_stripe.tests.common import ArStripeHttpCommon

# ----------------------------------------------------------------------
# Autopay
# ----------------------------------------------------------------------

CARD_ERROR = "cannot be used for autopay"
MANDATE_ERROR = "could not be found"
# ``token_id`` of /my/autopay/enable: (label, value); the customer has autopay on with ``card``
AUTOPAY_ENABLE_CASES = [
    ("another customer's card", lambda t: t.foreign_card.id),
    ("card of another contact of the customer", lambda t: t.sibling_card.id),
    ("archived card of the customer", lambda t: t.archived_card.id),
    ("non-existent card", lambda t: 999_999_999),
    ("card id 'abc'", lambda t: "abc"),
    ("card id '1e309'", lambda t: "1e309"),
    ("card id 'NaN'", lambda t: "NaN"),
    ("card id '-5'", lambda t: "-5"),
    ("empty card id", lambda t: ""),
    ("card id of 10,000 digits", lambda t: "9" * 10_000),
    ("card id with SQL", lambda t: f"{t.card_2.id} OR 1=1"),
    ("card id in superscript digits", lambda t: "\u00b2"),
    ("own card id in Arabic-Indic digits", lambda t: arabic_digits(t.card_2.id)),
    ("own card id in full-width digits", lambda t: fullwidth_digits(t.card_2.id)),
    ("card id with HTML", lambda t: SCRIPT),
    ("card id sent twice, another customer's first", lambda t: [t.foreign_card.id, t.card_2.id]),
]
# ``mandate_id`` of /my/autopay/disable: (label, value)
AUTOPAY_DISABLE_CASES = [
    ("another customer's mandate", lambda t: t.foreign_mandate.id),
    ("mandate the customer already turned off", lambda t: t.old_mandate.id),
    ("non-existent mandate", lambda t: 999_999_999),
    ("mandate id 'abc'", lambda t: "abc"),
    ("mandate id '1e309'", lambda t: "1e309"),
    ("mandate id '-5'", lambda t: "-5"),
    ("empty mandate id", lambda t: ""),
    ("mandate id of 10,000 digits", lambda t: "9" * 10_000),
    ("mandate id with SQL", lambda t: f"{t.mandate.id} OR 1=1"),
    ("mandate id in superscript digits", lambda t: "\u00b2"),
    ("own mandate id in Arabic-Indic digits", lambda t: arabic_digits(t.mandate.id)),
    ("own mandate id in full-width digits", lambda t: fullwidth_digits(t.mandate.id)),
    ("mandate id with HTML", lambda t: SCRIPT),
    ("mandate id sent twice, another customer's first", lambda t: [t.foreign_mandate.id, t.mandate.id]),
]
AUTOPAY_REQUEST_CASES = [
    "autopay enable without CSRF token",
    "autopay enable with a forged CSRF token",
    "autopay disable without CSRF token",
    "autopay disable with a forged CSRF token",
    "GET on autopay enable",
    "GET on autopay disable",
    "public autopay page",
    "public autopay enable",
    "public autopay disable",
    "script in the autopay message",
]

# ----------------------------------------------------------------------
# Stripe webhook (the signature cases of tests/test_stripe_webhook.py are not repeated)
# ----------------------------------------------------------------------

WEBHOOK = "/payment/stripe/webhook"
WEBHOOK_SECRET_B = "whsec_company_b"
WEBHOOK_CASES = [
    "unknown event type, unsigned",
    "unknown event type, signed",
    "payment succeeded for an unknown reference, signed",
    "payment succeeded for a transaction of a non-Stripe provider, signed",
    "payment succeeded signed with the secret of another company's Stripe account",
    "signature of scheme v0 only",
    "event replayed 11 minutes after it was signed",
    "event dated one hour ahead",
    "event replayed after it was processed",
    "malformed JSON body",
    "JSON array body",
    "event without object id",
    "GET",
]

HOSTILE_CASES = (
    [f"autopay enable: {label}" for label, _value in AUTOPAY_ENABLE_CASES]
    + [f"autopay disable: {label}" for label, _value in AUTOPAY_DISABLE_CASES]
    + AUTOPAY_REQUEST_CASES
    + [f"webhook: {label}" for label in WEBHOOK_CASES]
)
# (label, accepted-bad) of every hostile request sent, in order
RESULTS = []


@tagged("post_install", "-at_install")
class TestPortalSecurityStripe(PortalAttackMixin, ArStripeHttpCommon):
    """The attack catalogue of autopay and the Stripe webhook: each case is refused and writes
    nothing (no mandate changed, nothing charged at Stripe)."""

    catalogue_name = "portal attack catalogue (Stripe)"
    results = RESULTS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The Stripe account of another company, with its own webhook secret
        cls.stripe_b = cls._ar_stripe_provider(cls.setup_other_company(name="AR Security B")["company"])
        cls.stripe_b.stripe_webhook_secret = WEBHOOK_SECRET_B
        # Saved cards: the customer's and its contact's (usable), a coworker's, an archived one, another customer's
        cls.sibling = cls.env["res.partner"].create({"name": "Coworker", "parent_id": cls.customer.id})
        cls.card = cls._ar_stripe_token(cls.customer)
        cls.card_2 = cls._ar_stripe_token(cls.customer_contact, pm="pm_card_mastercard")
        cls.sibling_card = cls._ar_stripe_token(cls.sibling, pm="pm_card_coworker")
        cls.archived_card = cls._ar_stripe_token(cls.customer, pm="pm_card_archived")
        cls.archived_card.active = False
        cls.foreign_card = cls._ar_stripe_token(cls.other_customer, pm="pm_card_foreign")
        # Autopay: on with ``card``, turned off once before; another customer's
        Mandate = cls.env["ar.autopay.mandate"]
        cls.old_mandate = Mandate.create({"partner_id": cls.customer.id, "company_id": cls.company.id,
                                          "token_id": cls.card.id, "active": False})
        cls.mandate = Mandate.create({"partner_id": cls.customer.id, "company_id": cls.company.id,
                                      "token_id": cls.card.id, "consent_user_id": cls.portal_user.id})
        cls.foreign_mandate = Mandate.create({"partner_id": cls.other_customer.id, "company_id": cls.company.id,
                                              "token_id": cls.foreign_card.id})

    @classmethod
    def tearDownClass(cls):
        bad = [label for label, accepted_bad in cls.results if accepted_bad]
        # for the summary printed at the end of the run (conftest.py)
        record(cls.catalogue_name, inputs=len(cls.results), accepted_bad=len(bad))
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.failures = []
        # The fake Stripe forgets its cards before each test: a card accepted by mistake is charged.
        for token in self.sibling_card | self.archived_card | self.foreign_card:
            self.fake_stripe.add_payment_method(token.stripe_payment_method)["customer"] = token.provider_ref

    def _ar_extra_counts(self, env):
        return {
            "mandates": [(mandate.id, mandate.active, mandate.state, mandate.token_id.id)
                         for mandate in env["ar.autopay.mandate"].search([], order="id")],
            "Stripe charges": len(self.fake_stripe.charges),
        }

    def _is_autopay_error(self, expected):
        def check(response):
            return response.status_code == 400 and "o_ar_autopay_error" in response.text \
                and expected in response.text and self._no_raw(response.text)
        return check

    # ------------------------------------------------------------------
    # Autopay
    # ------------------------------------------------------------------

    def test_autopay(self):
        self._ar_login()
        for label, value in AUTOPAY_ENABLE_CASES:
            self._attack(f"autopay enable: {label}",
                         lambda v=value: self._ar_post("/my/autopay/enable", {"token_id": v(self)}),
                         self._is_autopay_error(CARD_ERROR))
        for label, value in AUTOPAY_DISABLE_CASES:
            self._attack(f"autopay disable: {label}",
                         lambda v=value: self._ar_post("/my/autopay/disable", {"mandate_id": v(self)}),
                         self._is_autopay_error(MANDATE_ERROR))
        forged = "0" * 40 + "o9999999999"
        enable, disable = {"token_id": self.card_2.id}, {"mandate_id": self.mandate.id}
        for label, url, data in (
            ("autopay enable without CSRF token", "/my/autopay/enable", enable),
            ("autopay enable with a forged CSRF token", "/my/autopay/enable", {**enable, "csrf_token": forged}),
            ("autopay disable without CSRF token", "/my/autopay/disable", disable),
            ("autopay disable with a forged CSRF token", "/my/autopay/disable", {**disable, "csrf_token": forged}),
        ):
            self._attack(label, lambda u=url, d=data: self._ar_post(u, d, csrf=False), self._is_refused_by_odoo(400))
        self._attack("GET on autopay enable",
                     lambda: self.url_open(f"/my/autopay/enable?token_id={self.card_2.id}", allow_redirects=False),
                     self._is_refused_by_odoo(405))
        self._attack("GET on autopay disable",
                     lambda: self.url_open(f"/my/autopay/disable?mandate_id={self.mandate.id}", allow_redirects=False),
                     self._is_refused_by_odoo(405))
        self._attack("script in the autopay message",
                     lambda: self.url_open("/my/autopay?" + urlencode({"message": SCRIPT})),
                     lambda response: response.status_code == 200 and self._no_raw(response.text)
                     and "o_ar_autopay_message" not in response.text)
        self.authenticate(None, None)
        csrf = self._ar_csrf("/web/login")
        self._attack("public autopay page", lambda: self.url_open("/my/autopay", allow_redirects=False),
                     self._is_login_redirect)
        self._attack("public autopay enable",
                     lambda: self._ar_post("/my/autopay/enable", {**enable, "csrf_token": csrf}),
                     self._is_login_redirect)
        self._attack("public autopay disable",
                     lambda: self._ar_post("/my/autopay/disable", {**disable, "csrf_token": csrf}),
                     self._is_login_redirect)
        self._assert_no_failures()
        # the customer's own card and mandate do work: the refusals above are not a broken route
        self._ar_login()
        self.assertEqual(self._ar_post("/my/autopay/enable", enable).status_code, 303)
        self.assertEqual(self._ar_post("/my/autopay/disable", disable).status_code, 303)

    # ------------------------------------------------------------------
    # Stripe webhook
    # ------------------------------------------------------------------

    def _webhook_tx(self, provider=None, reference="AR-SECURITY-1"):
        """A card payment of the customer's partly paid invoice, confirmed by the customer at Stripe."""
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": (provider or self.stripe).id,
            "payment_method_id": self.card_method.id,
            "amount": 350.0,
            "currency_id": self.company.currency_id.id,
            "partner_id": self.customer.id,
            "operation": "online_direct",
            "reference": reference,
            "invoice_ids": [Command.set(self.inv_partial.ids)],
        })
        if provider:
            return tx, {"id": "pi_not_at_stripe", "object": "payment_intent", "description": reference,
                        "status": "succeeded", "amount": 35000, "currency": "usd"}
        intent = tx._stripe_create_intent()
        return tx, self.fake_stripe.confirm_intent(intent["id"], "pm_card_visa")

    def _webhook(self, body, headers):
        return lambda: self.url_open(WEBHOOK, data=body, headers=headers)

    @staticmethod
    def _is_webhook_ignored(response):
        """Acknowledged without being processed (Stripe retries any event not answered 2xx)."""
        return response.status_code == 200 and response.text.strip() == '""'

    @staticmethod
    def _is_webhook_not_processed(response):
        """Refused as a bad request: the body is not a Stripe event."""
        return response.status_code == 400 and "not a Stripe event" in response.text

    @mute_logger("odoo.http", "odoo.addons.payment_stripe.controllers.main",
                 "odoo.addons.ar_collections_portal_stripe.controllers.stripe")
    def test_stripe_webhook(self):
        tx, intent = self._webhook_tx()
        signed = self.fake_stripe.signed_webhook
        json_headers = {"Content-Type": "application/json"}
        body, headers = signed("customer.created", {"id": "cus_x", "object": "customer", "description": tx.reference})
        self._attack("webhook: unknown event type, unsigned", self._webhook(body, json_headers),
                     self._is_webhook_ignored)
        self._attack("webhook: unknown event type, signed", self._webhook(body, headers), self._is_webhook_ignored)
        self._attack("webhook: payment succeeded for an unknown reference, signed",
                     self._webhook(*signed("payment_intent.succeeded", {**intent, "description": "AR-NO-SUCH-TX"})),
                     self._is_webhook_ignored)
        other_provider = self.env["payment.provider"].sudo().search([("code", "!=", "stripe")], limit=1)
        _other_tx, other_intent = self._webhook_tx(provider=other_provider, reference="AR-SECURITY-NOT-STRIPE")
        self._attack("webhook: payment succeeded for a transaction of a non-Stripe provider, signed",
                     self._webhook(*signed("payment_intent.succeeded", other_intent)), self._is_webhook_ignored)
        self._attack("webhook: payment succeeded signed with the secret of another company's Stripe account",
                     self._webhook(*signed("payment_intent.succeeded", intent, secret=WEBHOOK_SECRET_B)),
                     lambda response: response.status_code == 403)
        body, headers = signed("payment_intent.succeeded", intent)
        v0_headers = {**headers, "Stripe-Signature": headers["Stripe-Signature"].replace("v1=", "v0=")}
        self._attack("webhook: signature of scheme v0 only", self._webhook(body, v0_headers),
                     lambda response: response.status_code == 403)
        self._attack("webhook: event replayed 11 minutes after it was signed",
                     self._webhook(*signed("payment_intent.succeeded", intent, timestamp=time.time() - 660)),
                     lambda response: response.status_code == 403)
        self._attack("webhook: event dated one hour ahead",
                     self._webhook(*signed("payment_intent.succeeded", intent, timestamp=time.time() + 3600)),
                     lambda response: response.status_code == 403)
        # a body that is not an event is refused before payment_stripe reads it
        not_processed = self._is_webhook_not_processed
        self._attack("webhook: malformed JSON body", self._webhook(b'{"type": "payment_intent.succeeded", ', headers),
                     not_processed)
        self._attack("webhook: JSON array body", self._webhook(b"[]", json_headers), not_processed)
        self._attack("webhook: event without object id",
                     self._webhook(*signed("payment_intent.succeeded", {"description": tx.reference})), not_processed)
        self._attack("webhook: GET", lambda: self.url_open(WEBHOOK), lambda response: response.status_code == 405)
        # the genuine event is processed once; the same event sent again changes nothing
        self.assertEqual(self.url_open(WEBHOOK, data=body, headers=headers).status_code, 200)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        tx._post_process()
        self.assertTrue(tx.payment_id)

        def replay():
            response = self.url_open(WEBHOOK, data=body, headers=headers)
            # what the post-processing cron does (the cron itself commits)
            self.env["payment.transaction"].sudo().search(
                [("state", "=", "done"), ("is_post_processed", "=", False)])._post_process()
            return response
        self._attack("webhook: event replayed after it was processed", replay,
                     lambda response: response.status_code == 200)
        self._assert_no_failures()

    # ------------------------------------------------------------------
    # Paying with a saved card
    # ------------------------------------------------------------------

    def test_saved_card_is_charged(self):
        """The customer's own saved card pays the statement: charged at Stripe at once."""
        self._ar_login()
        before = len(self.fake_stripe.charges)
        processing = self.make_jsonrpc_request("/my/statement/transaction", {
            "invoice_ids": self.inv_overdue.ids, "amount": 1000.0, "flow": "token", "token_id": self.card_2.id,
            "provider_id": None, "payment_method_id": None, "tokenization_requested": False,
            "landing_route": "/my/statement", "is_validation": False,
        })
        self.assertEqual(len(self.fake_stripe.charges), before + 1, processing)

    def test_zz_catalogue_is_complete(self):
        """Every case of HOSTILE_CASES was sent by the tests above (named to run last)."""
        if not self.results:
            self.skipTest("the catalogue's tests did not run in this process")
        sent = [label for label, _accepted_bad in self.results]
        self.assertEqual(len(HOSTILE_CASES), len(set(HOSTILE_CASES)), "labels are unique")
        self.assertEqual(set(sent) ^ set(HOSTILE_CASES), set())
