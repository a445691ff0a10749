import io
import math
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools.pdf import PdfReader

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestLetterBatches(ArCollectionsCommon):
    """Letters are rendered many per wkhtmltopdf call and cut into one PDF per letter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._ar_pdf_text_without_assets()
        cls.level = cls.policy.level_ids.sorted("offset_days")[-1]
        # Names that are not part of one another: "Batchco 01 Ltd" is not in "Batchco 10 Ltd".
        cls.batch_customers = cls.env["res.partner"].create([{
            "name": f"Batchco {index:02d} Ltd", "is_company": True, "street": f"{index} Letter Street",
        } for index in range(30)])
        due = cls.today - timedelta(days=cls.level.offset_days + 5)
        cls.batch_invoices = cls.env["account.move"].create([{
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": due - timedelta(days=30),
            "invoice_date_due": due,
            "invoice_line_ids": [Command.create({
                "name": "Consulting services", "quantity": 1, "price_unit": 100.0 + index,
                "tax_ids": [Command.clear()]})],
        } for index, customer in enumerate(cls.batch_customers)])
        cls.batch_invoices.action_post()

    def _letters(self, customers):
        """Queued letter reminders, one per customer, for its batch invoice."""
        messages = self.env["ar.dunning.message"].create([{
            "partner_id": customer.id, "company_id": self.company.id, "channel": "letter", "level_id": self.level.id,
        } for customer in customers])
        self.env["ar.dunning.log"].create([{
            "message_id": message.id,
            "invoice_id": self.batch_invoices.filtered(lambda inv, m=message: inv.partner_id == m.partner_id).id,
            "partner_id": message.partner_id.id,
            "company_id": self.company.id,
            "level_id": self.level.id,
            "channel": "letter",
        } for message in messages])
        return messages

    def _dispatch_counting_calls(self, batch_size):
        """Dispatch the queued reminders as the cron does, with real PDFs; return the
        number of wkhtmltopdf calls."""
        self.env["ir.config_parameter"].sudo().set_param("ar_collections.letter_batch_size", batch_size)
        Report = self.env.registry["ir.actions.report"]
        original = Report._run_wkhtmltopdf
        calls = []

        def run_wkhtmltopdf(report, *args, **kwargs):
            calls.append(len(args[0]))
            return original(report, *args, **kwargs)

        with patch.object(Report, "_run_wkhtmltopdf", run_wkhtmltopdf):
            self.env["ar.dunning.message"].with_context(force_report_rendering=True)._cron_dispatch(batch_size=100)
        return len(calls)

    @staticmethod
    def _pdf_text(attachment):
        reader = PdfReader(io.BytesIO(attachment.raw))
        return " ".join(" ".join(page.extract_text() for page in reader.pages).split())

    def _assert_own_letter(self, message):
        self.assertEqual(message.state, "sent", message.state_reason)
        attachments = self.env["ir.attachment"].search([("res_model", "=", message._name), ("res_id", "=", message.id)])
        self.assertEqual(attachments, message.letter_attachment_id, "one letter per reminder")
        self.assertEqual(attachments.mimetype, "application/pdf")
        text = self._pdf_text(attachments)
        self.assertIn(message.partner_id.name, text)
        for invoice in self.batch_invoices:
            if invoice.partner_id == message.partner_id:
                self.assertIn(invoice.name, text)
            else:
                self.assertNotIn(invoice.name, text)
                self.assertNotIn(invoice.partner_id.name, text)

    def test_letters_in_batches(self):
        messages = self._letters(self.batch_customers)
        calls = self._dispatch_counting_calls(batch_size=12)
        self.assertEqual(calls, math.ceil(30 / 12), "one wkhtmltopdf call per batch of 12 letters")
        for message in messages:
            self._assert_own_letter(message)

    def test_failing_batch_falls_back_to_one_by_one(self):
        messages = self._letters(self.batch_customers[:5])
        broken = messages[4]
        Message = self.env.registry["ar.dunning.message"]
        original_split, original_body = Message._ar_split_letters, Message._ar_letter_set_body
        failed_batches = []

        def split_failing_first(batch, content):
            if not failed_batches:
                failed_batches.append(batch)
                raise ValueError("cut in the wrong place")
            return original_split(batch, content)

        def body_failing_for_one(message, invoices):
            if message == broken:
                raise ValueError("broken letter text")
            return original_body(message, invoices)

        with patch.object(Message, "_ar_split_letters", split_failing_first), \
                patch.object(Message, "_ar_letter_set_body", body_failing_for_one):
            calls = self._dispatch_counting_calls(batch_size=2)
        # letters 0-1: their batch failed, rendered alone; 2-3: one batch; 4 failed alone
        self.assertEqual(failed_batches[0], messages[:2])
        self.assertEqual(calls, 1 + 2 + 1)
        for message in messages[:4]:
            self._assert_own_letter(message)
        self.assertEqual(broken.state, "failed")
        self.assertIn("broken letter text", broken.state_reason)
        self.assertFalse(broken.letter_attachment_id)

    def test_redispatch_keeps_one_letter(self):
        message = self._letters(self.batch_customers[:1])
        self._dispatch_counting_calls(batch_size=50)
        letter = message.letter_attachment_id
        self.assertTrue(letter)
        # Dispatched again (as when its invoices changed before it was printed)
        message.write({"state": "queued", "dispatch_date": False})
        message.log_ids.write({"state": "queued"})
        self._dispatch_counting_calls(batch_size=50)
        self.assertEqual(message.letter_attachment_id, letter)
        self._assert_own_letter(message)

    def test_empty_pdf_fails_the_letter(self):
        """wkhtmltopdf exiting without its file (as Debian's does on some inputs) fails the
        letter with a reason; no empty PDF is filed to print."""
        message = self._letters(self.batch_customers[:1])
        Report = self.env.registry["ir.actions.report"]
        with patch.object(Report, "_run_wkhtmltopdf", lambda report, *args, **kwargs: b""):
            self.env["ar.dunning.message"].with_context(force_report_rendering=True)._cron_dispatch(batch_size=100)
        self.assertEqual(message.state, "failed")
        self.assertFalse(message.letter_attachment_id)
        self.assertFalse(self.env["ir.attachment"].search([("res_model", "=", message._name), ("res_id", "=", message.id)]))

    def test_letters_printed_without_script_delay(self):
        """A dispatch batch's letters in one wkhtmltopdf call, without Odoo's wait for scripts
        (report.print_delay, a second a call, most of its time): the letters run none."""
        messages = self._letters(self.batch_customers[:3])
        Report = self.env.registry["ir.actions.report"]
        original = Report._build_wkhtmltopdf_args
        delays = []

        def build(report, *args, **kwargs):
            command = original(report, *args, **kwargs)
            delays.append(command[command.index("--javascript-delay") + 1])
            return command

        with patch.object(Report, "_build_wkhtmltopdf_args", build):
            self.env["ar.dunning.message"].with_context(force_report_rendering=True)._cron_dispatch()
        self.assertEqual(delays, ["0"])
        for message in messages:
            self._assert_own_letter(message)
        paperformat = self.env.ref("ar_collections.action_report_dunning_letter").get_paperformat()
        command = self.env["ir.actions.report"]._build_wkhtmltopdf_args(paperformat, False)
        self.assertEqual(command[command.index("--javascript-delay") + 1], "1000", "Odoo's other reports wait")
