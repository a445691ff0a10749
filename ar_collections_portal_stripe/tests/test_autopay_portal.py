from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.ar_collections_portal_stripe.tests.common import ArStripeHttpCommon


@tagged("post_install", "-at_install")
class TestAutopayPortal(ArStripeHttpCommon):
    """/my/autopay: the customer turns autopay on with one of their own saved cards, changes
    the card or turns it off; anything else is refused and nothing is written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Mandate = cls.env["ar.autopay.mandate"]
        cls.token = cls._ar_stripe_token(cls.customer)
        cls.contact_token = cls._ar_stripe_token(cls.customer_contact, pm="pm_card_mastercard")
        cls.foreign_token = cls._ar_stripe_token(cls.other_customer)

    def _mandates(self, partner=None, active=True):
        self.env.invalidate_all()
        domain = [("partner_id", "=", (partner or self.customer).id)]
        if active is not None:
            domain.append(("active", "=", active))
        return self.Mandate.with_context(active_test=False).search(domain)

    def _enable(self, token_id, **kwargs):
        return self._ar_post("/my/autopay/enable", {"token_id": token_id}, **kwargs)

    def test_page_lists_own_cards_only(self):
        self._ar_login()
        response = self.url_open("/my/autopay")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn(f'name="token_id" value="{self.token.id}"', html)
        self.assertIn(f'name="token_id" value="{self.contact_token.id}"', html, "the contact's own card too")
        self.assertNotIn(f'name="token_id" value="{self.foreign_token.id}"', html)
        self.assertIn('href="/my/payment_method"', html, "link to manage payment methods")
        self.assertIn("/my/autopay", self.url_open("/my").text, "entry on the portal home")

    def test_opt_in_with_own_card(self):
        self._ar_login()
        response = self._enable(self.token.id)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/my/autopay?message=enabled", response.headers["Location"])
        mandate = self._mandates()
        self.assertEqual(len(mandate), 1)
        self.assertEqual((mandate.token_id, mandate.company_id, mandate.state), (self.token, self.company, "active"))
        self.assertEqual(mandate.consent_user_id, self.portal_user)
        self.assertTrue(mandate.date_consented)
        page = self.url_open(response.headers["Location"]).text
        self.assertIn("Autopay is on", page)

    def test_change_card_then_opt_out(self):
        mandate = self.Mandate.create({"partner_id": self.customer.id, "company_id": self.company.id,
                                       "token_id": self.token.id, "consent_user_id": self.portal_user.id})
        self._ar_login()
        response = self._enable(self.contact_token.id)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self._mandates(), mandate, "the same mandate, with another card")
        self.assertEqual(mandate.token_id, self.contact_token)

        response = self._ar_post("/my/autopay/disable", {"mandate_id": mandate.id})
        self.assertEqual(response.status_code, 303)
        self.assertIn("message=disabled", response.headers["Location"])
        self.assertFalse(self._mandates(), "opted out")
        self.assertEqual(self._mandates(active=False), mandate, "kept as history")

    def test_someone_elses_card_is_refused(self):
        self._ar_login()
        for value in (self.foreign_token.id, "abc", "-1", "99999999999999", "", f"{self.token.id} OR 1=1"):
            with self.subTest(value=value):
                response = self._enable(value)
                self.assertEqual(response.status_code, 400)
                self.assertIn("cannot be used for autopay", response.text)
                self.assertFalse(self._mandates(active=None), "nothing written")
        self.assertFalse(self._mandates(self.other_customer, active=None))

    def test_archived_card_is_refused(self):
        self.token.active = False
        self._ar_login()
        self.assertEqual(self._enable(self.token.id).status_code, 400)
        self.assertFalse(self._mandates(active=None))

    def test_someone_elses_mandate_cannot_be_turned_off(self):
        theirs = self.Mandate.create({"partner_id": self.other_customer.id, "company_id": self.company.id,
                                      "token_id": self.foreign_token.id})
        self._ar_login()
        for value in (theirs.id, "x", ""):
            with self.subTest(value=value):
                response = self._ar_post("/my/autopay/disable", {"mandate_id": value})
                self.assertEqual(response.status_code, 400)
                self.assertIn("could not be found", response.text)
        self.env.invalidate_all()
        self.assertTrue(theirs.active, "nothing written")

    def test_csrf_token_required(self):
        mandate = self.Mandate.create({"partner_id": self.customer.id, "company_id": self.company.id,
                                       "token_id": self.token.id})
        self._ar_login()
        response = self._enable(self.contact_token.id, csrf=False)
        self.assertEqual(response.status_code, 400)
        response = self._ar_post("/my/autopay/disable", {"mandate_id": mandate.id}, csrf=False)
        self.assertEqual(response.status_code, 400)
        response = self._ar_post("/my/autopay/disable", {"mandate_id": mandate.id, "csrf_token": "forged"})
        self.assertEqual(response.status_code, 400)
        self.env.invalidate_all()
        self.assertEqual((mandate.active, mandate.token_id), (True, self.token), "nothing written")

    def test_get_does_not_write(self):
        self._ar_login()
        response = self.url_open(f"/my/autopay/enable?token_id={self.token.id}")
        self.assertIn(response.status_code, (404, 405))
        self.assertFalse(self._mandates(active=None))

    def test_suspended_mandate_needs_another_card(self):
        mandate = self.Mandate.create({"partner_id": self.customer.id, "company_id": self.company.id,
                                       "token_id": self.token.id})
        mandate._ar_suspend("Card declined (stolen_card)")
        self._ar_login()
        self.assertIn("was declined", self.url_open("/my/autopay").text)
        response = self._enable(self.token.id)
        self.assertEqual(response.status_code, 400)
        self.assertIn("choose another card", response.text)
        self.env.invalidate_all()
        self.assertEqual(mandate.state, "suspended")
        self.assertEqual(self._enable(self.contact_token.id).status_code, 303)
        self.env.invalidate_all()
        self.assertEqual((mandate.state, mandate.token_id), ("active", self.contact_token))

    def test_login_required(self):
        response = self.url_open("/my/autopay", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_no_direct_access_for_portal_users(self):
        self.Mandate.create({"partner_id": self.customer.id, "company_id": self.company.id,
                             "token_id": self.token.id})
        self._ar_login()
        for model in ("ar.autopay.mandate", "ar.autopay.attempt"):
            with self.subTest(model=model), self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/search_read", {
                    "model": model, "method": "search_read", "args": [], "kwargs": {"fields": ["id"]},
                })
