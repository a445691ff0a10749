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
