from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
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

    def test_plan_paid_since_submitted_is_not_approved(self):
        plan = self._plan(self.inv_overdue | self.inv_partial, [(5, 675.0), (35, 675.0)])
        plan.action_submit()
        self._ar_pay(self.inv_overdue, 100.0)  # the customer pays part before the manager looks
        with self.assertRaisesRegex(UserError, "1,250.00 open now but the instalments add up to .*1,350.00"):
            plan.with_user(self.user_ar_manager).action_approve()
        self.assertEqual(plan.state, "to_approve", "nothing written")
        self.assertFalse(plan.approved_by_id)
        self.assertFalse(self.inv_overdue.ar_pause_reason)
        plan.with_user(self.user_ar_manager).action_refuse("Paid 100 since: new plan")
        self.assertEqual(plan.state, "refused")

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

    def test_company_limits_bind_back_office_plans(self):
        self.company.write({"ar_plan_max_instalments": 3, "ar_plan_max_days": 60, "ar_plan_min_first_percent": 20.0})
        invoices = self.inv_overdue | self.inv_partial  # 1,350.00 open
        with self.assertRaisesRegex(ValidationError, "3 instalments at most: this one has 4"):
            self._plan(invoices, [(5, 350.0), (10, 350.0), (20, 350.0), (30, 300.0)])
        with self.assertRaisesRegex(ValidationError, "runs for 60 days at most"):
            self._plan(invoices, [(5, 675.0), (61, 675.0)])
        with self.assertRaisesRegex(ValidationError, r"at least 20% of the total, .*270.00"):
            self._plan(invoices, [(5, 269.0), (30, 1081.0)])
        plan = self._plan(invoices, [(5, 270.0), (60, 1080.0)])
        with self.assertRaisesRegex(ValidationError, "runs for 60 days at most"), self.env.cr.savepoint():
            plan.line_ids[1].date = self.today + timedelta(days=61)
        self.env.invalidate_all()
        # lowered after the approval: an approved plan is not checked again
        plan.action_submit()
        plan.with_user(self.user_ar_manager).action_approve()
        self.company.ar_plan_max_days = 30
        plan.sudo()._ar_update_state()
        self.assertEqual(plan.state, "active")
        for field, value, message in [("ar_plan_max_instalments", 0, "from 1 to 120 instalments"),
                                      ("ar_plan_max_days", 4000, "from 1 to 3660 days"),
                                      ("ar_plan_min_first_percent", 101, "percentage from 0 to 100")]:
            with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
                self.company[field] = value
            self.env.invalidate_all()

    def test_submit_asks_manager_and_decline(self):
        self.company.ar_manager_user_id = self.user_ar_manager
        plan = self._plan(self.inv_overdue | self.inv_partial, [(5, 1350.0)])
        submitted = []
        with patch.object(type(plan), "_ar_on_submitted", lambda rec: submitted.append(rec.id)):
            plan.action_submit()
        self.assertEqual(submitted, plan.ids, "the hook runs once per submitted plan")
        activity = plan.activity_ids
        self.assertEqual((len(activity), activity.user_id), (1, self.user_ar_manager))
        with self.assertRaisesRegex(AccessError, "Only a collections manager"):
            plan.with_user(self.user_collector).action_refuse("No")
        plan.with_user(self.user_ar_manager).action_refuse("  Pay half first.  ")
        self.assertEqual((plan.state, plan.refuse_reason), ("refused", "Pay half first."))
        self.assertFalse(plan.activity_ids, "the approval activity is done")
        self.assertFalse(self.inv_overdue.ar_pause_reason)
        with self.assertRaisesRegex(UserError, "Only a plan waiting for approval can be declined"):
            plan.with_user(self.user_ar_manager).action_refuse()

    def test_portal_proposal(self):
        Plan = self.env["ar.payment.plan"]
        propose = Plan._ar_portal_propose
        first = self.today + timedelta(days=3)
        plan = propose(self.customer_contact, self.inv_overdue | self.inv_partial, first, count=3)
        self.assertEqual((plan.state, plan.proposer_id, plan.partner_id), ("to_approve", self.customer_contact,
                                                                          self.customer))
        self.assertEqual([(line.date, line.amount) for line in plan.line_ids],
                         [(first, 450.0), (first + relativedelta(months=1), 450.0),
                          (first + relativedelta(months=2), 450.0)])
        self.assertTrue(plan.activity_ids, "the collections manager is asked to approve it")
        # as many equal instalments as allowed: the first is the minimum first payment (10 %), the rest even
        most = propose(self.customer_contact, self._ar_invoice(self.customer, 1000.0, days_overdue=4), first, count=12)
        self.assertEqual(most.line_ids.mapped("amount"), [100.0] + [81.82] * 10 + [81.8])
        refusals = [
            (self.inv_overdue, {"count": 2}, "already in a payment plan"),
            (self.inv_other, {"count": 2}, "Only your own invoices"),
            (self.inv_not_due, {"count": 2}, "Only overdue invoices"),
        ]
        paid = self._ar_invoice(self.customer, 100.0, days_overdue=4)
        self._ar_pay(paid, 100.0)
        late = self._ar_invoice(self.customer, 100.0, days_overdue=4)
        refusals += [
            (paid, {"count": 1}, "Nothing is left to pay"),
            (late, {"count": 1, "first_date": self.today - timedelta(days=1)}, "today at the earliest"),
            (late, {"amounts": [60.0, 50.0]}, "add up to"),
            (late, {"amounts": [110.0, -10.0]}, "positive amount"),
            (late, {"count": 13}, "12 instalments at most"),
            (late, {"amounts": [5.0, 95.0]}, "at least 10%"),
            (late, {"count": 2, "first_date": self.today + timedelta(days=360)}, "365 days at most"),
            (late, {"count": 2, "frequency": "yearly"}, "how often"),
        ]
        before = Plan.search_count([])
        for invoices, values, message in refusals:
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message), \
                    self.env.cr.savepoint():
                propose(self.customer_contact, invoices, **{"first_date": first, **values})
        self.assertEqual(Plan.search_count([]), before, "nothing written")
        self.assertEqual(propose(self.customer_contact, late, first, amounts=[40.0, 60.0],
                                 frequency="weekly").line_ids.mapped("date"), [first, first + timedelta(weeks=1)])
