from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashBankFees(ArCashCommon):
    """A payment short by the bank's fee pays the invoice in full; the fee is booked to the
    company's fee account on the bank line's entry, as Odoo's reconciliation models write off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_account = cls._ar_fee_account()

    def _ar_set_fees(self, amount=15.0, percent=0.0):
        self.company.write({"ar_cash_fee_account_id": self.fee_account.id, "ar_cash_fee_tolerance": amount,
                            "ar_cash_fee_tolerance_percent": percent})

    def test_fee_within_tolerance_booked_and_invoice_paid(self):
        self._ar_set_fees(amount=15.0)
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(988.5, f"EREF+{invoice.name} SVWZ+{invoice.name}")
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertTrue(match.applied_auto)
        self.assertEqual(match.difference_kind, "bank_fee")
        self.assertEqual(match.writeoff_account_id, self.fee_account)
        self.assertEqual(match.line_ids.amount, 1000.0, "the invoice gets its whole amount")
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(st_line.is_reconciled)
        fee = st_line.move_id.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        self.assertEqual(len(fee), 1)
        self.assertEqual(fee.balance, 11.5)
        self.assertEqual(fee.partner_id, self.payer)
        self.assertIn("bank fee", fee.name)
        self.assertIn(fee, match.counterpart_line_ids)
        # the bank line's entry stays balanced: liquidity = receivable - fee
        self.assertAlmostEqual(sum(st_line.move_id.line_ids.mapped("balance")), 0.0)

    def test_fee_on_several_invoices_of_one_payment(self):
        self._ar_set_fees(amount=10.0)
        first = self._ar_invoice(self.payer, 400.0, days_overdue=5)
        second = self._ar_invoice(self.payer, 250.0, days_overdue=3)
        st_line = self._ar_bank_line(642.0, f"{first.name} {second.name}")
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.difference_kind, "bank_fee")
        self.assertEqual((first | second).mapped("amount_residual"), [0.0, 0.0])
        fee = st_line.move_id.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        self.assertEqual(fee.balance, 8.0, "one fee per payment, not per invoice")

    def test_beyond_amount_or_share_is_not_a_fee(self):
        self._ar_set_fees(amount=15.0, percent=0.5)
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        # 6.00 is within the amount but beyond 0.5 % of 1000: a short payment, the rest left open
        st_line = self._ar_bank_line(994.0, invoice.name)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.difference_kind, "short_open")
        self.assertEqual(invoice.amount_residual, 6.0)
        self.assertFalse(st_line.move_id.line_ids.filtered(lambda line: line.account_id == self.fee_account))
        other = self._ar_invoice(self.payer, 1000.0, days_overdue=4)
        st_line = self._ar_bank_line(995.5, other.name)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).difference_kind, "bank_fee")
        self.assertEqual(other.amount_residual, 0.0)

    def test_no_fee_account_no_fee(self):
        self.company.ar_cash_fee_tolerance = 15.0
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(990.0, invoice.name)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).difference_kind, "short_open")
        self.assertEqual(invoice.amount_residual, 10.0, "without a fee account the rest stays open")

    def test_reversing_a_fee_match_removes_the_fee(self):
        self._ar_set_fees(amount=15.0)
        invoice = self._ar_invoice(self.payer, 500.0, days_overdue=5)
        st_line = self._ar_bank_line(493.0, invoice.name)
        self._ar_match(st_line)
        self._ar_applied(st_line).with_user(self.user_ar_manager).action_reverse()
        self.assertEqual(invoice.amount_residual, 500.0)
        self.assertFalse(st_line.is_reconciled)
        self.assertFalse(st_line.move_id.line_ids.filtered(lambda line: line.account_id == self.fee_account))
