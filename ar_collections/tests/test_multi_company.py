from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestMultiCompany(ArCollectionsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company()["company"]
        cls.policy_b = cls.company_b.ar_dunning_policy_id
        cls.collector_b = new_test_user(
            cls.env, "ar_collector_b", groups="base.group_user,ar_collections.group_ar_collections_user",
            company_id=cls.company_b.id, company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.inv_b = cls._ar_invoice(cls.customer, 480.0, days_overdue=40, company=cls.company_b)

    def test_each_company_has_its_own_policy(self):
        self.assertTrue(self.policy_b)
        self.assertNotEqual(self.policy_b, self.policy)
        self.assertEqual(self.policy_b.level_ids.company_id, self.company_b)
        self.assertEqual(self.inv_b._ar_get_policy(), self.policy_b)
        self.assertEqual(self.inv_overdue._ar_get_policy(), self.policy)

    def test_policies_isolated_by_record_rules(self):
        visible = self.env["ar.dunning.policy"].with_user(self.collector_b).search([])
        self.assertIn(self.policy_b, visible)
        self.assertNotIn(self.policy, visible)
        with self.assertRaises(AccessError):
            self.policy.with_user(self.collector_b).read(["name"])
        levels = self.env["ar.dunning.level"].with_user(self.collector_b).search([])
        self.assertEqual(levels.company_id, self.company_b)

    def test_amounts_per_company(self):
        in_a = self.customer.with_company(self.company)
        in_b = self.customer.with_context(allowed_company_ids=self.company_b.ids)
        self.assertAlmostEqual(in_a.ar_overdue_amount, 1350.0)
        self.assertAlmostEqual(in_b.ar_overdue_amount, 480.0)

    def test_invoice_cannot_use_other_company_policy(self):
        with self.assertRaises(UserError):
            self.inv_b.ar_dunning_policy_id = self.policy

    def test_runs_are_per_company(self):
        """A company's run chases its own invoices with its own policy, never the other's."""
        self.policy_b.jump_to_reached = True  # company B's final notice on the first run (go-live option)
        self.policy_b.level_ids.filtered(lambda lvl: lvl.offset_days == 30).name = "Company B final notice"
        run_a = self._ar_run(self.company)
        run_b = self._ar_run(self.company_b)
        logs_a = self.env["ar.dunning.log"].sudo().search([("run_id", "=", run_a.id)])
        logs_b = self.env["ar.dunning.log"].sudo().search([("run_id", "=", run_b.id)])
        self.assertNotIn(self.inv_b, logs_a.invoice_id)
        self.assertEqual(logs_b.invoice_id, self.inv_b)
        self.assertEqual(set(logs_b.level_id.mapped("name")), {"Company B final notice"})
        self.assertEqual(logs_a.company_id, self.company)
        self.assertEqual(logs_a.level_id.policy_id, self.policy)
        # the customer of both companies gets one email reminder from each
        emails = self._ar_messages(self.customer, "email")
        self.assertEqual(emails.company_id, self.company | self.company_b)
        self.assertEqual(len(emails), 2)
        # a collector of company B sees only company B's reminders
        visible = self.env["ar.dunning.message"].with_user(self.collector_b).search([])
        self.assertEqual(visible.company_id, self.company_b)
