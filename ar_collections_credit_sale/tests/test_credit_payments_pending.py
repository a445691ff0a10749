from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditPaymentsPending(ArCreditSaleCommon):
    """An invoice paid, with the payment waiting to be matched, no longer holds the customer as
    overdue: reminders and credit control read the same pause sources (issue 18, point 5).

    Overdue Industries' only invoice overdue by more than 15 days is the 1,000.00 one (20 days).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.ar_credit_overdue_days = 15
        cls.Plan = type(cls.env["ar.payment.plan"])

    def _paid_source(self, invoices, means_paid=True):
        """Make the payment plans a source saying these invoices are paid, being matched."""
        reasons = {invoice.id: f"{invoice.name} paid, being matched" for invoice in invoices}
        return (patch.object(self.Plan, "_ar_pause_means_paid", means_paid),
                patch.object(self.Plan, "_ar_pause_reasons", lambda model, moves, today: {
                    move_id: reason for move_id, reason in reasons.items() if move_id in moves.ids}))

    def _holds(self):
        self.env["ar.credit.hold"]._ar_refresh(self.customer, self.company)
        return self.env["ar.credit.hold"].search([
            ("partner_id", "=", self.customer.id), ("company_id", "=", self.company.id)])

    def test_no_paid_source_hold_stays(self):
        self.assertEqual(self.env["ar.dunning.engine"]._get_payments_pending(self.inv_overdue), {})
        with self.assertRaisesRegex(UserError, r"1 invoice\(s\) overdue by more than 15 days"):
            self._order(self.customer).with_user(self.salesman).action_confirm()
        self.assertEqual(self._holds().mapped("reason"), ["overdue"])

    def test_payment_being_matched_lifts_overdue_hold(self):
        means_paid, reasons = self._paid_source(self.inv_overdue)
        with means_paid, reasons:
            self.assertEqual(self.env["ar.dunning.engine"]._get_payments_pending(self.inv_overdue), {
                self.inv_overdue.id: f"{self.inv_overdue.name} paid, being matched"})
            self.assertFalse(self._holds(), "the only late invoice is paid: no hold left")
            order = self._order(self.customer)
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_message_names_invoice_not_counted(self):
        older = self._ar_invoice(self.customer, 100.0, days_overdue=30)
        means_paid, reasons = self._paid_source(self.inv_overdue)
        with means_paid, reasons:
            with self.assertRaises(UserError) as caught:
                self._order(self.customer).with_user(self.salesman).action_confirm()
            message = str(caught.exception)
            detail = self._holds().detail
        self.assertIn("1 invoice(s) overdue by more than 15 days", message)
        self.assertIn("100.00", message, "only the invoice still unpaid is counted")
        self.assertNotIn("1,000.00", message)
        self.assertIn(f"Not counted, paid and being matched: {self.inv_overdue.name} "
                      f"({self.inv_overdue.name} paid, being matched).", message)
        self.assertIn(f"{self.inv_overdue.name} paid, being matched", detail)
        self.assertNotIn(older.name + " (", message)

    def test_source_not_meaning_paid_keeps_hold(self):
        means_paid, reasons = self._paid_source(self.inv_overdue, means_paid=False)
        with means_paid, reasons:
            self.assertEqual(self.env["ar.dunning.engine"]._get_payments_pending(self.inv_overdue), {})
            with self.assertRaisesRegex(UserError, r"1 invoice\(s\) overdue by more than 15 days"):
                self._order(self.customer).with_user(self.salesman).action_confirm()

    def test_dispute_pauses_reminders_not_the_hold(self):
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)], "reason": "pricing",
        })
        self.assertTrue(self.inv_overdue._ar_get_pause_reasons(self.today)[self.inv_overdue.id].startswith("Disputed"))
        self.assertEqual(self.env["ar.dunning.engine"]._get_payments_pending(self.inv_overdue), {})
        with self.assertRaisesRegex(UserError, r"1 invoice\(s\) overdue by more than 15 days"):
            self._order(self.customer).with_user(self.salesman).action_confirm()
        self.assertEqual(self._holds().mapped("reason"), ["overdue"])
