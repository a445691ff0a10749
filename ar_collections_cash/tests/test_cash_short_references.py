from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashShortReferences(ArCashCommon):
    """Invoice numbers as customers shorten them: two-digit year, spaces, the sequence only."""

    def _ar_parts(self, invoice):
        prefix, year, number = invoice.name.split("/")
        return prefix, year, number

    def test_two_digit_year(self):
        invoice = self._ar_invoice(self.payer, 310.0, days_overdue=2)
        prefix, year, number = self._ar_parts(invoice)
        st_line = self._ar_bank_line(310.0, f"{prefix}/{year[2:]}/{number}")
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)

    def test_two_digit_year_looking_like_a_date_is_not_a_reference(self):
        invoice = self._ar_invoice(self.payer, 311.0, days_overdue=2)
        _prefix, year, number = self._ar_parts(invoice)
        st_line = self._ar_bank_line(311.0, f"Paid on {year[2:]}.{int(number)}")
        self._ar_match(st_line)
        self.assertFalse(self._ar_applied(st_line))

    def test_spaces_between_the_parts(self):
        invoice = self._ar_invoice(self.payer, 312.0, days_overdue=2)
        prefix, year, number = self._ar_parts(invoice)
        st_line = self._ar_bank_line(312.0, f"Zahlung {prefix} {year} {number} danke")
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)

    def test_sequence_only_of_a_known_payer(self):
        self._ar_invoice(self.payer, 313.0, days_overdue=9)  # same amount: the number decides
        invoice = self._ar_invoice(self.payer, 313.0, days_overdue=2)
        _prefix, _year, number = self._ar_parts(invoice)
        st_line = self._ar_bank_line(313.0, f"Invoice no {int(number)}", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, invoice, st_line.ar_match_ids.mapped(lambda m: (m.confidence, m.signals)))
        self.assertIn(f"sequence number {int(number)}", match.signals)

    def test_sequence_only_without_a_known_payer_is_not_applied(self):
        self._ar_invoice(self.payer, 314.0, days_overdue=9)
        invoice = self._ar_invoice(self.payer, 314.0, days_overdue=2)
        _prefix, _year, number = self._ar_parts(invoice)
        st_line = self._ar_bank_line(314.0, f"Invoice no {int(number)}")
        self._ar_match(st_line)
        self.assertFalse(self._ar_applied(st_line))
