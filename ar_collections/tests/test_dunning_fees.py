from datetime import timedelta
from unittest.mock import patch

from lxml import html as lxml_html

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestDunningFees(ArCollectionsCommon):
    """Late-payment fees per level (OCA's dunning fees): off by default; when on, charged once
    per invoice and level as the reminder is sent, stated on it, invoiced if asked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("1900-01-01", 0.9)])
        cls.fee_product = cls.env["product.product"].create({
            "name": "Late-payment fee", "type": "service", "taxes_id": [(5, 0, 0)]})
        cls.levels = cls.policy.level_ids

    def _set_fees(self, **values):
        self.levels.write({"fee_charge": "note", **values})

    def _fees(self, partner=None):
        return self.env["ar.dunning.fee"].sudo().search([("partner_id", "=", (partner or self.customer).id)])

    def _run_and_dispatch(self):
        self._ar_run()
        self._ar_dispatch()
        return self._ar_messages(self.customer, "email")

    def test_no_fee_when_off(self):
        self.assertEqual(set(self.levels.mapped("fee_type")), {"none"}, "off by default")
        moves_before = self.env["account.move"].search_count([("move_type", "=", "out_invoice")])
        message = self._run_and_dispatch()
        self.assertTrue(message.body_html)
        self.assertFalse(self._fees())
        self.assertEqual(self.env["account.move"].search_count([("move_type", "=", "out_invoice")]), moves_before)
        self.assertNotIn("Late-payment charges", message.body_html)

    def test_fee_invoice_created_once(self):
        self._set_fees(fee_type="fixed", fee_amount=15.0, fee_charge="invoice", fee_product_id=self.fee_product.id)
        message = self._run_and_dispatch()
        fees = self._fees()
        # Only the invoices past their due date bear the fee, never the one not yet due.
        self.assertEqual(fees.invoice_id, self.inv_overdue | self.inv_partial)
        self.assertEqual(fees.mapped("amount"), [15.0, 15.0])
        self.assertEqual(fees.message_id, message)
        fee_move = fees.fee_move_id
        self.assertEqual(len(fee_move), 1, "one fee invoice for the customer's reminder")
        self.assertEqual(fee_move.state, "posted")
        self.assertEqual(fee_move.partner_id, self.customer)
        self.assertEqual(fee_move.invoice_line_ids.product_id, self.fee_product)
        self.assertEqual(fee_move.amount_total, 30.0)
        # The reminder states the fees, and the balance includes them.
        tree = lxml_html.fromstring(message.body_html)
        self.assertEqual(len(tree.xpath("//tr[hasclass('o_ar_statement_fee')]")), 2)
        self.assertIn(fee_move.name, message.body_html)
        balance = " ".join(tree.xpath("//tr[hasclass('o_ar_statement_balance')]//text()"))
        self.assertIn("1,380.00", balance, "1000 + 350 open, + 30 of fees")

        # Sent again (another channel, a rerun, a second worker): nothing charged twice.
        self.assertFalse(self.env["ar.dunning.fee"]._ar_charge(message, self.inv_overdue | self.inv_partial))
        message.sudo().write({"state": "queued", "dispatch_date": False})
        message.log_ids.sudo().write({"state": "queued"})
        message._ar_dispatch()
        self.assertEqual(self._fees(), fees)
        self.assertEqual(self._fees().fee_move_id, fee_move)
        # A rerun charges no level twice, and the fee invoice itself bears no fee.
        self._ar_run(new=True)
        self._ar_dispatch()
        self.assertEqual(self._fees().filtered(lambda fee: fee.level_id in fees.level_id), fees)
        self.assertNotIn(fee_move, self._fees().invoice_id)
        self.assertFalse(self.env["ar.dunning.fee"]._ar_charge(message, fee_move))

    def test_fee_that_cannot_be_charged_fails_its_reminder_alone(self):
        self._set_fees(fee_type="fixed", fee_amount=15.0, fee_charge="invoice", fee_product_id=self.fee_product.id)
        Fee = type(self.env["ar.dunning.fee"])
        charge = Fee._ar_charge

        def charge_or_fail(fees, message, invoices):
            if message.partner_id == self.customer:
                raise ValueError("No income account for the fee product")
            return charge(fees, message, invoices)

        with patch.object(Fee, "_ar_charge", charge_or_fail):
            self._ar_run()
            self._ar_dispatch()
        failed = self._ar_messages(self.customer, "email")
        self.assertEqual(failed.state, "failed")
        self.assertIn("No income account", failed.state_reason)
        self.assertTrue(failed.dispatch_date, "not picked up again by the next dispatch")
        self.assertFalse(failed.body_html, "never rendered: it would state fees not charged")
        self.assertFalse(self._fees())
        sent = self._ar_messages(self.other_customer, "email")
        self.assertNotEqual(sent.state, "failed", "the other customer's reminder goes on")
        self.assertTrue(sent.body_html)
        self.assertEqual(self._fees(self.other_customer).invoice_id, self.inv_other)

    def test_interest_formula_and_currencies(self):
        level = self.levels[0]
        level.write({"fee_type": "interest", "fee_rate": 10.0})
        values = level._ar_fee_values(self.inv_overdue, self.today)
        # 1000 open x 10 % a year x 20 days late / 365
        self.assertEqual((values["amount"], values["days"], values["rate"]), (5.48, 20, 10.0))
        # Interest already charged up to 15 days ago: only the 15 days since.
        values = level._ar_fee_values(self.inv_overdue, self.today, since=self.today - timedelta(days=15))
        self.assertEqual((values["amount"], values["days"]), (4.11, 15))
        # The partly paid invoice: on what is still open (350 x 10 % x 5 / 365).
        self.assertEqual(level._ar_fee_values(self.inv_partial, self.today)["amount"], 0.48)
        self.assertIsNone(level._ar_fee_values(self.inv_not_due, self.today), "not yet due: no interest")
        # In the invoice's currency: interest on the EUR amount, a fixed fee converted at the day's rate.
        inv_eur = self._ar_invoice(self.customer, 500.0, days_overdue=73, currency=self.eur)
        values = level._ar_fee_values(inv_eur, self.today)
        self.assertEqual((values["amount"], values["currency_id"]), (10.0, self.eur.id))
        level.write({"fee_type": "fixed", "fee_amount": 20.0})
        values = level._ar_fee_values(inv_eur, self.today)
        self.assertEqual((values["amount"], values["currency_id"]), (18.0, self.eur.id))
        with self.assertRaises(ValidationError):
            level.fee_amount = 0.0
        with self.assertRaises(ValidationError):
            level.write({"fee_amount": 5.0, "fee_charge": "invoice", "fee_product_id": False})

    def test_paid_invoice_gets_no_fee(self):
        self._set_fees(fee_type="fixed", fee_amount=15.0)
        self._ar_run()
        self._ar_pay(self.inv_overdue, self.inv_overdue.amount_residual)
        self.assertIsNone(self.levels[-1]._ar_fee_values(self.inv_overdue, self.today))
        self._ar_dispatch()
        self.assertEqual(self._fees().invoice_id, self.inv_partial, "paid before sending: no fee")
        message = self._ar_messages(self.customer, "email")
        self.assertIn("Late-payment charges", message.body_html, "a note on the reminder")
        self.assertFalse(self._fees().fee_move_id, "charged as a note: no fee invoice")

    def test_fee_invoice_cancelled_when_paid_before_sending(self):
        """An invoice paid between the charge (dispatch) and the send (the mail queue): its fee
        is withdrawn, the fee invoice cancelled, and the reminder sent again charges only the rest."""
        self._set_fees(fee_type="fixed", fee_amount=15.0, fee_charge="invoice", fee_product_id=self.fee_product.id)
        message = self._run_and_dispatch()
        fee_move = self._fees().fee_move_id
        self.assertEqual((fee_move.state, fee_move.amount_total), ("posted", 30.0))
        self._ar_pay(self.inv_overdue, self.inv_overdue.amount_residual)
        self._ar_send_mail_queue()

        self.assertEqual(fee_move.state, "cancel", "the customer is never sent this fee invoice")
        self.assertNotIn(fee_move.name, "".join(mail["body"] or "" for mail in self._mails))
        self._ar_dispatch()  # the reminder again, with what is left to chase
        fees = self._fees()
        self.assertEqual(fees.invoice_id, self.inv_partial, "no fee on the invoice paid before the send")
        new_move = fees.fee_move_id
        self.assertEqual((new_move.state, new_move.amount_total), ("posted", 15.0))
        self.assertNotEqual(new_move, fee_move)
        self.assertEqual(message.state, "queued")
        self.assertIn(new_move.name, message.body_html)
        self.assertNotIn(fee_move.name, message.body_html)

    def test_fee_invoice_cancelled_when_all_paid_before_sending(self):
        self._set_fees(fee_type="fixed", fee_amount=15.0, fee_charge="invoice", fee_product_id=self.fee_product.id)
        message = self._run_and_dispatch()
        fee_move = self._fees().fee_move_id
        self._ar_pay(self.inv_overdue, self.inv_overdue.amount_residual)
        self._ar_pay(self.inv_partial, self.inv_partial.amount_residual)
        self._ar_send_mail_queue()
        self.assertEqual(message.state, "cancelled")
        self.assertEqual(fee_move.state, "cancel")
        self.assertFalse(self._fees())
        self.assertFalse([mail for mail in self._mails if "overdue-industries" in str(mail["email_to"])],
                         "nothing sent to the customer")

    def test_preview_and_review_show_fees(self):
        """The run preview and a run to review state the fee each reminder will charge; nothing
        is charged until the reminder is sent."""
        self._set_fees(fee_type="fixed", fee_amount=15.0)
        preview = self.env["ar.dunning.preview"].create({"company_id": self.company.id})
        fees = {line.invoice_id: line.fee_amount for line in preview.line_ids}
        self.assertEqual((fees[self.inv_overdue], fees[self.inv_partial], fees[self.inv_other]), (15.0, 15.0, 15.0))
        self.assertFalse(fees.get(self.inv_not_due), "not yet due: no fee")
        self.assertIn("45.00", preview.fee_summary)
        self.assertFalse(self._fees(), "a preview charges nothing")

        run = self.env["ar.dunning.run"].with_user(self.user_collector)._ar_start_review(self.company)
        lines = {line.invoice_id: line for line in run.line_ids}
        self.assertEqual((lines[self.inv_overdue].fee_amount, lines[self.inv_other].fee_amount), (15.0, 15.0))
        run.with_user(self.user_collector).write({"line_ids": [Command.update(lines[self.inv_other].id,
                                                                              {"excluded": True})]})
        self.assertEqual(lines[self.inv_other].fee_amount, 0.0, "excluded: not charged")
        self.assertFalse(self._fees())
        run.with_user(self.user_collector).action_send()
        self._ar_dispatch()
        self.assertEqual(self._fees().invoice_id, self.inv_overdue | self.inv_partial)
        self.assertEqual((lines[self.inv_overdue].fee_amount, lines[self.inv_other].fee_amount), (15.0, 0.0),
                         "sent: what the run's reminder charged")

    def test_preview_fee_at_the_reminder_level(self):
        """A customer's reminder charges its invoices at its level, the highest of its lines: so
        does the preview."""
        for level in self.levels:  # a fee of its own per level
            level.write({"fee_charge": "note", "fee_type": "fixed", "fee_amount": 10.0 + level.offset_days})
        self.policy.jump_to_reached = True
        preview = self.env["ar.dunning.preview"].create({"company_id": self.company.id})
        lines = {line.invoice_id: line for line in preview.line_ids}
        level = max(lines[self.inv_overdue].level_id, lines[self.inv_partial].level_id, key=lambda lvl: lvl.offset_days)
        self.assertNotEqual(lines[self.inv_partial].level_id, level, "the invoice itself has a lower level")
        self.assertEqual(lines[self.inv_partial].fee_amount, level.fee_amount)
        self._ar_run()
        self._ar_dispatch()
        self.assertEqual(self._fees().filtered(lambda fee: fee.invoice_id == self.inv_partial).amount, level.fee_amount)

    def test_no_fee_charged_by_a_reminder_that_cannot_leave(self):
        """Without a sender address the email is refused: no fee invoice is posted for a reminder
        the customer never gets; once the address is set and the reminder sent again, it is."""
        self._set_fees(fee_type="fixed", fee_amount=15.0, fee_charge="invoice", fee_product_id=self.fee_product.id)
        self.company.email = False
        message = self._run_and_dispatch()
        self.assertEqual(message.state, "failed")
        self.assertIn("has no sender email address", message.state_reason)
        self.assertFalse(self._fees(), "nothing charged")
        self.assertFalse(self.env["account.move"].search([("invoice_origin", "ilike", self.inv_overdue.name),
                                                          ("partner_id", "=", self.customer.id)]))
        self.company.email = "billing@company-one.example.com"
        message.run_id.action_retry_failed()
        self._ar_dispatch()
        self.assertEqual(message.state, "queued")
        self.assertEqual(self._fees().invoice_id, self.inv_overdue | self.inv_partial)
        self.assertIn(self._fees().fee_move_id.name, message.body_html, "the reminder states the fee it charged")
