from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.ar_collections.tools.backtest import _auc, run_backtest, run_overdue_backtest, run_risk_backtest

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestBacktest(ArCollectionsCommon):
    """Backtest on a small book: one customer, invoices issued 30 days before their due date.

    ==== ============ ======== ======== ===========
         invoice date due date paid on  days late
    ==== ============ ======== ======== ===========
    I1   T-200        T-170    T-160    10
    I2   T-150        T-120    T-100    20
    I3   T-90         T-60     T-30     30
    ==== ============ ======== ======== ===========

    Predictions, each made on the invoice date from the payments dated before it:

    * I1: nothing known -> due date T-170; error 10 days (baseline 10);
    * I2: I1 known (10), company median 10 -> (1 x 10 + 2 x 10) / 3 = 10 -> T-110; error 10 (baseline 20);
    * I3: I1 (10, paid 70 days before, weight 0.45) and I2 (20, 10 days before, weight 0.89):
      weighted median 20, company median (10 + 20) / 2 = 15 -> (2 x 20 + 2 x 15) / 4 = 17.5 -> 18
      -> T-42; error 12 (baseline 30).

    MAE 32 / 3 = 10.67 days against 60 / 3 = 20 for the due-date baseline.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env["res.partner"].create({"name": "Backtest Buyer", "is_company": True})
        cls.inv_1 = cls._paid(cls.buyer, due_days_ago=170, paid_days_ago=160)
        cls.inv_2 = cls._paid(cls.buyer, due_days_ago=120, paid_days_ago=100)
        cls.inv_3 = cls._paid(cls.buyer, due_days_ago=60, paid_days_ago=30)

    @classmethod
    def _paid(cls, partner, due_days_ago, paid_days_ago, amount=100.0):
        invoice = cls._ar_invoice(partner, amount, days_overdue=due_days_ago)
        cls._ar_pay(invoice, amount, date=cls.today - timedelta(days=paid_days_ago))
        return invoice

    def _days(self, days):
        return self.today + timedelta(days=days)

    def _predicted(self, result):
        return {line["id"]: line["predicted"] for line in result["lines"]}

    def test_mae_by_hand(self):
        result = run_backtest(self.env, company=self.company, months=12, as_of=self.today)
        self.assertEqual(result["invoices"], 3)
        self.assertEqual(self._predicted(result), {
            self.inv_1.id: self._days(-170),
            self.inv_2.id: self._days(-110),
            self.inv_3.id: self._days(-42),
        })
        self.assertEqual([line["as_of"] for line in result["lines"]], [self._days(-200), self._days(-150),
                                                                       self._days(-90)])
        self.assertAlmostEqual(result["mae_model"], 32 / 3)
        self.assertEqual(result["mae_naive"], 20.0)
        self.assertEqual((result["median_model"], result["median_naive"]), (10.0, 20.0))
        self.assertEqual((result["within_model"], result["within_naive"]), (0.0, 0.0))
        self.assertAlmostEqual(result["bias_model"], -32 / 3)
        self.assertEqual(result["bias_naive"], -20.0)

    def test_window_and_as_of(self):
        """As of T-95, I3 (paid T-30) is not paid yet: two invoices evaluated; a 2-month
        window only keeps what was paid from T-95 - 2 months on."""
        result = run_backtest(self.env, company=self.company, months=12, as_of=self._days(-95))
        self.assertEqual(self._predicted(result), {self.inv_1.id: self._days(-170), self.inv_2.id: self._days(-110)})
        self.assertEqual(result["mae_model"], 10.0)
        self.assertEqual(result["mae_naive"], 15.0)
        result = run_backtest(self.env, company=self.company, months=2, as_of=self._days(-95))
        self.assertEqual(self._predicted(result), {self.inv_2.id: self._days(-110)})

    def test_no_future_leakage(self):
        """An invoice issued with I2 but paid 100 days late (at T-20) must change no earlier
        prediction, and is itself predicted like I2 (its own payment unknown). Without
        censoring it changes nothing; with it, I3's prediction (at T-90) knows that this
        invoice is 30 days overdue and still open then, not when it was paid: company median
        KM(10, 20, 30 still open) = 20 -> (2 x 20 + 2 x 20) / 4 = 20 -> T-40."""
        slow = self._paid(self.buyer, due_days_ago=120, paid_days_ago=20)
        result = run_backtest(self.env, company=self.company, months=12, as_of=self.today, censored=False)
        self.assertEqual(self._predicted(result), {
            self.inv_1.id: self._days(-170),
            self.inv_2.id: self._days(-110),
            slow.id: self._days(-110),
            self.inv_3.id: self._days(-42),
        })
        self.assertAlmostEqual(result["mae_model"], (10 + 10 + 90 + 12) / 4)
        self.assertEqual(result["mae_naive"], (10 + 20 + 100 + 30) / 4)
        result = run_backtest(self.env, company=self.company, months=12, as_of=self.today)
        self.assertEqual(self._predicted(result), {
            self.inv_1.id: self._days(-170),
            self.inv_2.id: self._days(-110),
            slow.id: self._days(-110),
            self.inv_3.id: self._days(-40),
        })
        self.assertAlmostEqual(result["mae_model"], (10 + 10 + 90 + 10) / 4)

    def test_other_company_ignored(self):
        """Invoices of another company are neither evaluated nor part of this company's median."""
        other = self.setup_other_company()["company"]
        foreign = self._ar_invoice(self.other_customer, 100.0, days_overdue=150, company=other)
        self.env["account.payment.register"].with_company(other).with_context(
            active_model="account.move", active_ids=foreign.ids,
        ).create({"payment_date": self._days(-95)})._create_payments()
        result = run_backtest(self.env, company=self.company, months=12, as_of=self.today)
        self.assertEqual(result["invoices"], 3)
        self.assertAlmostEqual(result["mae_model"], 32 / 3)

    def test_risk_backtest_no_look_ahead(self):
        """Cut-off T-30 (today minus the 30-day horizon): I3, due T-60 and paid on T-30 itself,
        is open and 30 days overdue that day (a payment of the cut-off day is not known yet);
        nothing is known 30 days past the 30-day mark then: (0 + 1) / (0 + 2) = 0.5. It was paid
        within the horizon. The shared invoices are not overdue on T-30 yet."""
        result = run_risk_backtest(self.env, company=self.company, as_of=self.today, cutoffs=1)
        self.assertEqual(result["cutoffs"], [self._days(-30)])
        self.assertEqual([(line["id"], line["days_overdue"], line["probability"], line["unpaid"])
                          for line in result["lines"]], [(self.inv_3.id, 30, 0.5, 0)])
        self.assertIsNone(result["auc_model"], "one outcome only: no ranking to measure")
        self.assertEqual(result["bands"], [("medium", 1, 0.5, 0.0)])

    def test_overdue_backtest(self):
        """On T-100, I2 (due T-120, paid on T-100 itself: not known yet) is 20 days overdue.
        The book then knows one payment (I1, 10 days late) and I2 open at 20 days: nothing was
        ever paid that late, so no payment is expected; it was paid that day (counted as
        such). The rule before expected it a week later."""
        result = run_overdue_backtest(self.env, company=self.company, as_of=self.today, cutoffs=1, first_days=100)
        self.assertEqual(result["cutoffs"], [self._days(-100)])
        self.assertEqual([(line["id"], line["days_overdue"], line["predicted"], line["paid"])
                          for line in result["lines"]], [(self.inv_2.id, 20, None, self._days(-100))])
        self.assertEqual((result["not_expected"], result["not_expected_paid"], result["evaluated"]), (1, 1, 0))
        before = run_overdue_backtest(self.env, company=self.company, as_of=self.today, cutoffs=1, first_days=100,
                                      conditional=False)
        self.assertEqual(before["lines"][0]["predicted"], self._days(-93))
        self.assertEqual((before["evaluated"], before["mae"], before["bias"]), (1, 7.0, 7.0))

    def test_auc(self):
        self.assertEqual(_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75)
        self.assertEqual(_auc([1, 1, 0, 0], [1, 0, 1, 0]), 0.5, "ties count one half")
        self.assertEqual(_auc([0.9, 0.1], [1, 0]), 1.0)
