from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestDisputesPromises(ArCollectionsCommon):

    def _dispute(self, invoices, user=None, **values):
        return self.env["ar.dispute"].with_user(user or self.user_collector).create({
            "partner_id": invoices.commercial_partner_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "reason": "quality",
            **values,
        })

    def _promise(self, invoices, days, **values):
        return self.env["ar.promise"].with_user(self.user_collector).create({
            "partner_id": invoices.commercial_partner_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "amount": sum(invoices.mapped("amount_residual")),
            "promised_date": self.today + timedelta(days=days),
            **values,
        })

    def test_open_dispute_pauses_its_invoices(self):
        self.policy.jump_to_reached = True  # +14 at the first reminder after the pause (go-live option)
        dispute = self._dispute(self.inv_overdue)
        self.assertEqual(self.inv_overdue.ar_pause_reason, "Disputed: Goods or service not as agreed")
        self.assertFalse(self.inv_partial.ar_pause_reason, "only the disputed invoice is paused")
        self._ar_run()
        self.assertEqual(self._ar_messages(self.customer, "email").invoice_ids, self.inv_partial)
        self.assertFalse(self._ar_logs(self.inv_overdue))
        # resolving it resumes reminders
        dispute.with_user(self.user_collector).action_resolve_rejected()
        self.assertFalse(dispute.is_open)
        self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
        self.assertFalse(self.inv_overdue.ar_pause_reason)
        self._ar_run()
        self.assertEqual(self._ar_logs(self.inv_overdue).filtered(lambda log: log.channel == "email").level_offset, 14)

    def test_dispute_opened_after_queueing_stops_the_reminder(self):
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer)
        self._dispute(self.inv_other)
        self._ar_send_mail_queue()
        self.assertEqual(message.state, "cancelled")
        self.assertEqual(self._ar_logs(self.inv_other).state_reason, "Disputed: Goods or service not as agreed")
        self.assertFalse([m for m in self._mails if self.inv_other.name in m["body"]])

    def test_promise_pauses_until_date_plus_grace(self):
        promise = self._promise(self.inv_other, days=4, grace_days=2)
        self.assertEqual(promise.pause_until, self.today + timedelta(days=6))
        self.assertTrue(self.inv_other.ar_pause_reason.startswith("Promised to pay by"))
        self._ar_run()
        self.assertFalse(self._ar_messages(self.other_customer))
        with freeze_time(self.today + timedelta(days=6)):
            self._ar_run()
            self.assertFalse(self._ar_messages(self.other_customer), "still within the grace period")
        with freeze_time(self.today + timedelta(days=7)):
            self._ar_run()
            self.assertTrue(self._ar_messages(self.other_customer), "the broken promise ends the pause")

    def test_cancelled_promise_ends_pause(self):
        promise = self._promise(self.inv_other, days=10)
        promise.action_cancel()
        self._ar_run()
        self.assertTrue(self._ar_messages(self.other_customer))

    def test_invalid_input_refused(self):
        with self.assertRaisesRegex(ValidationError, "are not invoices of Punctual Partners"):
            self.env["ar.dispute"].create({
                "partner_id": self.other_customer.id,
                "invoice_ids": [Command.set(self.inv_overdue.ids)],
                "reason": "pricing",
            })
        with self.assertRaisesRegex(ValidationError, "positive amount"):
            self._promise(self.inv_other, days=3, amount=-10)
        with self.assertRaisesRegex(ValidationError, "grace period cannot be negative"):
            self._promise(self.inv_other, days=3, grace_days=-1)

    def test_access(self):
        dispute = self._dispute(self.inv_overdue)
        with self.assertRaises(AccessError):
            dispute.with_user(self.user_collector).unlink()
        dispute.with_user(self.user_ar_manager).unlink()
        with self.assertRaises(AccessError):
            self._dispute(self.inv_overdue, user=self.portal_user)
        with self.assertRaises(AccessError):
            self.env["ar.promise"].with_user(self.portal_user).search([])

    def test_invoice_buttons_prefill(self):
        action = self.inv_partial.action_ar_log_promise()
        promise = self.env["ar.promise"].with_context(**action["context"]).create({
            "promised_date": self.today + timedelta(days=5),
        })
        self.assertEqual(promise.partner_id, self.customer)
        self.assertEqual(promise.invoice_ids, self.inv_partial)
        self.assertEqual(promise.amount, 350.0)
        action = self.inv_partial.action_ar_open_dispute()
        dispute = self.env["ar.dispute"].with_context(**action["context"]).create({"reason": "pricing"})
        self.assertEqual(dispute.invoice_ids, self.inv_partial)
