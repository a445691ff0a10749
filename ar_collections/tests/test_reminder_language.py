import io
import re

from lxml import html as lxml_html

from odoo.tests import tagged
from odoo.tools.pdf import PdfReader

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReminderLanguage(ArCollectionsCommon):
    """A reminder speaks the customer's language, with that language's number, currency and
    date formats: its email and its letter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._ar_pdf_text_without_assets()
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.env["ir.module.module"]._load_module_terms(["ar_collections"], ["de_DE"], overwrite=True)
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": cls.company.id,
                                              "name": cls.today, "rate": 0.9})
        cls.german = cls.env["res.partner"].create({
            "name": "Mahnstein GmbH", "is_company": True, "lang": "de_DE", "email": "buchhaltung@mahnstein.example.com",
            "street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country_id": cls.env.ref("base.de").id,
        })
        cls.invoice = cls._ar_invoice(cls.german, 1234.56, days_overdue=20, currency=eur)
        reminder_template = cls.env.ref("ar_collections.mail_template_dunning_reminder")
        cls.level = cls.policy.level_ids.filtered(lambda level: level.mail_template_id == reminder_template)[:1]
        # the German text of that level's letter and email, checked below
        cls.due = cls.invoice.invoice_date_due.strftime("%d.%m.%Y")

    def _reminder(self, channel):
        message = self.env["ar.dunning.message"].create({
            "partner_id": self.german.id, "company_id": self.company.id, "channel": channel, "level_id": self.level.id,
        })
        self.env["ar.dunning.log"].create({
            "message_id": message.id, "invoice_id": self.invoice.id, "partner_id": self.german.id,
            "company_id": self.company.id, "level_id": self.level.id, "channel": channel,
        })
        return message

    @staticmethod
    def _flat(text):
        """Text with its spaces (non-breaking ones included) made single plain spaces."""
        return re.sub(r"[\s\u00a0\u202f]+", " ", text)

    def assertGermanStatement(self, text):
        self.assertIn("Überfällige Rechnungen", text)
        self.assertIn("1.234,56 €", text)
        self.assertIn(self.due, text)
        self.assertNotIn("1,234.56", text)
        self.assertNotIn(self.invoice.invoice_date_due.strftime("%m/%d/%Y"), text)

    def test_german_reminder_email(self):
        self.assertTrue(self.level, "the default policy has a first reminder level")
        message = self._reminder("email")
        message._ar_dispatch()
        self.assertTrue(message.mail_message_id, message.state_reason)
        self._ar_send_mail_queue()
        mail = next(mail for mail in self._mails if "buchhaltung@mahnstein.example.com" in str(mail["email_to"]))
        self.assertIn("Zahlungserinnerung", mail["subject"])
        body = self._flat(lxml_html.fromstring(mail["body"]).text_content())
        self.assertIn("Guten Tag Mahnstein GmbH", body)
        self.assertIn("Laut unseren Unterlagen", body)
        self.assertIn("Mit freundlichen Grüßen", body)
        self.assertGermanStatement(body)

    def test_german_reminder_letter(self):
        message = self._reminder("letter").with_context(force_report_rendering=True)
        message._ar_dispatch()
        self.assertEqual(message.state, "sent", message.state_reason)
        reader = PdfReader(io.BytesIO(message.letter_attachment_id.raw))
        text = self._flat(" ".join(page.extract_text() for page in reader.pages))
        self.assertIn("Laut unseren Unterlagen", text)
        self.assertIn(f"Datum: {(message.dispatch_date or message.create_date).strftime('%d.%m.%Y')}", text)
        self.assertGermanStatement(text)

    def test_german_sms(self):
        self.german.mobile = "+4915112345678"
        self.level.sms_template_id = self.env.ref("ar_collections.sms_template_dunning_reminder")
        message = self._reminder("sms")
        message._ar_dispatch()
        self.assertTrue(message.mail_message_id, message.state_reason)
        body = self._flat(message.body_html)
        self.assertIn("1 offene Rechnung(en), 1.234,56 €. Online bezahlen: http", body)

    def test_german_promise_name(self):
        promise = self.env["ar.promise"].create({
            "partner_id": self.german.id, "invoice_ids": self.invoice.ids, "amount": 1234.56,
            "currency_id": self.invoice.currency_id.id, "promised_date": self.invoice.invoice_date_due,
        })
        self.assertEqual(promise.with_context(lang="de_DE").display_name, f"Mahnstein GmbH: 1.234,56\N{NO-BREAK SPACE}€ bis {self.due}")
