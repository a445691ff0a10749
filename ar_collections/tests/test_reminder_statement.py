import io
import re
from unittest.mock import patch

from lxml import html as lxml_html

from odoo import Command
from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from .common import ArCollectionsCommon

IBAN = "BE71096123456769"


@tagged("post_install", "-at_install")
class TestReminderStatement(ArCollectionsCommon):
    """A reminder is a statement: invoices due and not yet due apart, each with its payment
    reference, a total per currency, the customer's unapplied credits netted, and how to pay
    (the company's bank account, a payment QR code, a printed pay address on letters)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._ar_pdf_text_without_assets()
        cls.eur = cls.setup_other_currency("EUR", rates=[("1900-01-01", 0.9)])
        cls.buyer = cls.env["res.partner"].create({
            "name": "Statement Buyer", "is_company": True, "email": "ap@statement-buyer.example.com",
            "country_id": cls.env.ref("base.be").id,
        })
        cls.usd_overdue = cls._ar_invoice(cls.buyer, 1000.0, days_overdue=20)
        cls.usd_not_due = cls._ar_invoice(cls.buyer, 400.0, days_overdue=-5)
        cls.eur_overdue = cls._ar_invoice(cls.buyer, 500.0, days_overdue=10, currency=cls.eur, post=False)
        cls.eur_overdue.payment_reference = "RF18 5390 0754 7034"
        cls.eur_overdue.action_post()
        # An open credit note (USD) and a payment received but not applied (EUR)
        cls.usd_refund = cls.env["account.move"].create({
            "move_type": "out_refund", "partner_id": cls.buyer.id, "invoice_date": cls.today,
            "invoice_line_ids": [Command.create({"name": "Returned goods", "quantity": 1, "price_unit": 150.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        cls.usd_refund.action_post()
        cls.eur_payment = cls.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": cls.buyer.id,
            "amount": 80.0, "currency_id": cls.eur.id, "date": cls.today,
        })
        cls.eur_payment.action_post()
        cls.invoices = cls.usd_overdue | cls.usd_not_due | cls.eur_overdue
        cls.bank = cls.env["res.partner.bank"].create({
            "acc_number": IBAN, "partner_id": cls.company.partner_id.id, "acc_holder_name": "Company One SA",
            "bank_id": cls.env["res.bank"].create({"name": "Belfius", "bic": "GKCCBEBB"}).id,
        })

    def _statement_html(self, printed=False):
        partner = self.buyer.with_context(ar_print=printed)
        return lxml_html.fromstring(str(partner._ar_dunning_table(self.invoices.ids)))

    def _texts(self, tree, xpath):
        return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]

    def _letter_pdf_text(self, level):
        """Dispatch a letter of ``level`` for the buyer's invoices; the text of its PDF."""
        message = self.env["ar.dunning.message"].sudo().create({
            "partner_id": self.buyer.id, "company_id": self.company.id, "channel": "letter", "level_id": level.id,
        })
        message.with_context(force_report_rendering=True)._ar_dispatch_letter(self.invoices)
        pdf = message.letter_attachment_id.raw
        self.assertTrue(pdf.startswith(b"%PDF"), "a real PDF, not the HTML of test mode")
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        text = "\n".join(page.extract_text() for page in reader.pages)
        return " ".join(text.split()), reader

    def test_totals_per_currency_with_credits_netted(self):
        statement = self.buyer._ar_dunning_statement(self.invoices)
        totals = {total["currency"].name: total for total in statement["totals"]}
        self.assertEqual(set(totals), {"USD", "EUR"})
        usd, eur = totals["USD"], totals["EUR"]
        self.assertEqual((usd["overdue"], usd["not_due"], usd["credit"], usd["balance"]), (1000.0, 400.0, 150.0, 1250.0))
        self.assertEqual((eur["overdue"], eur["not_due"], eur["credit"], eur["balance"]), (500.0, 0.0, 80.0, 420.0))
        self.assertEqual({credit["move"] for credit in statement["credits"]},
                         {self.usd_refund, self.eur_payment.move_id})
        tree = self._statement_html()
        balances = self._texts(tree, "//tr[hasclass('o_ar_statement_balance')]")
        self.assertEqual(len(balances), 2, "one balance per currency, never one across currencies")
        self.assertTrue(any("USD" in row and "1,250.00" in row for row in balances), balances)
        self.assertTrue(any("EUR" in row and "420.00" in row for row in balances), balances)
        subtotals = self._texts(tree, "//tr[hasclass('o_ar_statement_subtotal')]")
        self.assertTrue(any("Total overdue USD" in row and "1,000.00" in row for row in subtotals), subtotals)
        self.assertTrue(any("Total overdue EUR" in row and "500.00" in row for row in subtotals), subtotals)
        self.assertTrue(any("Total not yet due USD" in row and "400.00" in row for row in subtotals), subtotals)
        self.assertTrue(any("Total credits USD" in row and "150.00" in row for row in subtotals), subtotals)
        self.assertTrue(any("Total credits EUR" in row and "80.00" in row for row in subtotals), subtotals)
        credits = " ".join(self._texts(tree, "//table[@name='ar_credits']//tr"))
        self.assertIn(self.usd_refund.name, credits)
        self.assertIn(self.eur_payment.move_id.name, credits)
        # a credit alone is no reminder: nothing to net, nothing listed
        self.assertEqual(self.buyer._ar_dunning_statement(self.env["account.move"])["credits"], [])

    def test_not_yet_due_invoice_never_under_overdue(self):
        tree = self._statement_html()
        overdue = " ".join(self._texts(tree, "//table[@name='ar_invoices_overdue']//tr"))
        not_due = " ".join(self._texts(tree, "//table[@name='ar_invoices_not_due']//tr"))
        self.assertIn(self.usd_overdue.name, overdue)
        self.assertIn(self.eur_overdue.name, overdue)
        self.assertNotIn(self.usd_not_due.name, overdue)
        self.assertIn(self.usd_not_due.name, not_due)
        self.assertEqual(self._texts(tree, "//p[hasclass('o_ar_statement_not_due')]"), ["Due today or not yet due"])
        # the final notice calls only the overdue ones overdue
        final = self.env.ref("ar_collections.mail_template_dunning_final")
        body = str(final.with_context(ar_invoice_ids=self.invoices.ids)._render_field(
            "body_html", self.buyer.ids)[self.buyer.id])
        self.assertNotIn("seriously overdue", body)
        self.assertIn(self.usd_not_due.name, body.split("Due today or not yet due", 1)[1])

    def test_payment_reference_and_bank_account(self):
        tree = self._statement_html()
        rows = self._texts(tree, "//table[@name='ar_invoices_overdue']/tbody/tr")
        self.assertTrue(any(self.eur_overdue.name in row and "RF18 5390 0754 7034" in row for row in rows), rows)
        # without a reference of its own, the invoice number is the reference
        self.assertTrue(any(row.count(self.usd_overdue.name) == 2 for row in rows), rows)
        bank = " ".join(self._texts(tree, "//div[@name='ar_how_to_pay']"))
        self.assertIn(self.bank.acc_number, bank)
        self.assertIn("GKCCBEBB", bank)
        self.assertIn("Company One SA", bank)

    def test_distinct_texts_per_level(self):
        bodies = {}
        for level in self.policy.level_ids:
            body = level.mail_template_id.with_context(ar_invoice_ids=self.invoices.ids)._render_field(
                "body_html", self.buyer.ids)[self.buyer.id]
            bodies[level.name] = " ".join(lxml_html.fromstring(str(body)).xpath("//p[1]/following-sibling::p[1]")[0]
                                          .text_content().split())
        self.assertEqual(len(set(bodies.values())), len(bodies), bodies)
        self.assertNotEqual(bodies["First reminder"], bodies["Second reminder"])

    def test_only_levels_that_hold_speak_of_suspending_deliveries(self):
        for level in self.policy.level_ids:
            template = level.mail_template_id.with_context(ar_invoice_ids=self.invoices.ids)
            body = str(template._render_field("body_html", self.buyer.ids)[self.buyer.id])
            self.assertNotIn("suspend", body, level.name)
            # as with Credit Control installed, which puts the hold the reminder announces
            with patch.object(type(self.env["res.partner"]), "_ar_dunning_puts_hold", return_value=True):
                body = str(template.with_context(ar_announces_hold=True)._render_field(
                    "body_html", self.buyer.ids)[self.buyer.id])
            self.assertIn("suspending further deliveries", body, level.name)
        # the message tells its templates whether its level puts the hold
        level = self.policy.level_ids[-1]
        message = self.env["ar.dunning.message"].sudo().create({
            "partner_id": self.buyer.id, "company_id": self.company.id, "channel": "email", "level_id": level.id,
        })
        self.assertFalse(message._ar_template_context(self.invoices)["ar_announces_hold"])
        level.announces_hold = True
        self.assertTrue(message._ar_template_context(self.invoices)["ar_announces_hold"])

    def test_letter_pdf_prints_references_bank_account_and_pay_address(self):
        final = self.policy.level_ids.filtered(lambda level: level.tone == "final")
        text, _reader = self._letter_pdf_text(final)
        self.assertIn("RF18 5390 0754 7034", text)
        self.assertIn(self.usd_not_due.name, text)
        self.assertIn(self.bank.acc_number, text)
        self.assertIn("Pay online:", text)
        # the printed address of the invoice's portal page (wrapping may cut the token)
        self.assertIn(f"/my/invoices/{self.usd_overdue.id}", text.replace(" ", ""))
        self.assertNotIn("Pay now", text, "no link a printed page cannot follow")

    def test_payment_qr_code_on_letter_and_email(self):
        if self.env["ir.module.module"]._get("account_qr_code_sepa").state != "installed":
            self.skipTest("Odoo's EPC/SEPA QR codes need account_qr_code_sepa")
        self.company.qr_code = True
        statement = self.buyer._ar_dunning_statement(self.invoices)
        qr = {total["currency"].name: total["qr"] for total in statement["totals"]}
        self.assertFalse(qr["USD"], "EPC QR codes are for euros only")
        self.assertIn("/report/barcode/?", qr["EUR"])
        self.assertTrue(qr["EUR"].startswith("http"), "an email needs an absolute image address")
        self.assertIn("EUR420.0", qr["EUR"].replace("%20", " ").replace("+", " "))
        tree = self._statement_html()
        self.assertEqual(tree.xpath("//img[hasclass('o_ar_payment_qr')]/@src"), [qr["EUR"]])
        final = self.policy.level_ids.filtered(lambda level: level.tone == "final")
        text, reader = self._letter_pdf_text(final)
        self.assertIn("Scan to pay with your banking app", text)
        images = [name for page in reader.pages
                  for name, obj in page["/Resources"].get("/XObject", {}).items()
                  if obj.get_object().get("/Subtype") == "/Image"]
        self.assertTrue(images, "the QR code is embedded in the letter")
        self.assertFalse(re.search(r"/report/barcode", text))

    def test_qr_code_only_when_the_company_shows_them(self):
        self.company.qr_code = False
        statement = self.buyer._ar_dunning_statement(self.invoices)
        self.assertFalse(any(total["qr"] for total in statement["totals"]))


@tagged("post_install", "-at_install")
class TestReminderSender(ArCollectionsCommon):
    """No reminder leaves from OdooBot: without a sender address the run shows why it failed."""

    def _dispatch_emails(self):
        self._ar_run()
        self._ar_dispatch()
        return self._ar_messages(self.customer, "email")

    def test_no_company_email_blocks_sending_with_a_message(self):
        self.company.email = False
        message = self._dispatch_emails()
        self.assertEqual(message.state, "failed")
        self.assertIn("has no sender email address", message.state_reason)
        self.assertIn("accountman@test.com", message.state_reason, "not the address of whoever runs it")
        self.assertFalse(message.mail_message_id, "nothing was posted or queued")
        self.assertFalse(self.env["mail.mail"].sudo().search([("email_from", "ilike", "odoobot")]))
        run = message.run_id
        self.assertIn(message, run.message_ids.filtered(lambda msg: msg.state == "failed"))

    def test_odoobot_sender_blocks_sending(self):
        self.policy.level_ids.mail_template_id.email_from = "OdooBot <odoobot@example.com>"
        message = self._dispatch_emails()
        self.assertEqual(message.state, "failed")
        self.assertIn("odoobot@example.com", message.state_reason)

    def test_fixed_sender_on_the_template_is_enough(self):
        self.company.email = False
        self.policy.level_ids.mail_template_id.email_from = "Collections <ar@company-one.example.com>"
        message = self._dispatch_emails()
        self.assertEqual(message.state, "queued")
        self.assertIn("ar@company-one.example.com", message.mail_message_id.email_from)

    def test_company_email_sends(self):
        message = self._dispatch_emails()
        self.assertEqual(message.state, "queued")
        self.assertIn("billing@company-one.example.com", message.mail_message_id.email_from)
