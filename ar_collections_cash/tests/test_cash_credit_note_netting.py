from odoo import Command
from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashCreditNoteNetting(ArCashCommon):
    """An invoice paid net of an open credit note of the customer: one match of both."""

    def _ar_open_credit_note(self, partner, amount):
        note = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": partner.id, "invoice_date": self.today,
            "invoice_line_ids": [Command.create({"name": "Returned goods", "quantity": 1, "price_unit": amount,
                                                 "tax_ids": [Command.clear()]})],
        })
        note.action_post()
        return note

    def test_invoice_named_paid_net_of_the_credit_note_is_applied_to_both(self):
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=4)
        note = self._ar_open_credit_note(self.payer, 150.0)
        st_line = self._ar_bank_line(850.0, f"{invoice.name} minus credit", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, invoice | note)
        self.assertEqual(sorted(match.line_ids.mapped("amount")), [-150.0, 1000.0])
        self.assertIn(f"net of credit note {note.name}", match.signals)
        self.assertEqual((invoice | note).mapped("amount_residual"), [0.0, 0.0])
        self.assertTrue(st_line.is_reconciled)

    def test_amount_only_netting_is_suggested(self):
        invoice = self._ar_invoice(self.payer, 640.0, days_overdue=4)
        note = self._ar_open_credit_note(self.payer, 40.0)
        st_line = self._ar_bank_line(600.0, "Payment", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertFalse(self._ar_applied(st_line))
        best = st_line.ar_suggestion_ids[:1]
        self.assertEqual(best.invoice_ids, invoice | note)
        best.with_user(self.user_collector).action_accept()
        self.assertEqual((invoice | note).mapped("amount_residual"), [0.0, 0.0])
