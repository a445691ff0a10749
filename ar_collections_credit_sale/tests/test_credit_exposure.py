from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditExposure(ArCreditSaleCommon):

    def _exposure(self, partner=None):
        partner = partner or self.customer
        return partner._ar_credit_exposure(self.company)[partner.id]

    def test_open_and_overdue_receivables(self):
        figures = self._exposure()
        # 1,000 + (600 - 250 paid) + 300; overdue: the first two
        self.assertAlmostEqual(figures["open"], 1650.0)
        self.assertAlmostEqual(figures["overdue"], 1350.0)
        self.assertAlmostEqual(figures["total"], 1650.0, msg="overdue is part of open, not added twice")

    def test_credit_notes_and_unapplied_payments_reduce_exposure(self):
        self._ar_credit_note(self.inv_overdue, 100.0)
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
            "amount": 50.0, "journal_id": self.company_data["default_journal_bank"].id,
        })
        payment.action_post()
        figures = self._exposure()
        self.assertAlmostEqual(figures["open"], 1500.0)
        self.assertAlmostEqual(figures["overdue"], 1250.0, msg="an unapplied payment is not 'overdue'")

    def test_draft_invoices_and_uninvoiced_orders_without_double_count(self):
        self._ar_invoice(self.customer, 200.0, days_overdue=-30, post=False)
        order = self._order(self.customer_contact, qty=3, price=100.0, taxes=self.tax_21)
        order.action_confirm()
        figures = self._exposure()
        self.assertAlmostEqual(figures["draft"], 200.0)
        self.assertAlmostEqual(figures["orders"], 363.0, msg="orders count taxes included")
        self.assertAlmostEqual(figures["total"], 1650.0 + 200.0 + 363.0)

        invoice = order._create_invoices()
        figures = self._exposure()
        self.assertAlmostEqual(figures["orders"], 0.0, msg="the draft invoice now carries the order")
        self.assertAlmostEqual(figures["draft"], 563.0)
        self.assertAlmostEqual(figures["total"], 2213.0, msg="invoicing an order does not change exposure")

        invoice.action_post()
        figures = self._exposure()
        self.assertAlmostEqual(figures["draft"], 200.0)
        self.assertAlmostEqual(figures["open"], 2013.0)
        self.assertAlmostEqual(figures["total"], 2213.0)

    def test_draft_credit_note_reduces_and_cancelled_orders_do_not_count(self):
        refund = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.customer.id, "invoice_date": self.today,
            "invoice_line_ids": [Command.create({"name": "Return", "quantity": 1, "price_unit": 80.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        order = self._order(self.customer, qty=1)
        order.action_confirm()
        order._action_cancel()
        figures = self._exposure()
        self.assertAlmostEqual(figures["draft"], -80.0)
        self.assertAlmostEqual(figures["orders"], 0.0)
        self.assertAlmostEqual(figures["total"], 1570.0)
        self.assertTrue(refund.exists())

    def test_partially_invoiced_order(self):
        product = self.env["product.product"].create({
            "name": "Service by delivery", "list_price": 50.0, "invoice_policy": "delivery", "type": "service",
            "taxes_id": [Command.clear()],
        })
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 10, "price_unit": 50.0,
                                           "tax_id": [Command.clear()]})],
        })
        order.action_confirm()
        self.assertAlmostEqual(self._exposure()["orders"], 0.0, msg="nothing delivered: nothing to invoice yet")
        order.order_line.qty_delivered = 4
        self.assertAlmostEqual(self._exposure()["orders"], 200.0)
        order._create_invoices().action_post()
        order.order_line.qty_delivered = 6
        figures = self._exposure()
        self.assertAlmostEqual(figures["orders"], 100.0)
        self.assertAlmostEqual(figures["open"], 1650.0 + 200.0)

    def test_foreign_currency_at_todays_rate(self):
        # 4 EUR per USD when invoiced, 2 EUR per USD today
        eur = self.setup_other_currency("EUR", rates=[
            ("1900-01-01", 4.0), (fields.Date.to_string(self.today - timedelta(days=1)), 2.0),
        ])
        invoice = self._ar_invoice(self.customer, 1000.0, days_overdue=20, currency=eur)
        self.assertAlmostEqual(invoice.amount_residual_signed, 250.0, msg="booked at the invoice's rate")
        order = self._order(self.customer, qty=1, price=400.0, currency=eur)
        order.action_confirm()
        figures = self._exposure()
        self.assertAlmostEqual(figures["open"], 1650.0 + 500.0, msg="1,000 EUR at today's rate")
        self.assertAlmostEqual(figures["overdue"], 1350.0 + 500.0)
        self.assertAlmostEqual(figures["orders"], 200.0, msg="400 EUR at today's rate")
        self._ar_pay(invoice, 600.0)
        self.assertAlmostEqual(self._exposure()["open"], 1650.0 + 200.0, msg="400 EUR left")

    def test_available_credit_on_customer_order_and_invoice(self):
        self._set_limit(self.customer, 2000.0)
        self.assertAlmostEqual(self.customer.ar_credit_limit, 2000.0)
        self.assertAlmostEqual(self.customer.ar_credit_exposure, 1650.0)
        self.assertAlmostEqual(self.customer.ar_credit_available, 350.0)
        self.assertAlmostEqual(self.customer_contact.ar_credit_available, 350.0, msg="a contact shows its company's")
        order = self._order(self.customer_contact, qty=1)
        self.assertTrue(order.ar_credit_has_limit)
        self.assertAlmostEqual(order.ar_credit_available, 350.0)
        self.assertFalse(order.ar_credit_warning)
        draft = self._ar_invoice(self.customer, 100.0, post=False)
        self.assertTrue(draft.ar_credit_has_limit)
        self.assertAlmostEqual(draft.ar_credit_available, 250.0, msg="the draft invoice is exposure already")
        # A salesperson (no accounting rights) sees the available credit on the order
        self.env.invalidate_all()
        self.assertAlmostEqual(order.with_user(self.salesman).ar_credit_available, 250.0)
        self.assertFalse(self.other_customer.ar_credit_limit, "no limit: nothing available shown")
        self.assertFalse(self._order(self.other_customer).ar_credit_has_limit)

    def test_company_default_limit(self):
        settings = self.env["res.config.settings"].create({"account_default_credit_limit": 1000.0})
        settings.execute()
        self.assertAlmostEqual(self.other_customer.ar_credit_limit, 1000.0)
        self._set_limit(self.customer, 5000.0)
        self.assertAlmostEqual(self.customer.ar_credit_limit, 5000.0, msg="the customer's own limit wins")
        with self.assertRaisesRegex(ValidationError, "default credit limit cannot be negative"):
            self.env["res.config.settings"].create({"account_default_credit_limit": -1.0}).execute()

    def test_negative_limit_refused(self):
        with self.assertRaisesRegex(ValidationError, "credit limit of Overdue Industries cannot be negative"):
            self.customer.with_user(self.credit_manager).credit_limit = -500.0

    def test_only_credit_manager_changes_limit_and_date_is_kept(self):
        with self.assertRaisesRegex(AccessError, "Only a Credit Manager can change a credit limit"):
            self.customer.with_user(self.user_billing).credit_limit = 9000.0
        self.customer.with_user(self.credit_manager).credit_limit = 9000.0
        self.assertEqual(self.customer.ar_credit_limit_date, self.today)

    def test_limit_change_tracked_on_chatter(self):
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.customer.with_env(self.env(user=self.credit_manager, context={})).credit_limit = 7500.0
        self.env.flush_all()
        self.env.cr.precommit.run()
        values = self.env["mail.tracking.value"].sudo().search([
            ("mail_message_id.model", "=", "res.partner"),
            ("mail_message_id.res_id", "=", self.customer.id),
            ("field_id.name", "=", "credit_limit"),
        ])
        self.assertEqual(values.mapped("new_value_float"), [7500.0])
        self.assertEqual(values.mail_message_id.author_id, self.credit_manager.partner_id)

    def test_partner_form_shows_exposure(self):
        self._set_limit(self.customer, 2000.0)
        with Form(self.customer.with_user(self.credit_manager)) as form:
            self.assertAlmostEqual(form.ar_credit_exposure, 1650.0)
            self.assertAlmostEqual(form.ar_credit_available, 350.0)
            self.assertAlmostEqual(form.ar_credit_overdue, 1350.0)

    def test_settings_validation(self):
        for field, value, message in (
            ("ar_credit_overdue_days", -3, "cannot be negative"),
            ("ar_credit_review_drop", 0, "between 1 and 100"),
            ("ar_credit_review_months", 0, "at least every month"),
        ):
            with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
                self.company.write({field: value})
            self.env.invalidate_all()
            self.assertNotEqual(self.company[field], value)
