from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestMailRetry(ArCollectionsCommon):
    """The mail server is down when reminders leave the queue: they wait and are retried,
    the log says failed then sent, nothing is sent twice, nothing paid meanwhile is chased."""

    def setUp(self):
        super().setUp()
        self._ar_run()
        self._ar_dispatch()
        self.message = self._ar_messages(self.customer, "email")
        self.assertEqual(len(self.message), 1)
        self.mails = self.env["mail.mail"].sudo().search([("mail_message_id", "=", self.message.mail_message_id.id)])
        self.assertTrue(self.mails)

    def _send_with_server_down(self):
        # Odoo's real connect() runs; the socket is refused as by a server that is down.
        with self.mock_mail_gateway(), patch(
            "smtplib.SMTP", side_effect=ConnectionRefusedError(111, "Connection refused"),
        ):
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()

    def _retry_due_now(self):
        self.message.sudo().retry_date = fields.Datetime.now() - timedelta(seconds=1)
        return self.env["ar.dunning.message"]._cron_retry_mail()

    def test_server_down_then_back(self):
        before = fields.Datetime.now()
        self._send_with_server_down()
        self.assertEqual(set(self.mails.mapped("state")), {"exception"})
        self.assertEqual(self.message.state, "failed")
        self.assertEqual(self.message.mail_attempts, 1)
        self.assertGreaterEqual(self.message.retry_date, before + timedelta(minutes=10))
        self.assertLessEqual(self.message.retry_date, fields.Datetime.now() + timedelta(minutes=10))
        self.assertIn("Mail server unreachable", self.message.state_reason)
        self.assertEqual(set(self.message.log_ids.mapped("state")), {"failed"}, "the log says failed")

        self.assertFalse(self.env["ar.dunning.message"]._cron_retry_mail(), "not before its retry time")
        self.assertEqual(self.message.state, "failed")

        self.assertEqual(self._retry_due_now(), self.message)
        self.assertEqual(self.message.state, "queued")
        self.assertFalse(self.message.retry_date)
        self.assertEqual(set(self.mails.mapped("state")), {"outgoing"})

        self._ar_send_mail_queue()
        self.assertEqual(len(self._mails), 1, "one email, once the server is back")
        self.assertIn("ap@overdue-industries.example.com", self._mails[0]["email_to"][0])
        self.assertEqual(self.message.state, "sent")
        self.assertEqual(set(self.message.log_ids.mapped("state")), {"sent"}, "then sent")

        self._ar_send_mail_queue()
        self.assertEqual(len(self._mails), 0, "nothing sent twice")
        self.assertFalse(self._retry_due_now(), "a sent reminder is not retried")

    def test_invoice_paid_before_the_retry_is_not_chased(self):
        self._send_with_server_down()
        chased = self.message.log_ids.invoice_id
        for invoice in chased:
            self._ar_pay(invoice, invoice.amount_residual)
        self._retry_due_now()
        self._ar_send_mail_queue()
        self.assertEqual(len(self._mails), 0)
        self.assertEqual(self.message.state, "cancelled")
        self.assertEqual(set(self.message.log_ids.mapped("state")), {"cancelled"})

    def test_gives_up_after_the_last_attempt(self):
        for attempt in range(1, 4):
            self._send_with_server_down()
            self.assertEqual((self.message.state, self.message.mail_attempts), ("failed", attempt))
            self.assertTrue(self.message.retry_date)
            self._retry_due_now()
        self._send_with_server_down()
        self.assertEqual(self.message.mail_attempts, 4)
        self.assertFalse(self.message.retry_date)
        self.assertIn("after 4 attempts", self.message.state_reason)
        self.assertFalse(self.env["ar.dunning.message"]._cron_retry_mail())
        self.assertEqual(set(self.mails.mapped("state")), {"exception"})

    def test_other_failures_are_not_retried(self):
        self.env["ar.dunning.message"]._ar_outgoing_done(self.mails, failure="Invalid recipient")
        self.assertEqual(self.message.state, "failed")
        self.assertEqual(self.message.state_reason, "Invalid recipient")
        self.assertFalse(self.message.retry_date)
        self.assertFalse(self._retry_due_now() & self.message.browse(), "nothing claimed")
