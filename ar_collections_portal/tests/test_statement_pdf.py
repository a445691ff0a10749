from datetime import timedelta

from lxml import html as lxml_html

from odoo import Command
from odoo.tests import tagged

from odoo.addons.ar_collections_portal.tests.common import ArPortalCommon, ArPortalHttpCommon

REPORT = "ar_collections_portal.action_report_ar_statement"


def report_rows(page):
    """{move id: status} of the statement lines of a rendered report."""
    tree = lxml_html.fromstring(page)
    return {
        int(row.get("data-move-id")): row.get("data-status")
        for row in tree.xpath("//tr[contains(@class, 'o_ar_statement_line')]")
    }


@tagged("post_install", "-at_install")
class TestStatementReport(ArPortalCommon):

    def test_report_lines_and_totals(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        inv_eur = self._ar_invoice(self.customer, 400.0, days_overdue=8, currency=eur)
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)],
        })
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, self.customer.ids)[0].decode()
        self.assertEqual(report_rows(html), {
            self.inv_overdue.id: "dispute",
            self.inv_partial.id: "overdue",
            self.inv_not_due.id: "due",
            inv_eur.id: "overdue",
        })
        self.assertNotIn(self.inv_other.name, html)
        tree = lxml_html.fromstring(html)
        totals = {
            " ".join(group.xpath("./h5")[0].text_content().split()): tuple(
                " ".join(group.xpath(f".//*[contains(@class, '{total}')]")[0].text_content().split())
                for total in ("o_ar_total_open", "o_ar_total_overdue"))
            for group in tree.xpath("//div[contains(@class, 'o_ar_statement_group')]")
        }
        self.assertEqual(totals, {
            f"{self.company.name} (USD)": ("$ 1,650.00", "$ 1,350.00"),
            f"{self.company.name} (EUR)": ("400.00 €", "400.00 €"),
        })
        payments = tree.xpath("//tr[contains(@class, 'o_ar_statement_payment')]")
        self.assertEqual(len(payments), 1)
        self.assertIn(self.inv_partial.matched_payment_ids.name, payments[0].text_content())

    def test_report_of_contact_shows_its_company(self):
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, self.customer_contact.ids)[0].decode()
        self.assertEqual(set(report_rows(html)), {self.inv_overdue.id, self.inv_partial.id, self.inv_not_due.id})

    def test_report_is_a_real_pdf(self):
        self._ar_pdf_text_without_assets()
        content, report_type = self.env["ir.actions.report"].with_context(
            force_report_rendering=True)._render_qweb_pdf(REPORT, self.customer.ids)
        self.assertEqual(report_type, "pdf")
        self.assertTrue(content.startswith(b"%PDF-"))

    def test_report_printable_from_partner(self):
        report = self.env.ref(REPORT)
        self.assertEqual(report.binding_model_id.model, "res.partner")
        self.assertEqual(report.report_type, "qweb-pdf")


@tagged("post_install", "-at_install")
class TestStatementPdfRoute(ArPortalHttpCommon):

    def _assert_statement_pdf(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertIn("filename*=UTF-8''Statement%20-%20Overdue%20Industries.pdf", response.headers["Content-Disposition"])
        # Odoo renders reports as HTML instead of PDF in test mode: the lines can be read.
        self.assertEqual(set(report_rows(response.content.decode())),
                         {self.inv_overdue.id, self.inv_partial.id, self.inv_not_due.id})
        self.assertNotIn(self.inv_other.name, response.content.decode())

    def test_pdf_as_customer(self):
        self._ar_login()
        response = self.url_open("/my/statement/pdf?download=1")
        self._assert_statement_pdf(response)
        self.assertTrue(response.headers["Content-Disposition"].startswith("attachment"))
        self.assertTrue(self.url_open("/my/statement/pdf").headers["Content-Disposition"].startswith("inline"))

    def test_pdf_with_link(self):
        token = self.customer._ar_statement_access_token()
        self._assert_statement_pdf(self.url_open(f"/my/statement/pdf?access_token={token}"))

    def test_pdf_refused_without_access(self):
        response = self.url_open("/my/statement/pdf", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self.customer._ar_statement_access_token()
        expiry = 1000
        token = f"{self.customer.id}-{expiry}-{self.customer._ar_statement_signature(expiry)}"
        response = self.url_open(f"/my/statement/pdf?access_token={token}")
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(self.inv_overdue.name, response.text)

    def test_pdf_lists_payments_of_the_year(self):
        self._ar_pay(self.inv_overdue, 100.0, date=self.today - timedelta(days=30))
        self._ar_login()
        tree = lxml_html.fromstring(self.url_open("/my/statement/pdf").content.decode())
        self.assertEqual(len(tree.xpath("//tr[contains(@class, 'o_ar_statement_payment')]")), 2)
