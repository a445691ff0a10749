from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestPromiseLifecycle(ArCollectionsCommon):
    """Promises to pay: open -> kept / broken (+ cancelled), and what a broken one escalates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.with_company(cls.company).ar_collector_id = cls.user_collector
        cls.company.ar_manager_user_id = cls.user_ar_manager

    def _promise(self, invoices, amount, days, grace_days=0):
        return self.env["ar.promise"].with_user(self.user_collector).create({
            "partner_id": invoices.commercial_partner_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "amount": amount,
            "promised_date": self.today + timedelta(days=days),
            "grace_days": grace_days,
        }).sudo()

    def _check(self, days=0):
        with freeze_time(self.today + timedelta(days=days)):
            self.env["ar.promise"]._cron_check_promises()

    def _email_offsets(self, invoice):
        return self._ar_logs(invoice).filtered(lambda log: log.channel == "email").mapped("level_offset")

    def test_kept_by_partial_payment_before_deadline(self):
        promise = self._promise(self.inv_overdue, 400.0, days=5, grace_days=2)
        self.assertEqual((promise.state, promise.amount_residual_start), ("open", 1000.0))
        self._ar_pay(self.inv_overdue, 300.0)
        self._check()
        self.assertEqual((promise.state, promise.amount_received), ("open", 300.0), "300 of 400 received: still open")
        self._ar_pay(self.inv_overdue, 100.0)
        with freeze_time(self.today + timedelta(days=3)):
            self.env["ar.promise"]._cron_check_promises()
        self.assertEqual((promise.state, promise.kept_date, promise.broken_date),
                         ("kept", self.today + timedelta(days=3), False))
        self.assertFalse(promise.activity_ids)
        # a kept promise keeps the agreed pause on the 600 still open, until day 7
        with freeze_time(self.today + timedelta(days=7)):
            self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
            self.assertTrue(self.inv_overdue.ar_pause_reason.startswith("Promised to pay by"))
        with freeze_time(self.today + timedelta(days=8)):
            self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
            self.assertFalse(self.inv_overdue.ar_pause_reason)
        with self.assertRaisesRegex(UserError, "Only an open promise can be cancelled"):
            promise.action_cancel()

    def test_kept_right_after_invoices_paid(self):
        promise = self._promise(self.inv_partial, 350.0, days=10)
        self._ar_pay(self.inv_partial, 350.0)
        self.assertEqual(self.inv_partial.payment_state, "paid")
        self.assertEqual((promise.state, promise.kept_date), ("kept", self.today), "no need to wait for the cron")

    def test_broken_after_deadline_plus_grace(self):
        promise = self._promise(self.inv_overdue, 1000.0, days=3, grace_days=1)
        self._ar_pay(self.inv_overdue, 400.0)
        self._check(4)
        self.assertEqual(promise.state, "open", "day 4 is the last day of the grace period")
        self.assertFalse(self.inv_overdue.ar_escalate_level)
        self._check(5)
        self.assertEqual((promise.state, promise.broken_date, promise.kept_date),
                         ("broken", self.today + timedelta(days=5), False))
        activity = promise.activity_ids
        self.assertEqual((activity.user_id, activity.summary), (self.user_collector, "Broken promise to pay"))
        self.assertTrue(self.inv_overdue.ar_escalate_level)
        # checked again the next day: nothing more happens
        self._check(6)
        self.assertEqual(len(promise.activity_ids), 1)
        self.assertEqual(promise.broken_date, self.today + timedelta(days=5))

    def test_payment_after_deadline_does_not_keep(self):
        promise = self._promise(self.inv_other, 700.0, days=2)
        with freeze_time(self.today + timedelta(days=4)):
            # the scheduler did not run on day 3: the late payment must not count
            self._ar_pay(self.inv_other, 700.0, date=self.today + timedelta(days=4))
            self.assertEqual(promise.state, "open")
            self.env["ar.promise"]._cron_check_promises()
        self.assertEqual((promise.state, promise.broken_date), ("broken", self.today + timedelta(days=3)))
        self.assertFalse(self.inv_other.ar_escalate_level, "a paid invoice is not escalated")

    def test_escalation_user_without_collector(self):
        self.other_customer.with_company(self.company).ar_collector_id = False
        promise = self._promise(self.inv_other, 700.0, days=1)
        self._check(2)
        self.assertEqual(promise.state, "broken")
        self.assertEqual(promise.activity_ids.user_id, self.user_ar_manager)

    def test_broken_promise_sends_next_level_at_once(self):
        self.policy.jump_to_reached = True  # +7 on the first run, levels skipped (go-live option)
        # inv_other is 12 days overdue: the "second reminder" (+7) is sent today
        self._ar_run()
        self.assertEqual(self._email_offsets(self.inv_other), [7])
        promise = self._promise(self.inv_other, 700.0, days=2, grace_days=1)
        with freeze_time(self.today + timedelta(days=4)):
            # 16 days overdue: the firm reminder (+14) is reached; the broken promise
            # skips to the final notice (+30) right away
            self.env["ar.promise"]._cron_check_promises()
            self.assertEqual(promise.state, "broken")
            self._ar_run()
            self.assertEqual(self._email_offsets(self.inv_other), [7, 30])
            self.assertEqual(self._ar_logs(self.inv_other)[-1].level_id.name, "Final notice")
            self.assertFalse(self.inv_other.ar_escalate_level, "the escalation is used up")
        with freeze_time(self.today + timedelta(days=20)):
            self._ar_run()
            self.assertEqual(self._email_offsets(self.inv_other), [7, 30], "nothing above the final notice")

    def test_broken_promise_without_reminder_sent_goes_one_level_up(self):
        # inv_partial is 5 days overdue (level +3 reached) and was never chased
        self._promise(self.inv_partial, 350.0, days=0)
        self._check(1)
        with freeze_time(self.today + timedelta(days=1)):
            self._ar_run()
        # 6 days overdue: +3 reached, the escalation sends +7 instead
        self.assertEqual(self._email_offsets(self.inv_partial), [7])

    def test_unflagged_invoice_follows_offsets(self):
        """Control for the escalation: the same run without a broken promise sends +3."""
        with freeze_time(self.today + timedelta(days=1)):
            self._ar_run()
        self.assertEqual(self._email_offsets(self.inv_partial), [3])

    def test_cron_batches_and_reruns(self):
        promises = self._promise(self.inv_overdue, 100.0, days=-3) | self._promise(
            self.inv_partial, 100.0, days=-3) | self._promise(self.inv_other, 100.0, days=-3)
        self.env["ar.promise"]._cron_check_promises(batch_size=2)
        self.assertEqual(promises.mapped("state"), ["broken", "broken", "open"])
        self.env["ar.promise"]._cron_check_promises(batch_size=2)
        self.assertEqual(promises.mapped("state"), ["broken"] * 3)
        self.assertEqual(promises.mapped("broken_date"), [self.today - timedelta(days=2)] * 3)
        self.env["ar.promise"]._cron_check_promises(batch_size=2)
        self.assertEqual(len(promises.activity_ids), 3, "a rerun escalates nothing twice")

    def test_old_broken_promise_is_not_escalated(self):
        recent = self._promise(self.inv_overdue, 100.0, days=-8)  # broken 7 days ago
        old = self._promise(self.inv_other, 100.0, days=-9)  # broken 8 days ago: scheduler was off
        self._check()
        self.assertEqual((recent.state, old.state), ("broken", "broken"))
        self.assertEqual((len(recent.activity_ids), self.inv_overdue.ar_escalate_level), (1, True))
        self.assertEqual((len(old.activity_ids), self.inv_other.ar_escalate_level), (0, False))

    def test_cancelled_promise_is_not_checked(self):
        promise = self._promise(self.inv_other, 700.0, days=-5)
        promise.action_cancel()
        self._check()
        self.assertEqual((promise.state, promise.broken_date), ("cancelled", False))
        self.assertFalse(self.inv_other.ar_escalate_level)
