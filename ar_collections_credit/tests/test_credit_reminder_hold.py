from odoo import Command
from odoo.tests import tagged

from .common import ArCreditCommon


@tagged("post_install", "-at_install")
class TestCreditReminderHold(ArCreditCommon):
    """A reminder level that announces a credit hold puts it when the reminder is sent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Whatever level Overdue Industries gets to first, it is sent by letter.
        cls.levels = cls.policy.level_ids
        cls._set_channel("letter")

    @classmethod
    def _set_channel(cls, channel):
        for level in cls.levels:
            level.channel_ids = [Command.clear(), Command.create({"channel": channel})]

    def _send_reminders(self):
        self._ar_run()
        self._ar_dispatch()
        return self._ar_messages(self.customer, "letter")

    def _holds(self):
        return self.env["ar.credit.hold"].sudo().search([
            ("partner_id", "=", self.customer.id), ("company_id", "=", self.company.id), ("reason", "=", "dunning"),
        ])

    def test_level_announcing_a_hold_puts_it_when_sent(self):
        self.levels.announces_hold = True
        self.assertFalse(self._holds())
        letter = self._send_reminders()
        self.assertEqual(letter.state, "sent")
        self.assertTrue(self.customer.ar_dunning_hold)
        self.assertIn(letter.level_id.name, self.customer.ar_dunning_hold_reason)
        self.assertEqual(len(self._holds()), 1, "the customer is blocked: orders and deliveries stop")
        self.assertTrue(self.customer.with_company(self.company).ar_credit_blocked)
        self.assertIn("suspending further deliveries", str(letter.body_html))

    def test_level_without_hold_puts_none(self):
        letter = self._send_reminders()
        self.assertEqual(letter.state, "sent")
        self.assertFalse(self.customer.ar_dunning_hold)
        self.assertFalse(self._holds())

    def test_hold_waits_for_the_reminder_to_be_sent(self):
        self.levels.announces_hold = True
        self._set_channel("email")
        self._send_reminders()
        message = self._ar_messages(self.customer, "email")
        self.assertEqual(message.state, "queued")
        self.assertFalse(self.customer.ar_dunning_hold, "not before the email leaves")
        self._ar_send_mail_queue()
        self.assertEqual(message.state, "sent")
        self.assertTrue(self.customer.ar_dunning_hold)
        self.assertEqual(len(self._holds()), 1)
