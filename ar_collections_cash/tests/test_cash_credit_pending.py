from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashCreditPending(ArCashCommon):
    """A payment on the bank, matched to a customer's overdue invoice but not applied yet, pauses
    the reminders and lifts the credit hold for that invoice, with the same reason (issue 18,
    point 5). Credit control is another add-on, not a dependency: tested when installed."""

    def setUp(self):
        super().setUp()
        if "ar.credit.hold" not in self.env:
            self.skipTest("AR Collections: Credit Control is not installed")
        self.company.ar_credit_overdue_days = 15
        self.company.ar_credit_block = True  # holds refuse instead of warning

    def _order(self):
        product = self.env["product.product"].create({
            "name": "Widget", "list_price": 100.0, "taxes_id": [Command.clear()]})
        return self.env["sale.order"].create({
            "partner_id": self.payer.id, "company_id": self.company.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": 100.0})],
        })

    def test_payment_being_matched_lets_the_order_through(self):
        invoice = self._ar_invoice(self.payer, 333.0, days_overdue=20)
        with self.assertRaisesRegex(UserError, r"1 invoice\(s\) overdue by more than 15 days"):
            self._order().action_confirm()
        st_line = self._ar_bank_line(333.0, "NORTHWIND TRADERS")
        self._ar_match(st_line)
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertEqual(suggestion.state, "proposed")
        self.assertFalse(st_line.is_reconciled)
        self.assertGreaterEqual(suggestion.confidence, self.company.ar_cash_pause_confidence)
        pause = invoice._ar_get_pause_reasons()[invoice.id]
        self.assertIn("Payment received, being matched", pause)
        self.assertEqual(self.env["ar.dunning.engine"]._get_payments_pending(invoice), {invoice.id: pause})
        order = self._order()
        order.action_confirm()
        self.assertEqual(order.state, "sale", "the only overdue invoice is paid, being matched")
        self.env["ar.credit.hold"]._ar_refresh(self.payer, self.company)
        self.assertFalse(self.env["ar.credit.hold"].search([("partner_id", "=", self.payer.id)]))

        # another invoice overdue too long still holds the customer; the message tells the
        # one being matched apart, with the reminders' reason
        self._ar_invoice(self.payer, 50.0, days_overdue=30)
        with self.assertRaises(UserError) as caught:
            self._order().action_confirm()
        self.assertIn(f"Not counted, paid and being matched: {invoice.name} ({pause}).", str(caught.exception))

        # rejected: the invoice is overdue again, for reminders and credit alike
        suggestion.action_reject()
        self.assertNotIn(invoice.id, invoice._ar_get_pause_reasons())
        with self.assertRaisesRegex(UserError, r"2 invoice\(s\) overdue by more than 15 days"):
            self._order().action_confirm()
