from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import tagged

from odoo.addons.ar_collections_portal_stripe.tests.test_autopay import ArAutopayCase


@tagged("post_install", "-at_install")
class TestAutopayPlan(ArAutopayCase):
    """Autopay of a customer with an approved payment plan charges the instalments due, never
    the whole of the plan's invoices."""

    def test_plan_instalments_charged_one_by_one(self):
        overdue = self.inv_overdue | self.inv_partial  # 1,000 + 350 open
        plan = self.env["ar.payment.plan"]._ar_portal_propose(self.customer_contact, overdue, self.today, count=3)
        plan.with_user(self.user_ar_manager).action_approve()
        attempt = self._queue()
        self.assertEqual((attempt.plan_id, attempt.invoice_ids, attempt.amount), (plan, overdue, 450.0),
                         "the instalment due, not the 1,350.00 of the invoices")
        self._send()
        self.assertEqual(attempt.state, "done")
        self.assertEqual([charge["amount"] for charge in self.fake_stripe.charges], [45000])
        self.assertEqual(attempt.transaction_id.payment_id.amount, 450.0)
        plan.invalidate_recordset()
        self.assertEqual((plan.amount_paid, plan.line_ids.mapped("is_paid")), (450.0, [True, False, False]))
        self.assertFalse(self._queue(self.today + timedelta(days=1)), "nothing due until the next instalment")

        second = self.today + relativedelta(months=1)
        # the customer paid 100.00 by hand meanwhile: the rest of the instalment is charged
        self._ar_pay(self.inv_overdue, 100.0)
        attempts = self._queue(second)
        attempt = attempts.filtered("plan_id")
        self.assertEqual((attempt.plan_id, attempt.amount), (plan, 350.0))
        self.assertEqual((attempts - attempt).invoice_ids, self.inv_not_due, "due since, in no plan: charged whole")
        # paid again by hand before the charge left: it is cancelled, nothing is charged twice
        self._ar_pay(self.inv_overdue, 350.0)
        self.Attempt.browse(attempt.id)._ar_recheck(second)
        self.assertEqual(attempt.state, "cancelled")
        self.assertIn("amount due changed", attempt.message)
        self.assertEqual(len(self.fake_stripe.charges), 1)

    def test_plan_paused_by_dispute_not_charged(self):
        plan = self.env["ar.payment.plan"]._ar_portal_propose(
            self.customer_contact, self.inv_overdue, self.today, count=2)
        plan.with_user(self.user_ar_manager).action_approve()
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)],
            "reason": "pricing", "description": "Wrong price.", "amount": 100.0})
        attempts = self._queue()
        self.assertFalse(attempts.filtered("plan_id"), "a disputed plan invoice stops the plan's charge")
        self.assertNotIn(self.inv_overdue, attempts.invoice_ids)

    def test_declined_instalment_retried(self):
        plan = self.env["ar.payment.plan"]._ar_portal_propose(
            self.customer_contact, self.inv_overdue, self.today, count=2)
        plan.with_user(self.user_ar_manager).action_approve()
        self._use_card("pm_ar_no_funds", decline_code="insufficient_funds")
        first = self._run_day(self.today).filtered("plan_id")  # the 350.00 of inv_partial is charged apart
        self.assertEqual((first.state, first.decline_category, first.amount), ("declined", "soft", 500.0))
        retry = self._queue(self.today + timedelta(days=1)).filtered("plan_id")
        self.assertEqual((retry.previous_attempt_id, retry.plan_id, retry.amount, retry.attempt_number),
                         (first, plan, 500.0, 2), "the instalment is charged again, not the invoice")
