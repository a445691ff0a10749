from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashDuplicateGuard(ArCashCommon):
    """A label naming an invoice that is paid, cancelled or another customer's is evidence against
    any other match: the line waits for a person with the reason, nothing is applied."""

    def _ar_assert_queued_because(self, st_line, reason):
        self.assertFalse(self._ar_applied(st_line), "nothing may be applied")
        self.assertEqual(st_line.ar_match_status, "queued")
        self.assertFalse(st_line.is_reconciled)
        self.assertIn(reason, "\n".join(st_line.ar_suggestion_ids.mapped("signals")))
        self.assertLess(st_line.ar_best_confidence, self.company.ar_cash_auto_confidence)

    def test_second_payment_of_a_paid_invoice_is_not_applied_to_another_by_amount(self):
        paid = self._ar_invoice(self.payer, 480.0, days_overdue=10)
        self._ar_pay(paid, 480.0)
        other = self._ar_invoice(self.payer, 480.0, days_overdue=5)
        st_line = self._ar_bank_line(480.0, f"Invoice {paid.name}", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self._ar_assert_queued_because(st_line, f"names {paid.name} which is already paid")
        self.assertEqual(other.amount_residual, 480.0)

    def test_paid_invoice_named_in_another_format_is_recognised(self):
        paid = self._ar_invoice(self.payer, 515.0, days_overdue=10)
        self._ar_pay(paid, 515.0)
        self._ar_invoice(self.payer, 515.0, days_overdue=5)
        prefix, year, number = paid.name.split("/")
        label = f"166?00GUTSCHRIFT?20SVWZ+{prefix} {year} {int(number)}?32NORTHWIND TRADERS"
        st_line = self._ar_bank_line(515.0, label)
        self._ar_match(st_line)
        self._ar_assert_queued_because(st_line, f"names {paid.name} which is already paid")

    def test_paid_invoice_without_known_payer_blocks_the_amount_only_match(self):
        paid = self._ar_invoice(self.payer, 611.0, days_overdue=10)
        self._ar_pay(paid, 611.0)
        self._ar_invoice(self.other_customer, 611.0, days_overdue=5)
        st_line = self._ar_bank_line(611.0, f"/TRTP/SEPA OVERBOEKING/REMI/{paid.name}/EREF/NOTPROVIDED")
        self._ar_match(st_line)
        self._ar_assert_queued_because(st_line, f"names {paid.name} which is already paid")

    def test_cancelled_invoice_named(self):
        cancelled = self._ar_invoice(self.payer, 333.0, days_overdue=10)
        cancelled.button_cancel()
        self._ar_invoice(self.payer, 333.0, days_overdue=5)
        st_line = self._ar_bank_line(333.0, cancelled.name, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self._ar_assert_queued_because(st_line, f"names {cancelled.name} which is cancelled")

    def test_invoice_of_another_customer_named_blocks_the_payers_amount_match(self):
        foreign = self._ar_invoice(self.other_customer, 222.0, days_overdue=3)
        own = self._ar_invoice(self.payer, 222.0, days_overdue=3)
        st_line = self._ar_bank_line(222.0, f"Payment {foreign.name}", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self._ar_assert_queued_because(st_line, f"names {foreign.name}, an invoice of another customer")
        self.assertEqual((foreign | own).mapped("amount_residual"), [222.0, 222.0])

    def test_open_invoice_named_is_still_applied(self):
        """The guard looks up the named numbers; an open invoice named with the right amount is applied."""
        paid = self._ar_invoice(self.payer, 140.0, days_overdue=10)
        self._ar_pay(paid, 140.0)
        invoice = self._ar_invoice(self.payer, 140.0, days_overdue=2)
        st_line = self._ar_bank_line(140.0, f"EREF+NOTPROVIDED SVWZ+{invoice.name}")
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)

    def test_named_numbers_are_looked_up_once_per_batch(self):
        paid = self._ar_invoice(self.payer, 90.0, days_overdue=10)
        self._ar_pay(paid, 90.0)
        lines = [self._ar_bank_line(90.0 + i, f"{paid.name} {i}") for i in range(3)]
        Line = self.env["account.bank.statement.line"]
        batch = Line.concat(*lines)
        matcher = batch._ar_cash_matcher(self.company)
        self.assertIn(paid.id, matcher.invoices)
        self.assertEqual(matcher.invoices[paid.id].status, "paid")
        with self.assertQueryCount(1):
            batch._ar_cash_named_closed(self.company, matcher)

    def test_paid_invoice_named_in_an_unknown_layout_is_caught_by_number_and_amount(self):
        paid = self._ar_invoice(self.payer, 377.0, days_overdue=10)
        self._ar_pay(paid, 377.0)
        self._ar_invoice(self.payer, 377.0, days_overdue=5)
        _prefix, year, number = paid.name.split("/")
        st_line = self._ar_bank_line(377.0, f"RG {int(number)} vom Jahr {year}", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self._ar_assert_queued_because(st_line, f"names {paid.name} which is already paid (its number and amount)")

    def test_typo_naming_another_customers_paid_invoice_still_finds_the_payers_invoice(self):
        """Invoice numbers are dense: a mistyped number often names some other invoice. Paid,
        of another customer and of another amount, it is not this payer paying it again."""
        others = self._ar_invoice(self.other_customer, 55.0, days_overdue=30)
        others.payment_reference = "PAYREF-12345"
        self._ar_pay(others, 55.0)
        invoice = self._ar_invoice(self.payer, 777.0, days_overdue=3)
        invoice.payment_reference = "PAYREF-12346"
        st_line = self._ar_bank_line(777.0, "PAYREF12345", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, invoice)
        self.assertIn(f"the number written is {others.name}", match.signals)

    def test_typo_naming_another_customers_open_invoice_finds_the_payers_invoice(self):
        """The mistyped number names another customer's invoice that is still open, of another
        amount: the payer's own invoice one typo away, of exactly the amount, is applied."""
        foreign = self._ar_invoice(self.other_customer, 55.0, days_overdue=30)
        foreign.payment_reference = "PAYREF-22345"
        invoice = self._ar_invoice(self.payer, 777.0, days_overdue=3)
        invoice.payment_reference = "PAYREF-22346"
        st_line = self._ar_bank_line(777.0, "PAYREF22345", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, invoice)
        self.assertEqual(match.rule, "reference_fuzzy")
        self.assertIn(f"the number written is {foreign.name}", match.signals)
        self.assertEqual(foreign.amount_residual, 55.0)
        # the payer's name alone is not enough for that: a person decides
        foreign_2 = self._ar_invoice(self.other_customer, 56.0, days_overdue=30)
        foreign_2.payment_reference = "PAYREF-32345"
        own_2 = self._ar_invoice(self.payer, 778.0, days_overdue=3)
        own_2.payment_reference = "PAYREF-32346"
        st_line = self._ar_bank_line(778.0, "PAYREF32345 NORTHWIND TRADERS")
        self._ar_match(st_line)
        self.assertFalse(self._ar_applied(st_line))
        self.assertEqual(own_2.amount_residual, 778.0)
