from collections import defaultdict
from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from odoo.addons.ar_collections.const import OPEN_INVOICE_DOMAIN

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestCashForecast(ArCollectionsCommon):
    """Weekly cash-in forecast. The company has no paid invoice yet, so every invoice is
    expected on its due date; overdue ones in max(7, half their days overdue) days.
    "Old Debts" has an invoice 200 days overdue (predicted in 100 days, but not expected) and
    one in an open dispute (not expected either)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_currency = cls.setup_other_currency("EUR")  # 2 EUR for 1 company currency unit
        cls.inv_later = cls._ar_invoice(cls.other_customer, 1234.0, days_overdue=-40)
        cls.inv_far = cls._ar_invoice(cls.other_customer, 5000.0, days_overdue=-200)
        cls.inv_fx = cls._ar_invoice(cls.other_customer, 900.0, days_overdue=-10, currency=cls.other_currency)
        cls.old_debts = cls.env["res.partner"].create({"name": "Old Debts", "is_company": True})
        cls.inv_ancient = cls._ar_invoice(cls.old_debts, 2000.0, days_overdue=200)
        cls.inv_disputed = cls._ar_invoice(cls.old_debts, 333.34, days_overdue=3, currency=cls.other_currency)
        cls.env["ar.dispute"].create({
            "partner_id": cls.old_debts.id, "invoice_ids": [Command.set(cls.inv_disputed.ids)], "reason": "pricing",
        })
        cls.env["ar.pay.prediction"]._ar_refresh(cls.customer | cls.other_customer | cls.old_debts, cls.today)
        # posted after the refresh: not predicted yet
        cls.inv_new = cls._ar_invoice(cls.customer, 80.0, days_overdue=-3)

    def _week(self, days):
        day = self.today + timedelta(days=days)
        return day - timedelta(days=day.weekday())

    def test_predictions_of_the_scenario(self):
        for invoice, days in ((self.inv_overdue, 10), (self.inv_partial, 7), (self.inv_other, 7),
                              (self.inv_not_due, 10), (self.inv_fx, 10), (self.inv_later, 40), (self.inv_far, 200)):
            self.assertEqual(invoice.ar_predicted_pay_date, self.today + timedelta(days=days), invoice.name)
        self.assertFalse(self.inv_new.ar_predicted_pay_date)

    def test_weekly_sums(self):
        """Open residuals in company currency: the partially paid invoice counts 600 - 250,
        the EUR one 900 / 2; the one due in 200 days is Later; 200 days overdue and disputed
        are Not expected; every bucket together is the open amount of the invoices."""
        expected = defaultdict(lambda: [0.0, 0])
        for days, amount in ((10, 1000.0), (7, 350.0), (7, 700.0), (10, 300.0), (10, 450.0), (40, 1234.0)):
            expected[self._week(days)][0] += amount
            expected[self._week(days)][1] += 1
        forecast = self.env["ar.cash.forecast"]._ar_weekly_forecast(self.company, self.today)
        self.assertEqual(len(forecast), 16)
        self.assertEqual(forecast[0], {"bucket": "past", "week_start": False, "amount": 80.0, "invoice_count": 1})
        first = self._week(0)
        self.assertEqual([row["week_start"] for row in forecast[1:14]],
                         [first + timedelta(weeks=index) for index in range(13)])
        for row in forecast[1:14]:
            self.assertEqual(row["bucket"], "week")
            self.assertEqual([row["amount"], row["invoice_count"]], expected.get(row["week_start"], [0.0, 0]),
                             row["week_start"])
        self.assertEqual(sum(row["amount"] for row in forecast[1:14]), 4034.0)
        self.assertEqual(forecast[14], {"bucket": "later", "week_start": False, "amount": 5000.0, "invoice_count": 1})
        self.assertEqual(self.inv_ancient.ar_predicted_pay_date, self.today + timedelta(days=100))
        self.assertEqual(forecast[15], {"bucket": "not_expected", "week_start": False,
                                        "amount": 2000.0 + 166.67, "invoice_count": 2})
        open_invoices = self.env["account.move"].search([*OPEN_INVOICE_DOMAIN, ("company_id", "=", self.company.id)])
        self.assertEqual(len(open_invoices), 10)
        self.assertAlmostEqual(sum(row["amount"] for row in forecast),
                               sum(open_invoices.mapped("amount_residual_signed")), places=2)
        self.assertEqual(self.company.currency_id.round(sum(row["amount"] for row in forecast)), 11280.67)

    def test_buckets_add_up_in_the_report(self):
        """The report's periods, as the pivot groups them, add up to the open invoices."""
        groups = self.env["ar.cash.forecast"]._read_group(
            [("company_id", "=", self.company.id)], ["period"], ["amount:sum"])
        self.assertEqual([period for period, _amount in groups][-3:], ["Later", "Not expected", "Not predicted yet"])
        self.assertAlmostEqual(sum(amount for _period, amount in groups), 11280.67, places=2)
        disputed = self.env["ar.cash.forecast"].search([("move_id", "=", self.inv_disputed.id)])
        self.assertEqual((disputed.bucket, disputed.disputed, disputed.amount), ("not_expected", True, 166.67))

    def test_report_rows_for_the_collector(self):
        """The report lists each open invoice once, in its week, readable by a collector;
        a prediction older than this week falls into the "past" bucket, one beyond the 13
        weeks into "later"."""
        self.inv_later.invalidate_recordset()
        self.env.cr.execute(
            "UPDATE account_move SET ar_predicted_pay_date = %s WHERE id = %s",
            (self.today - timedelta(days=8), self.inv_later.id))
        rows = self.env["ar.cash.forecast"].with_user(self.user_collector).search(
            [("partner_id", "in", (self.customer | self.other_customer).ids)])
        by_move = {row.move_id: row for row in rows}
        self.assertEqual(
            set(by_move),
            {self.inv_overdue, self.inv_partial, self.inv_not_due, self.inv_other, self.inv_fx,
             self.inv_later, self.inv_new, self.inv_far})
        self.assertEqual((by_move[self.inv_partial].amount, by_move[self.inv_partial].bucket), (350.0, "week"))
        self.assertEqual(by_move[self.inv_partial].week_start, self._week(7))
        self.assertEqual((by_move[self.inv_fx].amount, by_move[self.inv_fx].week_start), (450.0, self._week(10)))
        self.assertEqual((by_move[self.inv_later].bucket, by_move[self.inv_later].week_start), ("past", False))
        self.assertEqual((by_move[self.inv_new].bucket, by_move[self.inv_new].week_start), ("past", False))
        self.assertEqual((by_move[self.inv_far].bucket, by_move[self.inv_far].period), ("later", "Later"))
        self.assertEqual(by_move[self.inv_partial].period, by_move[self.inv_partial].week_start.strftime("%G-W%V"))
