from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditMultiCompany(ArCreditSaleCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Second Company")["company"]
        cls.company_2.ar_credit_block = True
        cls.inv_company_2 = cls._ar_invoice(cls.customer, 5000.0, days_overdue=90, company=cls.company_2)

    def test_exposure_is_per_company(self):
        self.assertAlmostEqual(self.customer._ar_credit_exposure(self.company)[self.customer.id]["total"], 1650.0)
        self.assertAlmostEqual(self.customer._ar_credit_exposure(self.company_2)[self.customer.id]["total"], 5000.0)
        self.assertAlmostEqual(self.customer.with_company(self.company_2).ar_credit_exposure, 5000.0)
        self.assertAlmostEqual(self.customer.with_company(self.company).ar_credit_exposure, 1650.0)

    def test_limits_and_holds_are_per_company(self):
        self._set_limit(self.customer, 100.0, company=self.company_2)
        self.assertFalse(self.customer.with_company(self.company).ar_credit_limit)
        self.company_2.ar_credit_overdue_days = 60
        self.company.ar_credit_overdue_days = 60
        order_2 = self._order(self.customer, company=self.company_2)
        with self.assertRaises(UserError) as caught:
            order_2.sudo().action_confirm()
        self.assertIn("overdue by more than 60 days ($\u00a05,000.00", str(caught.exception))
        self.assertIn("over its credit limit of $\u00a0100.00", str(caught.exception))
        order_1 = self._order(self.customer)
        order_1.action_confirm()
        self.assertEqual(order_1.state, "sale", "the other company's debts and limit do not block this one")

    def test_release_of_another_company_does_not_apply(self):
        self._set_limit(self.customer, 1700.0)
        release_2 = self.env["ar.credit.release"].sudo().create({
            "partner_id": self.customer.id, "amount": 5000.0, "reason": "Company 2 deal",
            "company_id": self.company_2.id, "state": "approved",
        })
        order = self._order(self.customer)
        with self.assertRaises(UserError):
            order.action_confirm()
        self.assertAlmostEqual(release_2.amount_used, 0.0)
        with self.assertRaises(AccessError, msg="a salesperson of company 1 cannot see company 2's releases"):
            release_2.with_user(self.salesman).read(["amount"])
