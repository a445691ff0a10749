from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditFigures(ArCreditSaleCommon):
    """One rule per figure, named on the screen (issue 18, point 6).

    The credit figures (customer's credit tab, quotation banner, hold list) convert foreign amounts
    at today's rate; Collections' Open receivable and the aging report keep the rate booked on each
    invoice, as the ledger does. In the company currency they all agree.
    """

    def _aging(self, partner):
        [(open_, overdue)] = self.env["ar.aging.report"]._read_group(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)], [],
            ["amount_residual:sum", "amount_overdue:sum"])
        return open_, overdue

    def test_labels_say_which_rate(self):
        described = self.env["res.partner"].fields_get(
            ["ar_open_amount", "ar_overdue_amount", "ar_credit_open", "ar_credit_overdue", "ar_credit_exposure",
             "ar_credit_available", "ar_credit_draft", "ar_credit_orders"], ["string", "help"])
        for name in ("ar_open_amount", "ar_overdue_amount"):
            self.assertIn("(booked rate)", described[name]["string"], name)
            self.assertIn("rate of each invoice's date", described[name]["help"], name)
        for name in ("ar_credit_open", "ar_credit_overdue", "ar_credit_exposure", "ar_credit_available",
                     "ar_credit_draft", "ar_credit_orders"):
            self.assertIn("(today's rate)", described[name]["string"], name)
            self.assertIn("today's rate", described[name]["help"], name)
        self.assertNotEqual(described["ar_open_amount"]["string"], described["ar_credit_open"]["string"])

    def test_company_currency_figures_agree(self):
        open_, overdue = self._aging(self.customer)
        customer = self.customer.with_company(self.company)
        self.assertAlmostEqual(open_, 1650.0)
        self.assertAlmostEqual(overdue, 1350.0)
        self.assertAlmostEqual(customer.ar_open_amount, open_, msg="Collections tab = aging")
        self.assertAlmostEqual(customer.ar_credit_open, open_, msg="credit tab = aging")
        self.assertAlmostEqual(customer.ar_overdue_amount, overdue)
        self.assertAlmostEqual(customer.ar_credit_overdue, overdue)
        # the quotation's banner and available credit use the credit tab's figures
        self._set_limit(self.customer, 1700.0)
        self.env.invalidate_all()
        order = self._order(self.customer, qty=1)
        self.assertAlmostEqual(order.ar_credit_available, customer.ar_credit_available)
        self.assertIn("open invoices $\u00a01,650.00", order.ar_credit_warning)
        # and so does the list of customers on hold
        self._set_limit(self.customer, 1600.0)
        self.env.cr.precommit.run()
        hold = self.env["ar.credit.hold"].search([("partner_id", "=", self.customer.id),
                                                  ("company_id", "=", self.company.id)])
        self.assertEqual(hold.reason, "limit")
        self.assertAlmostEqual(hold.figure, open_)

    def test_foreign_currency_one_rule_per_figure(self):
        # 4 EUR per USD when invoiced, 2 EUR per USD today
        eur = self.setup_other_currency("EUR", rates=[
            ("1900-01-01", 4.0), (fields.Date.to_string(self.today - timedelta(days=1)), 2.0),
        ])
        self._ar_invoice(self.customer, 1000.0, days_overdue=20, currency=eur)
        customer = self.customer.with_company(self.company)
        open_, overdue = self._aging(self.customer)
        self.assertAlmostEqual(open_, 1650.0 + 250.0, msg="aging: 1,000 EUR at the invoice's rate")
        self.assertAlmostEqual(customer.ar_open_amount, open_, msg="Collections tab: the aging's rule")
        self.assertAlmostEqual(customer.ar_overdue_amount, overdue)
        self.assertAlmostEqual(customer.ar_credit_open, 1650.0 + 500.0, msg="credit: 1,000 EUR at today's rate")
        self.assertAlmostEqual(customer.ar_credit_overdue, 1350.0 + 500.0)
        # the quotation banner: every amount at today's rate, as on the credit tab
        self.company.ar_credit_overdue_days = 10
        self._set_limit(self.customer, 2200.0)
        self.env.invalidate_all()
        order = self._order(self.customer, qty=1)
        warning = order.ar_credit_warning
        self.assertIn("2 invoice(s) overdue by more than 10 days ($\u00a01,500.00", warning,
                      "1,000.00 and 1,000 EUR at today's rate (not 1,250.00 at the booked rate)")
        self.assertIn("credit exposure of Overdue Industries to $\u00a02,250.00", warning)
        self.assertIn("open invoices $\u00a02,150.00", warning)
        self.assertAlmostEqual(order.ar_credit_available, customer.ar_credit_available)
        with self.assertRaises(UserError) as caught:
            order.action_confirm()
        self.assertIn("pay its overdue invoices ($\u00a01,850.00)", str(caught.exception),
                      "the amount to pay is the credit tab's overdue figure")
        # the hold list records the same figures (a quotation is not exposure yet: lower the limit)
        self._set_limit(self.customer, 2000.0)
        self.env.cr.precommit.run()
        holds = {hold.reason: hold for hold in self.env["ar.credit.hold"].search([
            ("partner_id", "=", self.customer.id), ("company_id", "=", self.company.id)])}
        self.assertAlmostEqual(holds["overdue"].amount, 1500.0)
        self.assertAlmostEqual(holds["limit"].figure, 2150.0)
        self.assertAlmostEqual(holds["limit"].figure, customer.ar_credit_exposure)
