from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditSaleDefaults(ArCreditSaleCommon):
    """Until a Credit Manager turns blocking on, orders of customers over their limit or overdue
    too long are confirmed, with the warning on the quotation (as Odoo's own credit limit)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_limit(cls.customer, 1000.0)  # owes 1,650 already, 1,000 of it 20 days overdue
        cls.company.ar_credit_overdue_days = 10

    def test_warning_mode_confirms_with_the_warning_shown(self):
        self.company.ar_credit_block = False
        order = self._order(self.customer)
        self.assertIn("over its credit limit of", order.ar_credit_warning)
        self.assertIn("overdue by more than 10 days", order.ar_credit_warning)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_blocking_mode_refuses(self):
        order = self._order(self.customer)
        with self.assertRaisesRegex(UserError, "over its credit limit of"):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
