from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditRiskLimits(ArCreditSaleCommon):
    """OCA financial-risk parity: a limit per risk type next to the global one, and a per-customer
    overdue tolerance (issue 18, point 7).

    Overdue Industries: open invoices 1,650.00, of which 1,350.00 overdue (1,000.00 by 20 days).
    """

    def _terms(self, partner=None, **values):
        (partner or self.customer).with_user(self.credit_manager).write(values)

    def _refused(self, order):
        with self.assertRaises(UserError) as caught:
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        return str(caught.exception)

    def test_no_limit_per_type_by_default(self):
        for field in ("ar_credit_limit_open", "ar_credit_limit_draft", "ar_credit_limit_orders",
                      "ar_credit_limit_overdue", "ar_credit_overdue_tolerance_days",
                      "ar_credit_overdue_tolerance_amount"):
            self.assertFalse(self.customer[field], field)
        order = self._order(self.customer, qty=50)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_open_invoices_limit(self):
        self._terms(ar_credit_limit_open=1600.0)
        message = self._refused(self._order(self.customer, qty=1))
        self.assertIn("The open invoices of Overdue Industries amount to $\u00a01,650.00, over their own limit of "
                      "$\u00a01,600.00.", message)
        self.assertNotIn("credit limit", message, "the global limit is not set")
        # posting an invoice adds to the open invoices
        self.company.ar_credit_check_invoice = True
        self._terms(ar_credit_limit_open=1700.0)
        invoice = self._ar_invoice(self.customer, 100.0, post=False)
        with self.assertRaisesRegex(UserError, r"\(\$\s?100\.00\) would bring the open invoices of Overdue "
                                               r"Industries to \$\s?1,750\.00, over their own limit"):
            invoice.action_post()

    def test_orders_limit(self):
        self._terms(ar_credit_limit_orders=150.0)
        order = self._order(self.customer, qty=2)
        self.assertIn("would bring the orders not yet invoiced of Overdue Industries to $\u00a0200.00, over their "
                      "own limit of $\u00a0150.00.", order.ar_credit_warning)
        self._refused(order)
        small = self._order(self.customer, qty=1)
        small.with_user(self.salesman).action_confirm()
        self.assertEqual(small.state, "sale", "100.00 of orders: within the limit")

    def test_draft_and_overdue_limits(self):
        self._ar_invoice(self.customer, 400.0, post=False)
        self._terms(ar_credit_limit_draft=300.0)
        self.assertIn("The draft invoices of Overdue Industries amount to $\u00a0400.00",
                      self._refused(self._order(self.customer, qty=1)))
        self._terms(ar_credit_limit_draft=0.0, ar_credit_limit_overdue=1000.0)
        message = self._refused(self._order(self.customer, qty=1))
        self.assertIn("The overdue invoices of Overdue Industries amount to $\u00a01,350.00, over their own limit "
                      "of $\u00a01,000.00.", message)
        self.env.cr.precommit.run()
        hold = self.env["ar.credit.hold"].search([("partner_id", "=", self.customer.id),
                                                  ("company_id", "=", self.company.id)])
        self.assertEqual(hold.reason, "limit_overdue")
        self.assertAlmostEqual(hold.amount, 350.0)

    def test_each_limit_has_its_own_message(self):
        self._set_limit(self.customer, 1700.0)
        self._terms(ar_credit_limit_open=1600.0, ar_credit_limit_overdue=1300.0)
        message = self._refused(self._order(self.customer, qty=1))
        self.assertIn("over its credit limit of $\u00a01,700.00", message)
        self.assertIn("open invoices of Overdue Industries amount to", message)
        self.assertIn("overdue invoices of Overdue Industries amount to", message)

    def test_overdue_tolerance_days(self):
        self.company.ar_credit_overdue_days = 10
        self.assertIn("overdue by more than 10 days", self._refused(self._order(self.customer, qty=1)))
        self._terms(ar_credit_overdue_tolerance_days=15)
        order = self._order(self.customer, qty=1)
        self.assertFalse(order.ar_credit_warning, "20 days overdue, 25 tolerated for this customer")
        order.with_user(self.salesman).action_confirm()
        self._terms(ar_credit_overdue_tolerance_days=5)
        self.assertIn("overdue by more than 15 days", self._refused(self._order(self.customer, qty=1)))

    def test_overdue_tolerance_amount(self):
        self.company.ar_credit_overdue_days = 10
        self._terms(ar_credit_overdue_tolerance_amount=1000.0)
        order = self._order(self.customer, qty=1)
        self.assertFalse(order.ar_credit_warning, "1,000.00 overdue too long, 1,000.00 tolerated")
        self._terms(ar_credit_overdue_tolerance_amount=999.0)
        self.assertIn("overdue by more than 10 days ($\u00a01,000.00", self._refused(self._order(self.customer)))
        self.env.cr.precommit.run()
        hold = self.env["ar.credit.hold"].search([("partner_id", "=", self.customer.id),
                                                  ("company_id", "=", self.company.id)])
        self.assertEqual((hold.reason, hold.amount, hold.limit), ("overdue", 1000.0, 999.0))

    def test_terms_are_per_company_and_for_credit_managers(self):
        company_2 = self.setup_other_company(name="Risk Company 2")["company"]
        self._terms(ar_credit_limit_open=1600.0)
        self.assertFalse(self.customer.with_company(company_2).ar_credit_limit_open)
        for user in (self.salesman, self.user_collector):
            with self.assertRaisesRegex(AccessError, "Only a Credit Manager"):
                self.customer.with_user(user).write({"ar_credit_limit_open": 0.0})
            with self.assertRaisesRegex(AccessError, "Only a Credit Manager"):
                self.customer.with_user(user).write({"ar_credit_overdue_tolerance_days": 90})
        self.assertEqual(self.customer.ar_credit_limit_open, 1600.0)

    def test_risk_view_on_the_customer(self):
        arch = etree.fromstring(self.env["res.partner"].with_user(self.credit_manager).get_view(
            self.env.ref("base.view_partner_form").id, "form")["arch"])
        risk = arch.xpath("//group[@name='ar_credit_exposure']")[0]
        for name in ("ar_credit_open", "ar_credit_limit_open", "ar_credit_draft", "ar_credit_limit_draft",
                     "ar_credit_orders", "ar_credit_limit_orders", "ar_credit_overdue", "ar_credit_limit_overdue",
                     "ar_credit_overdue_tolerance_days", "ar_credit_overdue_tolerance_amount"):
            self.assertTrue(risk.xpath(f".//field[@name='{name}']"), name)
        self.assertTrue(arch.xpath("//field[@name='ar_credit_hold_ids']"), "why the customer is blocked now")
