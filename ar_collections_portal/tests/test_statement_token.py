import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.ar_collections_portal.tests.common import ArPortalCommon, ArPortalHttpCommon
from odoo.addons.ar_collections_portal.tests.pay_common import jsonrpc_error


def token_of(url):
    return parse_qs(urlsplit(url).query)["access_token"][0]


@tagged("post_install", "-at_install")
class TestStatementToken(ArPortalCommon):

    def test_url_is_signed_and_salt_set_lazily(self):
        self.assertFalse(self.customer.sudo().ar_statement_salt)
        url = self.customer_contact._ar_statement_url()
        self.assertTrue(url.startswith(self.company.get_base_url() + "/my/statement?access_token="))
        self.assertTrue(self.customer.sudo().ar_statement_salt, "the salt is set with the first link")
        self.assertFalse(self.customer_contact.sudo().ar_statement_salt, "a contact's link is its company's")
        partner_id, expiry, _signature = token_of(url).split("-")
        self.assertEqual(int(partner_id), self.customer.id)
        self.assertAlmostEqual(int(expiry), time.time() + 30 * 86400, delta=60)
        self.assertEqual(self.env["res.partner"]._ar_statement_partner_from_token(token_of(url)), self.customer)
        # a second link keeps the salt: the first one still works
        self.customer._ar_statement_url()
        self.assertEqual(self.env["res.partner"]._ar_statement_partner_from_token(token_of(url)), self.customer)

    def test_validity_follows_company_setting(self):
        self.company.ar_portal_token_days = 3
        start = datetime(2030, 1, 1, 12, 0)
        with freeze_time(start):
            token = self.customer._ar_statement_access_token(self.company)
        Partner = self.env["res.partner"]
        with freeze_time(start + timedelta(days=2, hours=23)):
            self.assertEqual(Partner._ar_statement_partner_from_token(token), self.customer)
        with freeze_time(start + timedelta(days=3, seconds=1)):
            self.assertFalse(Partner._ar_statement_partner_from_token(token), "expired")

    def test_tampered_tokens_refused(self):
        token = self.customer._ar_statement_access_token()
        partner_id, expiry, signature = token.split("-")
        other_signature = self.other_customer._ar_statement_access_token().split("-")[2]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
        Partner = self.env["res.partner"]
        for bad in (
            f"{self.other_customer.id}-{expiry}-{signature}",  # other partner
            f"{self.customer_contact.id}-{expiry}-{signature}",  # a contact, not the commercial partner
            f"{partner_id}-{int(expiry) + 86400}-{signature}",  # longer validity
            f"{partner_id}-{expiry}-{flipped}",
            f"{partner_id}-{expiry}-{other_signature}",
            f"{partner_id}-{expiry}-{signature.upper()}",
            f"{partner_id}-{expiry}",
            f"{partner_id}-{expiry}-{signature}-x",
            f" {token}",
            "",
            None,
            ["x"],
            "9" * 200,
        ):
            self.assertFalse(Partner._ar_statement_partner_from_token(bad), bad)
        self.assertEqual(Partner._ar_statement_partner_from_token(token), self.customer)

    def test_revoke_rotates_salt(self):
        token = self.customer._ar_statement_access_token()
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_collector).action_ar_revoke_statement_links()
        self.assertEqual(self.env["res.partner"]._ar_statement_partner_from_token(token), self.customer)
        self.customer_contact.with_user(self.user_ar_manager).action_ar_revoke_statement_links()
        self.assertFalse(self.env["res.partner"]._ar_statement_partner_from_token(token), "revoked")
        new_token = self.customer._ar_statement_access_token()
        self.assertEqual(self.env["res.partner"]._ar_statement_partner_from_token(new_token), self.customer)

    def test_salt_is_reserved_to_administrators(self):
        self.customer._ar_statement_access_token()
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_ar_manager).read(["ar_statement_salt"])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.portal_user).read(["ar_statement_salt"])

    def test_reminder_links_to_statement(self):
        table = str(self.customer._ar_dunning_table())
        tree = lxml_html.fromstring(table)
        links = tree.xpath("//p[contains(@class, 'o_ar_statement_link')]/a")
        self.assertEqual(len(links), 1)
        self.assertIn("View your statement and pay online", links[0].text_content())
        self.assertEqual(self.env["res.partner"]._ar_statement_partner_from_token(token_of(links[0].get("href"))),
                         self.customer)
        # nothing open, no link
        self.assertNotIn("o_ar_statement_link", str(self.other_customer._ar_dunning_table([self.inv_overdue.id])))

    def test_reminder_email_rendered_by_collector_links_to_statement(self):
        template = self.env.ref("ar_collections.mail_template_dunning_reminder").with_user(self.user_collector)
        body = str(template.with_context(ar_invoice_ids=self.inv_overdue.ids)._generate_template(
            self.customer.ids, ("body_html",))[self.customer.id]["body_html"])
        hrefs = lxml_html.fromstring(body).xpath("//p[contains(@class, 'o_ar_statement_link')]/a/@href")
        self.assertEqual(len(hrefs), 1)
        self.assertTrue(hrefs[0].startswith(self.company.get_base_url() + "/my/statement?access_token="))
        self.assertEqual(self.env["res.partner"]._ar_statement_partner_from_token(token_of(hrefs[0])), self.customer)


@tagged("post_install", "-at_install")
class TestStatementTokenHttp(ArPortalHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.customer._ar_statement_access_token()

    def _assert_refused(self, response):
        self.assertEqual(response.status_code, 403)
        self.assertIn("This link has expired", response.text)
        for invoice in (self.inv_overdue, self.inv_partial, self.inv_other):
            self.assertNotIn(invoice.name, response.text)

    def test_link_opens_statement_without_login(self):
        response = self.url_open(f"/my/statement?access_token={self.token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.inv_overdue.name, response.text)
        self.assertIn(self.inv_partial.name, response.text)
        self.assertNotIn(self.inv_other.name, response.text)
        tree = lxml_html.fromstring(response.text)
        # links of the page keep the statement token; the invoices open with their own token
        self.assertEqual(tree.xpath("//a[contains(@class, 'o_ar_statement_pdf')]/@href"),
                         [f"/my/statement/pdf?access_token={self.token}"])
        overdue_link = tree.xpath("//a[contains(@class, 'o_ar_pay_overdue')]/@href")[0]
        self.assertIn(f"access_token={self.token}", overdue_link)
        self.assertEqual(tree.xpath("//form[@action='/my/statement/pay']//input[@name='access_token']/@value"),
                         [self.token])
        invoice_link = tree.xpath(f"//a[text()='{self.inv_overdue.name}']/@href")[0]
        self.assertEqual(self.url_open(invoice_link).status_code, 200)

    def test_expired_link_refused(self):
        expiry = int(time.time()) - 60
        signature = self.customer._ar_statement_signature(expiry)
        self._assert_refused(self.url_open(f"/my/statement?access_token={self.customer.id}-{expiry}-{signature}"))

    def test_tampered_links_refused(self):
        partner_id, expiry, signature = self.token.split("-")
        self.other_customer._ar_statement_access_token()
        for bad in (
            f"{self.other_customer.id}-{expiry}-{signature}",
            f"{partner_id}-{int(expiry) + 1}-{signature}",
            f"{partner_id}-{expiry}-{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
            "garbage",
        ):
            self._assert_refused(self.url_open(f"/my/statement?access_token={bad}"))
            self._assert_refused(self.url_open(f"/my/statement/pdf?access_token={bad}"))
            self._assert_refused(self.url_open(f"/my/statement/pay?invoice_ids={self.inv_other.id}&access_token={bad}"))

    def test_revoked_link_refused(self):
        self.customer.with_user(self.user_ar_manager).action_ar_revoke_statement_links()
        self._assert_refused(self.url_open(f"/my/statement?access_token={self.token}"))
        fresh = token_of(self.customer._ar_statement_url())
        self.assertEqual(self.url_open(f"/my/statement?access_token={fresh}").status_code, 200)

    def test_token_of_customer_cannot_reach_other_customer(self):
        self.other_customer._ar_statement_access_token()
        # pay page: another customer's invoice is refused without showing it
        response = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_other.id}&access_token={self.token}")
        self.assertEqual(response.status_code, 400)
        self.assertIn("only open invoices of your account", response.text)
        self.assertNotIn(self.inv_other.name, response.text)
        # transaction: refused, nothing created
        Tx = self.env["payment.transaction"].sudo()
        before = Tx.search_count([])
        for ids in ([self.inv_other.id], [self.inv_overdue.id, self.inv_other.id]):
            error = jsonrpc_error(self, "/my/statement/transaction", {
                "invoice_ids": ids, "amount": 700.0, "access_token": self.token,
                "provider_id": self.provider.id, "payment_method_id": self.payment_method.id, "token_id": None,
                "flow": "direct", "tokenization_requested": False, "landing_route": "/", "is_validation": False,
            })
            self.assertIn("only open invoices of your account", error)
        self.assertEqual(Tx.search_count([]), before)
        # PDF: only the token's customer
        pdf = self.url_open(f"/my/statement/pdf?access_token={self.token}")
        self.assertEqual(pdf.status_code, 200)
        self.assertIn(self.inv_overdue.name, pdf.text)
        self.assertNotIn(self.inv_other.name, pdf.text)

    def test_link_of_other_customer_while_logged_in(self):
        """The link shows the statement it was made for, never mixed with the session's."""
        self.authenticate("ar_portal", "ar_portal")
        other_token = self.other_customer._ar_statement_access_token()
        html = self.url_open(f"/my/statement?access_token={other_token}").text
        self.assertIn(self.inv_other.name, html)
        self.assertNotIn(self.inv_overdue.name, html)
