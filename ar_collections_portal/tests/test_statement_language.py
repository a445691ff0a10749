import re

from lxml import html as lxml_html

from odoo.tests import tagged

from .common import ArPortalHttpCommon


@tagged("post_install", "-at_install")
class TestStatementLanguage(ArPortalHttpCommon):
    """The statement page speaks the portal user's language, with its number and date formats."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(
            ["ar_collections", "ar_collections_portal"], ["fr_FR"], overwrite=True)
        cls.customer_contact.lang = "fr_FR"

    def test_french_statement_page(self):
        self.authenticate("ar_portal", "ar_portal")
        response = self.url_open("/my/statement")
        self.assertEqual(response.status_code, 200)
        text = re.sub(r"[\s\u00a0\u202f]+", " ", lxml_html.fromstring(response.text).text_content())
        self.assertIn("Relevé de compte", text)
        self.assertIn("Payer la sélection", text)
        self.assertIn("Jours de retard", text)
        # 1000 overdue, 600 - 250 partly paid: French grouping and decimal comma
        self.assertIn("1 000,00", text)
        self.assertIn("350,00", text)
        self.assertNotIn("1,000.00", text)
        self.assertIn(self.inv_overdue.invoice_date_due.strftime("%d/%m/%Y"), text)
