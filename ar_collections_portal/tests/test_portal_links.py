from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from odoo.tests import tagged

from odoo.addons.ar_collections_portal.tests.common import ArPortalHttpCommon

REPORT = "ar_collections_portal.action_report_ar_statement"


@tagged("post_install", "-at_install")
class TestStatementLinks(ArPortalHttpCommon):
    """What a statement link hands out: revoked with it, never stored nor framed, and its PDF
    not rendered again for every download."""

    def _invoice_links(self, statement_token):
        """{invoice id: its link} as the statement opened by ``statement_token`` lists them."""
        page = self.url_open(f"/my/statement?access_token={statement_token}")
        self.assertEqual(page.status_code, 200)
        self.inv_overdue.invalidate_recordset(["access_token"])
        self.assertIn(self.inv_overdue.get_portal_url(), page.text, "the statement links the invoice with its token")
        return self.inv_overdue.get_portal_url()

    def _opens_invoice(self, url):
        response = self.url_open(url, allow_redirects=False)
        return response.status_code == 200 and self.inv_overdue.name.encode() in response.content

    def test_revoking_statement_links_revokes_invoice_links(self):
        token = self.customer._ar_statement_access_token()
        invoice_link = self._invoice_links(token)
        invoice_token = parse_qs(urlsplit(invoice_link).query)["access_token"][0]
        pdf_link = f"{invoice_link}&report_type=pdf"
        dispute_link = f"/my/invoices/{self.inv_overdue.id}/dispute?access_token={invoice_token}"
        self.assertTrue(self._opens_invoice(invoice_link))
        self.assertEqual(self.url_open(dispute_link, allow_redirects=False).status_code, 200)

        self.customer.with_user(self.user_ar_manager).action_ar_revoke_statement_links()

        self.assertFalse(self._opens_invoice(invoice_link), "the invoice link the statement handed out is revoked")
        pdf = self.url_open(pdf_link, allow_redirects=False)
        self.assertNotEqual(pdf.status_code, 200, "the invoice PDF of the revoked link")
        self.assertNotIn(b"%PDF", pdf.content)
        dispute = self.url_open(dispute_link, allow_redirects=False)
        self.assertIn(dispute.status_code, (302, 303, 403, 404), "the dispute form of the revoked link")
        self.assertNotIn("o_ar_dispute_form", dispute.text)
        self.assertEqual(self.url_open(f"/my/statement?access_token={token}").status_code, 403)
        # a new statement link works and hands out new invoice links, which open
        new_link = self._invoice_links(self.customer._ar_statement_access_token())
        self.assertNotEqual(new_link, invoice_link)
        self.assertTrue(self._opens_invoice(new_link))

    def _assert_not_stored_nor_framed(self, response, what):
        self.assertEqual(response.status_code, 200, what)
        self.assertIn("no-store", response.headers.get("Cache-Control", ""), what)
        self.assertEqual(response.headers.get("X-Frame-Options"), "DENY", what)
        self.assertIn("frame-ancestors 'none'", response.headers.get("Content-Security-Policy", ""), what)

    def test_token_pages_are_not_stored_nor_framed(self):
        token = self.customer._ar_statement_access_token()
        self._assert_not_stored_nor_framed(self.url_open(f"/my/statement?access_token={token}"), "statement")
        self._assert_not_stored_nor_framed(self.url_open(f"/my/statement/pdf?access_token={token}"), "statement PDF")
        self._assert_not_stored_nor_framed(
            self.url_open(f"/my/statement/pay?access_token={token}&invoice_ids={self.inv_overdue.id}"), "pay page")
        invoice_link = self._invoice_links(token)
        self._assert_not_stored_nor_framed(self.url_open(invoice_link), "invoice page by its link")
        self._assert_not_stored_nor_framed(
            self.url_open(self.inv_overdue.get_portal_url(suffix="/dispute")), "dispute form by the invoice link")
        self._assert_not_stored_nor_framed(
            self.url_open(self.inv_overdue.get_portal_url(suffix="/promise")), "promise form by the invoice link")

    def test_statement_pdf_rendered_once_per_state(self):
        token = self.customer._ar_statement_access_token()
        Report = self.env.registry["ir.actions.report"]
        render = Report._render_qweb_pdf
        calls = []

        def counting_render(report, *args, **kwargs):
            calls.append(args)
            return render(report, *args, **kwargs)

        with patch.object(Report, "_render_qweb_pdf", counting_render):
            first = self.url_open(f"/my/statement/pdf?access_token={token}")
            second = self.url_open(f"/my/statement/pdf?access_token={token}&download=1")
            self.assertEqual(len(calls), 1, "the second download of the same statement is not rendered again")
            self.assertEqual(first.content, second.content)
            # a payment changes the statement: rendered again, with the new open amount
            self._ar_pay(self.inv_not_due, 100.0)
            self.env.flush_all()
            third = self.url_open(f"/my/statement/pdf?access_token={token}")
            self.assertEqual(len(calls), 2)
            self.assertNotEqual(third.content, first.content)
