from collections import defaultdict
from datetime import timedelta

from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestCashForecast(ArCollectionsCommon):
    """Weekly cash-in forecast. The company has no paid invoice yet, so every invoice is
    expected on its due date; overdue ones in max(7, half their days overdue) days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_currency = cls.setup_other_currency("EUR")  # 2 EUR for 1 company currency unit
        cls.inv_later = cls._ar_invoice(cls.other_customer, 1234.0, days_overdue=-40)
        cls.inv_far = cls._ar_invoice(cls.other_customer, 5000.0, days_overdue=-200)
        cls.inv_fx = cls._ar_invoice(cls.other_customer, 900.0, days_overdue=-10, currency=cls.other_currency)
        cls.env["ar.pay.prediction"]._ar_refresh(cls.customer | cls.other_customer, cls.today)
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
        the EUR one 900 / 2; the one due in 200 days is beyond the 13 weeks."""
        expected = defaultdict(lambda: [0.0, 0])
        for days, amount in ((10, 1000.0), (7, 350.0), (7, 700.0), (10, 300.0), (10, 450.0), (40, 1234.0)):
            expected[self._week(days)][0] += amount
            expected[self._week(days)][1] += 1
        forecast = self.env["ar.cash.forecast"]._ar_weekly_forecast(self.company, self.today)
        self.assertEqual(len(forecast), 14)
        self.assertEqual(forecast[0], {"week_start": False, "amount": 80.0, "invoice_count": 1})
        first = self._week(0)
        self.assertEqual([row["week_start"] for row in forecast[1:]],
                         [first + timedelta(weeks=index) for index in range(13)])
        for row in forecast[1:]:
            self.assertEqual([row["amount"], row["invoice_count"]], expected.get(row["week_start"], [0.0, 0]),
                             row["week_start"])
        self.assertEqual(sum(row["amount"] for row in forecast[1:]), 4034.0)

    def test_report_rows_for_the_collector(self):
        """The report lists each open invoice once, in its week, readable by a collector;
        a prediction older than this week falls into the "past" bucket."""
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
             self.inv_later, self.inv_new})
        self.assertEqual((by_move[self.inv_partial].amount, by_move[self.inv_partial].bucket), (350.0, "week"))
        self.assertEqual(by_move[self.inv_partial].week_start, self._week(7))
        self.assertEqual((by_move[self.inv_fx].amount, by_move[self.inv_fx].week_start), (450.0, self._week(10)))
        self.assertEqual((by_move[self.inv_later].bucket, by_move[self.inv_later].week_start), ("past", False))
        self.assertEqual((by_move[self.inv_new].bucket, by_move[self.inv_new].week_start), ("past", False))
