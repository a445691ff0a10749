import re
from unittest.mock import patch

from lxml import etree

from odoo.tests import tagged

from odoo.addons.base.models.ir_qweb import IrQWeb
from odoo.addons.mail.models.mail_render_mixin import MailRenderMixin

from ..models.ar_dunning_message import EMAIL_RENDER_FIELDS
from .common import ArCollectionsCommon

# The statement link's signed token carries its expiry, in seconds from now.
STATEMENT_TOKEN = re.compile(r"(/my/statement\?access_token=)[\w-]+")


def _same_time(values):
    return {**values, "body_html": STATEMENT_TOKEN.sub(r"\1-", str(values["body_html"]))}


@tagged("post_install", "-at_install")
class TestEmailBatches(ArCollectionsCommon):
    """Email reminders are rendered one template render per level for all their customers,
    exactly as each would be rendered alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyers = cls.env["res.partner"].create([
            {"name": f"Batch Buyer {i}", "is_company": True, "email": f"ap@buyer{i}.example.com"} for i in range(3)])
        cls.buyer_invoices = [cls._ar_invoice(buyer, 100.0 * (i + 1), days_overdue=20)
                              for i, buyer in enumerate(cls.buyers)]

    def _queued_emails(self):
        self._ar_run()
        messages = self.env["ar.dunning.message"]._ar_claim_queued(10000)
        return messages.filtered(lambda msg: msg.channel == "email" and msg.partner_id in self.buyers)

    def test_one_render_per_level_same_content(self):
        emails = self._queued_emails()
        self.assertEqual(len(emails), 3)
        self.assertEqual(len(emails.level_id), 1)
        renders = []
        original = MailRenderMixin._render_template_qweb

        def counting(template, template_src, model, res_ids, *args, **kwargs):
            renders.append(len(res_ids))
            return original(template, template_src, model, res_ids, *args, **kwargs)

        with patch.object(MailRenderMixin, "_render_template_qweb", counting):
            rendered = emails._ar_render_emails()
        self.assertEqual(renders, [3], "the body rendered once for the three customers")
        template = emails.level_id.mail_template_id
        for message, invoice in zip(emails.sorted(lambda msg: msg.partner_id.id), self.buyer_invoices, strict=True):
            invoices = message._ar_queued_invoices()
            self.assertEqual(invoices, invoice, "each statement lists its own reminder's invoices")
            alone = template.with_context(**message._ar_template_context(invoices))._generate_template(
                message.partner_id.ids, EMAIL_RENDER_FIELDS)[message.partner_id.id]
            self.assertEqual(_same_time(rendered[message.id]), _same_time(alone))
            self.assertIn(invoice.name, rendered[message.id]["body_html"])
        emails._ar_dispatch()
        for message in emails:
            self.assertEqual(_same_time({"body_html": message.body_html}),
                             _same_time({"body_html": rendered[message.id]["body_html"]}))
            self.assertEqual(message.mail_message_id.partner_ids, message.partner_id)
            self.assertIn(message.invoice_ids.name, message.mail_message_id.body)

    def test_template_reading_the_invoices_otherwise_is_rendered_alone(self):
        emails = self._queued_emails()
        template = emails.level_id.mail_template_id
        template.subject = "{{ len(ctx.get('ar_invoice_ids') or []) }} invoice(s) to pay"
        self.assertFalse(emails._ar_render_emails())
        emails._ar_dispatch()
        self.assertEqual(set(emails.mapped("state")), {"queued"})
        self.assertEqual(emails.mail_message_id.mapped("subject"), ["1 invoice(s) to pay"] * 3,
                         "each rendered alone, with its own invoices")

    def test_letter_texts_in_one_render(self):
        letters = self._queued_emails()
        renders = []
        original = MailRenderMixin._render_template_qweb

        def counting(template, template_src, model, res_ids, *args, **kwargs):
            renders.append(len(res_ids))
            return original(template, template_src, model, res_ids, *args, **kwargs)

        with patch.object(MailRenderMixin, "_render_template_qweb", counting):
            bodies = letters._ar_render_emails(["body_html"], printed=True)
        self.assertEqual(renders, [3])
        for message in letters:
            message._ar_letter_set_body(message._ar_queued_invoices())
            self.assertEqual(_same_time({"body_html": bodies[message.id]["body_html"]}),
                             _same_time({"body_html": message.body_html}), "as the letter's text rendered alone")
            self.assertIn("Pay online:", message.body_html, "printed: pay addresses instead of links")

    def test_body_compiled_once_and_no_follower_added(self):
        """A batch compiles the template's body once for all its customers (Odoo compiles it per
        customer), and posting the reminders makes nobody a follower of the customers."""
        emails = self._queued_emails()
        followers = {buyer: buyer.message_partner_ids for buyer in self.buyers}
        compiled = []
        original = IrQWeb._compile

        def counting(qweb, template):
            if isinstance(template, etree._Element):
                compiled.append(template)
            return original(qweb, template)

        with patch.object(IrQWeb, "_compile", counting):
            rendered = emails._ar_render_emails()
        self.assertEqual(len(rendered), 3)
        self.assertEqual(len(compiled), 1, "one compilation of the body for the three customers")
        savepoints = []
        cursor = type(self.env.cr)
        original_savepoint = cursor.savepoint

        def counting_savepoint(cr, *args, **kwargs):
            savepoints.append(1)
            return original_savepoint(cr, *args, **kwargs)

        with patch.object(cursor, "savepoint", counting_savepoint):
            emails._ar_dispatch()
        self.assertLess(len(savepoints), len(emails), "the batch is handed over in one savepoint, not one each")
        self.assertTrue(emails.mail_message_id)
        for buyer in self.buyers:
            self.assertEqual(buyer.message_partner_ids, followers[buyer],
                             "the sender does not become a follower of each customer")

    def test_failing_reminder_fails_alone_in_its_batch(self):
        """The batch's reminders are handed over in one savepoint; one that fails is failed alone
        and the others are sent as before."""
        emails = self._queued_emails()
        broken = emails.sorted("id")[1]
        Message = self.env.registry["ar.dunning.message"]
        original = Message._ar_dispatch_email

        def failing_for_one(message, invoices):
            if message == broken:
                raise ValueError("mail server configuration broken")
            return original(message, invoices)

        with patch.object(Message, "_ar_dispatch_email", failing_for_one):
            emails._ar_dispatch()
        self.assertEqual(broken.state, "failed")
        self.assertIn("mail server configuration broken", broken.state_reason)
        self.assertFalse(broken.mail_message_id)
        others = emails - broken
        self.assertEqual(set(others.mapped("state")), {"queued"})
        self.assertEqual(len(others.mail_message_id), 2, "one chatter message each, not two")
        self.assertTrue(all(emails.mapped("dispatch_date")))
