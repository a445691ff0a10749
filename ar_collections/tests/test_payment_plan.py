from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestPaymentPlan(ArCollectionsCommon):

    def _plan(self, invoices, instalments, **values):
        """A plan over ``invoices`` with instalments [(days from today, amount)], created by the collector."""
        return self.env["ar.payment.plan"].with_user(self.user_collector).create({
            "partner_id": invoices.commercial_partner_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "line_ids": [Command.create({"date": self.today + timedelta(days=days), "amount": amount})
                         for days, amount in instalments],
            **values,
        })

    def _active_plan(self):
        # 1,000 + 350 open on the customer's two overdue invoices, in three instalments
        plan = self._plan(self.inv_overdue | self.inv_partial, [(0, 450.0), (10, 450.0), (20, 450.0)], grace_days=2)
        plan.action_submit()
        plan.with_user(self.user_ar_manager).action_approve()
        return plan

    def test_approval_is_for_managers(self):
        plan = self._plan(self.inv_overdue | self.inv_partial, [(5, 1350.0)])
        plan.action_submit()
        self.assertEqual(plan.state, "to_approve")
        with self.assertRaisesRegex(AccessError, "Only a collections manager"):
            plan.with_user(self.user_collector).action_approve()
        self.assertFalse(self.inv_overdue.ar_pause_reason, "a plan waiting for approval pauses nothing")
        plan.with_user(self.user_ar_manager).action_approve()
        self.assertEqual((plan.state, plan.approved_by_id, plan.amount_start), ("active", self.user_ar_manager, 1350.0))

    def test_instalments_must_match_open_amount(self):
        plan = self._plan(self.inv_overdue | self.inv_partial, [(5, 1000.0)])
        self.assertEqual((plan.amount_open, plan.amount_total), (1350.0, 1000.0))
        with self.assertRaisesRegex(UserError, "add up to .*1,000.00 but the invoices have .*1,350.00 open"):
            plan.action_submit()
        with self.assertRaisesRegex(ValidationError, "positive amount"):
            self._plan(self.inv_overdue, [(5, -1.0)])
        with self.assertRaisesRegex(UserError, "Add the instalments"):
            self._plan(self.inv_overdue, []).action_submit()

    def test_kept_plan_pauses_and_missed_instalment_resumes(self):
        plan = self._active_plan()
        self._ar_pay(self.inv_overdue, 450.0)  # first instalment paid
        self.assertTrue(self.inv_overdue.ar_pause_reason.startswith("Payment plan until"))
        self._ar_run()
        self.assertFalse(self._ar_messages(self.customer), "nothing is chased while the plan is kept")
        # second instalment due on day 10, grace 2 days: on day 12 still fine, on day 13 behind
        with freeze_time(self.today + timedelta(days=12)):
            self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
            self.assertTrue(self.inv_overdue.ar_pause_reason)
        with freeze_time(self.today + timedelta(days=13)):
            self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
            self.assertFalse(self.inv_overdue.ar_pause_reason)
            self._ar_run()
            self.assertTrue(self._ar_messages(self.customer, "email"), "reminders resume on a missed instalment")
            self.env["ar.payment.plan"]._cron_update_plans()
            self.assertEqual(plan.state, "broken")

    def test_plan_completed_when_paid(self):
        plan = self._active_plan()
        self._ar_pay(self.inv_overdue, 1000.0)
        self._ar_pay(self.inv_partial, 350.0)
        plan._ar_update_state()
        self.assertEqual(plan.state, "done")

    def test_invoice_button_prefills_overdue_invoices(self):
        action = self.inv_not_due.action_ar_payment_plan()
        plan = self.env["ar.payment.plan"].with_context(**action["context"]).create({})
        self.assertEqual(plan.partner_id, self.customer)
        self.assertEqual(plan.invoice_ids, self.inv_overdue | self.inv_partial | self.inv_not_due)
