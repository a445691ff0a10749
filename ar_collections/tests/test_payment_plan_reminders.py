from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestPaymentPlanReminders(ArCollectionsCommon):
    """Instalments chased like invoices: reminders before and after, adherence, end of the pause."""

    def setUp(self):
        super().setUp()
        # 1,000 + 350 open on the customer's two overdue invoices: 450 on days 5, 15 and 25
        self.plan = self.env["ar.payment.plan"].with_user(self.user_collector).create({
            "partner_id": self.customer.id,
            "invoice_ids": [Command.set((self.inv_overdue | self.inv_partial).ids)],
            "grace_days": 2,
            "line_ids": [Command.create({"date": self.today + timedelta(days=days), "amount": 450.0})
                         for days in (5, 15, 25)],
        })
        self.plan.action_submit()
        self.plan.with_user(self.user_ar_manager).action_approve()
        self.plan = self.plan.sudo()
        self.first, self.second, self.third = self.plan.line_ids

    def _cron(self, days, batch_size=100):
        with freeze_time(self.today + timedelta(days=days)):
            self.env["ar.payment.plan"]._cron_instalment_reminders(batch_size=batch_size)

    def _queued(self):
        """(subject, recipients) of the emails queued on the plan, oldest first."""
        mails = self.env["mail.mail"].sudo().search(
            [("model", "=", "ar.payment.plan"), ("res_id", "=", self.plan.id)], order="id")
        self.assertEqual(set(mails.mapped("state")), {"outgoing"} if mails else set(), "queued, not sent")
        return [(mail.subject, mail.recipient_ids) for mail in mails]

    def _coming(self, days):
        date = self.today + timedelta(days=days)
        return (f"{self.company.name}: instalment of $\xa0450.00 due on {date.strftime('%m/%d/%Y')}", self.customer)

    def _missed(self, days):
        date = self.today + timedelta(days=days)
        return (f"{self.company.name}: instalment of {date.strftime('%m/%d/%Y')} not received", self.customer)

    def test_reminder_before_instalment_once(self):
        self._cron(1)  # 4 days before: too early with the default 3 days
        self.assertEqual(self._queued(), [])
        self._cron(2)
        self.assertEqual(self._queued(), [self._coming(5)])
        self.assertEqual((self.first.reminder_before_sent, self.second.reminder_before_sent), (True, False))
        self._cron(2)
        self._cron(4)
        self.assertEqual(self._queued(), [self._coming(5)], "a rerun never sends twice")
        self.assertIn("450.00", self.plan.message_ids[0].body)

    def test_reminder_days_setting_and_paid_ahead(self):
        self.company.ar_plan_reminder_days = 1
        self._cron(3)
        self.assertEqual(self._queued(), [])
        self._ar_pay(self.inv_overdue, 450.0)
        self._cron(4)
        self.assertTrue(self.first.reminder_before_sent)
        self.assertEqual(self._queued(), [], "paid ahead: nothing to remind")

    def test_missed_instalment_reminded_the_day_after(self):
        self.company.ar_plan_reminder_days = 0
        self._cron(5)  # the due date: reminder "today" only
        self.assertEqual(self._queued(), [self._coming(5)])
        self.assertEqual(self.first.payment_status, "pending")
        self._cron(6)
        self.assertEqual(self.first.payment_status, "missed")
        self.assertEqual(self._queued(), [self._coming(5), self._missed(5)])
        self._cron(6)
        self._cron(7)
        self.assertEqual(len(self._queued()), 2, "the missed instalment is reminded once")
        self.assertEqual((self.plan.instalment_due_count, self.plan.adherence), (1, 0.0))

    def test_adherence(self):
        self.company.ar_plan_reminder_days = 0
        self.assertEqual((self.plan.instalment_due_count, self.plan.adherence), (0, 1.0))
        self._ar_pay(self.inv_overdue, 450.0)
        self._cron(6)
        self.assertEqual((self.first.payment_status, self.first.reminder_after_sent), ("on_time", False))
        self.assertEqual((self.plan.instalment_due_count, self.plan.adherence), (1, 1.0))
        self._cron(16)  # the second 450 was not paid
        self.assertEqual(self.second.payment_status, "missed")
        self.assertEqual((self.plan.instalment_due_count, self.plan.adherence), (2, 0.5))
        self._ar_pay(self.inv_overdue, 550.0)
        self._ar_pay(self.inv_partial, 350.0)  # all paid, two instalments early
        self._cron(26)
        self.assertEqual(self.third.payment_status, "on_time")
        self.assertEqual((self.plan.instalment_due_count, round(self.plan.adherence, 4)), (3, 0.6667))

    def test_batches(self):
        self.company.ar_plan_reminder_days = 30
        self._cron(2, batch_size=2)  # the three instalments are within 30 days
        self.assertEqual(self.plan.line_ids.mapped("reminder_before_sent"), [True, True, False])
        self._cron(2, batch_size=2)
        self.assertEqual(self.plan.line_ids.mapped("reminder_before_sent"), [True, True, True])
        self.assertEqual(self._queued(), [self._coming(5), self._coming(15), self._coming(25)])

    def test_missed_instalment_ends_the_pause(self):
        self._ar_pay(self.inv_overdue, 450.0)
        self._ar_run()
        self.assertFalse(self._ar_messages(self.customer), "nothing is chased while the plan is kept")
        with freeze_time(self.today + timedelta(days=17)):  # second instalment + 2 grace days
            self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
            self.assertTrue(self.inv_overdue.ar_pause_reason.startswith("Payment plan until"))
        with freeze_time(self.today + timedelta(days=18)):
            self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
            self.assertFalse(self.inv_overdue.ar_pause_reason)
            self._ar_run()
            self.assertEqual(self._ar_messages(self.customer, "email").invoice_ids,
                             self.inv_overdue | self.inv_partial | self.inv_not_due)
            self.env["ar.payment.plan"]._cron_update_plans()
        self.assertEqual(self.plan.state, "broken")
        # a broken plan's instalments are not reminded any more, but still count for adherence
        self._cron(23)
        self.assertEqual(self.third.reminder_before_sent, False)
        self.assertEqual(self.second.payment_status, "missed")
