from contextlib import closing

from odoo.tests import tagged

from .common import ArCreditSaleCommon
from .release_matrix import MATRIX_STATES, CreditReleaseMatrixMixin

MONEY = r"\$\s?"
OVERDUE_ADVICE = rf"or have Overdue Industries pay its overdue invoices \({MONEY}1,350\.00\)\."


@tagged("post_install", "-at_install")
class TestCreditReleaseMatrix(CreditReleaseMatrixMixin, ArCreditSaleCommon):
    """Every release state against order confirmation and invoice posting (issue 18, point 1).

    The delivery rows are in ar_collections_credit_stock. Overdue Industries owes 1,650.00, of
    which 1,350.00 is overdue; the order is 300.00, the releases 1,000.00 (100.00 when too small).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.ar_credit_check_invoice = True

    def _check_row(self, state, message, release, passes, expected):
        if passes:
            self.assertIsNone(message, f"{state}: let through")
            return
        self.assertIsNotNone(message, f"{state}: refused")
        self.assertRegex(message, f"(?s){expected}")
        self.assertNotIn("lift the hold", message, "no hold to lift: the message says what to do")
        if release and state != "used":
            self.assertEqual(release.amount_used, 0.0, "a refused document spends nothing")

    def test_order_confirmation_matrix(self):
        self._set_limit(self.customer, 1700.0)
        expected = {
            "none": (False, rf"over its credit limit.*\nTo go ahead, request a credit release.*{OVERDUE_ADVICE}"),
            "requested": (False, r"is still waiting for the approval of a Credit Manager\.\n"
                                 r"To go ahead, ask a Credit Manager to approve credit release CR/"),
            "approved": (True, None),
            "approved_too_small": (False, rf"has {MONEY}100\.00 left, less than the {MONEY}300\.00 needed"),
            "expired": (False, r"Credit release CR/\S+ expired on"),
            "used": (False, r"Credit release CR/\S+ was used up when S\d+ was first confirmed"),
            "refused": (False, rf"^(?!.*Credit release CR/).*over its credit limit.*{OVERDUE_ADVICE}"),
            "cancelled": (False, rf"^(?!.*Credit release CR/).*over its credit limit.*{OVERDUE_ADVICE}"),
        }
        self.assertEqual(set(expected), set(MATRIX_STATES))
        for state, (passes, pattern) in expected.items():
            with self.subTest(state=state), closing(self.env.cr.savepoint()):
                order = self._order(self.customer_contact, qty=3)
                if state == "used":
                    # confirmed under its release, then cancelled and set back to quotation
                    release = self._matrix_release("approved", order)
                    order.action_confirm()
                    self.assertEqual(release.state, "used")
                    order._action_cancel()
                    order.action_draft()
                else:
                    release = self._matrix_release(state, order)
                message = self._matrix_outcome(order.with_user(self.salesman).action_confirm)
                self._check_row(state, message, release, passes, pattern)
                self.assertEqual(order.state, "sale" if passes else "draft")
                if state == "approved":
                    self.assertEqual(release.state, "used", "a release for an order is used up by it")
                    self.assertAlmostEqual(release.amount_used, 300.0)

    def test_invoice_posting_matrix(self):
        expected = {
            "none": (False, rf"overdue by more than 10 days.*\nTo go ahead, request a credit release.*"
                            rf"{OVERDUE_ADVICE}"),
            "requested": (False, r"is still waiting for the approval of a Credit Manager"),
            "approved": (True, None),
            "approved_too_small": (False, rf"has {MONEY}100\.00 left, less than the {MONEY}300\.00 needed"),
            "expired": (False, r"Credit release CR/\S+ expired on"),
            "used": (True, None),
            "refused": (False, rf"^(?!.*Credit release CR/).*overdue by more than 10 days.*{OVERDUE_ADVICE}"),
            "cancelled": (False, rf"^(?!.*Credit release CR/).*overdue by more than 10 days.*{OVERDUE_ADVICE}"),
        }
        self.assertEqual(set(expected), set(MATRIX_STATES))
        for state, (passes, pattern) in expected.items():
            with self.subTest(state=state), closing(self.env.cr.savepoint()):
                self.company.ar_credit_overdue_days = 0
                order = self._order(self.customer_contact, qty=3)
                order.action_confirm()  # no hold yet
                release = self._matrix_release(state, order)
                self.company.ar_credit_overdue_days = 10
                invoice = order._create_invoices()
                message = self._matrix_outcome(invoice.with_user(self.user_billing).action_post)
                self._check_row(state, message, release, passes, pattern)
                self.assertEqual(invoice.state, "posted" if passes else "draft")
                if passes:
                    self.assertEqual(release.state, "used")
                    self.assertAlmostEqual(release.amount_used, 300.0, "spent once, on its order")
