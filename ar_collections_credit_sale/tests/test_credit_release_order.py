from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditReleaseOrder(ArCreditSaleCommon):
    """A release tied to an order covers it through to its invoices (issue 18, point 4); a release
    for any document is spent by each document that needs it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_limit(cls.customer, 1700.0)  # 1,650 open: an order of 300.00 is blocked
        cls.company.ar_credit_overdue_days = 10
        cls.company.ar_credit_check_invoice = True

    def test_release_for_an_order_covers_its_invoices(self):
        order = self._order(self.customer_contact, qty=3)
        release = self._release(self.customer, 300.0, sale_order_id=order.id)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(release.state, "used")
        self.assertAlmostEqual(release.amount_used, 300.0)

        # invoiced in two goes: both invoices of the order go through on the same release
        first = order._create_invoices()
        first.invoice_line_ids.quantity = 1
        first.with_user(self.user_billing).action_post()
        self.assertEqual(first.state, "posted")
        second = order._create_invoices()
        second.with_user(self.user_billing).action_post()
        self.assertEqual(second.state, "posted")
        self.assertAlmostEqual(release.amount_used, 300.0, "the order's invoices do not spend it again")
        self.assertEqual(release.state, "used")
        self.assertIn(f"of {order.name} went through on this release, which covers its order",
                      release.message_ids.mapped("body")[0])
        self.assertIn(f"Let through the credit check under credit release {release.name}",
                      second.message_ids.mapped("body")[0])

        # another invoice of the customer is not covered
        other = self._ar_invoice(self.customer, 50.0, days_overdue=-30, post=False)
        with self.assertRaisesRegex(UserError, "overdue by more than 10 days"):
            other.with_user(self.user_billing).action_post()
        self.assertEqual(other.state, "draft")

    def test_release_for_one_order_does_not_pass_another_with_it(self):
        order = self._order(self.customer, qty=1)
        release = self._release(self.customer, 1000.0, sale_order_id=order.id)
        other = self._order(self.customer, qty=1)
        with self.assertRaisesRegex(UserError, "overdue by more than 10 days"):
            (order | other).action_confirm()
        self.assertEqual(set((order | other).mapped("state")), {"draft"})
        self.assertEqual((release.state, release.amount_used), ("approved", 0.0))

        order.action_confirm()
        self._set_limit(self.customer, 0.0)
        self.company.ar_credit_overdue_days = 0
        other.action_confirm()
        self.company.ar_credit_overdue_days = 10
        invoice = (order | other)._create_invoices()
        self.assertEqual(len(invoice), 1, "one invoice for both orders")
        with self.assertRaisesRegex(UserError, "overdue by more than 10 days"):
            invoice.action_post()
        self.assertEqual((release.state, release.amount_used), ("used", 100.0))

    def test_release_for_any_document_is_spent_by_each(self):
        release = self._release(self.customer, 350.0)
        order = self._order(self.customer, qty=3)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(release.state, "approved", "not tied to the order: the rest serves other documents")
        self.assertAlmostEqual(release.amount_remaining, 50.0)
        invoice = order._create_invoices()
        with self.assertRaisesRegex(
            UserError,
            rf"Credit release {release.name} has \$\s?50\.00 left, less than the \$\s?300\.00 needed\.\n"
            r"To go ahead, request a credit release \(Sales > Orders > Credit Releases\), or have Overdue "
            r"Industries pay its overdue invoices \(\$\s?1,350\.00\)\.",
        ):
            invoice.action_post()
        small = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": self.today,
            "invoice_line_ids": [Command.create({"name": "Spare part", "quantity": 1, "price_unit": 40.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        small.action_post()
        self.assertEqual(small.state, "posted")
        self.assertAlmostEqual(release.amount_remaining, 10.0)
