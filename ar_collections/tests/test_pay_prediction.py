from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestPayPrediction(ArCollectionsCommon):
    """Pay-date prediction and at-risk flag on crafted payment histories.

    Histories: "Punctual Partners" paid 5 invoices 2 days late, "Overdue Industries" paid 3
    invoices 10, 20 and 30 days late, all 5 days ago (equal recency weights). Paid invoices
    only, the company's median delay is (2 + 2) / 2 = 2 days (8 invoices: five 2s, 10, 20, 30).

    With the invoices still open as censored observations (Kaplan-Meier): Overdue Industries'
    invoices 20 and 5 days overdue, Punctual Partners' 12 days overdue (weight 1, the paid ones
    0.5 ^ (5 / 60) = 0.944 each):

    * Overdue Industries: S(10) = 1 - 0.944 / 3.83 = 0.754, S(20) = 0.754 x (1 - 0.944 / 2.89)
      = 0.507, S(30) = 0: median 30 days (20 with paid invoices only);
    * company (11 invoices, unweighted): S(2) = 6 / 11 = 0.545, S(10) = 0.545 x 4 / 5 = 0.436:
      median 10 days.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Prediction = cls.env["ar.pay.prediction"]
        for _index in range(5):
            cls._paid_invoice(cls.other_customer, due_days_ago=7, paid_days_ago=5)
        for due_days_ago in (15, 25, 35):
            cls._paid_invoice(cls.customer, due_days_ago=due_days_ago, paid_days_ago=5)

    @classmethod
    def _paid_invoice(cls, partner, due_days_ago, paid_days_ago, amount=100.0):
        """An invoice due ``due_days_ago`` days ago, paid in full ``paid_days_ago`` days ago
        (paid ``due_days_ago - paid_days_ago`` days late)."""
        invoice = cls._ar_invoice(partner, amount, days_overdue=due_days_ago)
        cls._ar_pay(invoice, amount, date=cls.today - timedelta(days=paid_days_ago))
        return invoice

    def _partner(self, name):
        return self.env["res.partner"].create({"name": name, "is_company": True})

    def _days(self, days):
        return self.today + timedelta(days=days)

    # ------------------------------------------------------------------
    # History and prediction
    # ------------------------------------------------------------------

    def test_history_stats(self):
        customers, priors = self.Prediction._ar_history_stats(
            (self.customer | self.other_customer).ids, self.today, censored=False)
        self.assertEqual(priors[self.company.id], 2.0)
        stats = customers[self.customer.id]
        self.assertEqual((stats["count"], stats["median"], stats["max"]), (3, 20.0, 30))
        self.assertEqual((stats["recent_count"], stats["recent_avg"]), (3, 20.0))
        self.assertEqual((stats["older_count"], stats["older_avg"]), (0, None))
        stats = customers[self.other_customer.id]
        self.assertEqual((stats["count"], stats["median"], stats["max"]), (5, 2.0, 2))

    def test_history_stats_censored(self):
        """The invoices still open push a slow payer's median later, and the company's."""
        customers, priors = self.Prediction._ar_history_stats(
            (self.customer | self.other_customer).ids, self.today)
        self.assertEqual(priors[self.company.id], 10.0)
        stats = customers[self.customer.id]
        self.assertEqual((stats["count"], stats["median"], stats["max"]), (3, 30.0, 30), "counts of paid invoices")
        self.assertEqual((stats["recent_count"], stats["recent_avg"]), (3, 20.0))
        self.assertEqual(customers[self.other_customer.id]["median"], 2.0, "paid 2 days late before its open one")

    def test_crafted_history_exact_dates(self):
        """Overdue Industries: (3 x 30 + 2 x 10) / (3 + 2) = 22 days late."""
        self.Prediction._ar_refresh(self.customer | self.other_customer, self.today)
        expected = {
            # due in 10 days: due date + 22
            self.inv_not_due: (self._days(32), 22),
            # due 5 days ago: due date + 22 is 17 days from now
            self.inv_partial: (self._days(17), 22),
            # due 20 days ago: due date + 22 is 2 days from now
            self.inv_overdue: (self._days(2), 22),
            # Punctual Partners: (5 x 2 + 2 x 10) / 7 = 4.3 -> 4, due 12 days ago -> today + 7
            self.inv_other: (self._days(7), 19),
        }
        for invoice, (date, days_late) in expected.items():
            self.assertEqual(
                (invoice.ar_predicted_pay_date, invoice.ar_predicted_days_late), (date, days_late), invoice.name)
        self.assertEqual(self.customer.ar_prediction_date, self.today)

    def test_shrinkage_zero_one_many(self):
        expected_delay = self.Prediction._ar_expected_delay
        self.assertEqual(expected_delay(None, 2.0), 2, "no history: the company's median")
        self.assertEqual(expected_delay({"count": 1, "median": 30.0}, 2.0), 11, "(30 + 4) / 3 = 11.3")
        self.assertEqual(expected_delay({"count": 30, "median": 40.0}, 2.0), 38, "(1200 + 4) / 32 = 37.6")
        self.assertEqual(expected_delay({"count": 2, "median": 3.0}, 2.0), 3, "(6 + 4) / 4 = 2.5 rounds up")
        self.assertEqual(expected_delay(None, None), 0, "no history anywhere: the due date")

        newcomer, stranger = self._partner("Newcomer"), self._partner("Stranger")
        self._paid_invoice(newcomer, due_days_ago=35, paid_days_ago=5)
        fresh = self._ar_invoice(newcomer, 100.0, days_overdue=-30)
        unknown = self._ar_invoice(stranger, 100.0, days_overdue=-30)
        # company median still 10 (12 invoices: S(2) = 7 / 12, S(10) = 7 / 12 x 5 / 6 = 0.486);
        # newcomer 1 x 30: (30 + 2 x 10) / 3 = 16.7 -> 17
        predictions = self.Prediction._ar_predict(fresh | unknown, self.today)
        self.assertEqual(predictions[fresh.id], (self._days(47), 17))
        self.assertEqual(predictions[unknown.id], (self._days(40), 10))

    def test_recent_payments_weigh_more(self):
        """0 days late 300 days ago (weight 0.5^5 = 0.03) and 20 days late 10 days ago
        (weight 0.89): the weighted median is 20, not the plain median 10."""
        changer = self._partner("Changer")
        self._paid_invoice(changer, due_days_ago=300, paid_days_ago=300)
        self._paid_invoice(changer, due_days_ago=30, paid_days_ago=10)
        customers, _priors = self.Prediction._ar_history_stats(changer.ids, self.today)
        self.assertEqual((customers[changer.id]["count"], customers[changer.id]["median"]), (2, 20.0))

    def test_no_payment_known_on_or_after_as_of(self):
        customers, priors = self.Prediction._ar_history_stats(self.customer.ids, self._days(-5))
        self.assertNotIn(self.customer.id, customers, "paid on the day of the prediction: not known yet")
        self.assertNotIn(self.company.id, priors)
        customers, _priors = self.Prediction._ar_history_stats(self.customer.ids, self._days(-4))
        self.assertEqual(customers[self.customer.id]["count"], 3)
        # more than 365 days before the prediction: forgotten
        customers, _priors = self.Prediction._ar_history_stats(self.customer.ids, self._days(361))
        self.assertNotIn(self.customer.id, customers)

    def test_never_predicted_in_the_past(self):
        predict = self.Prediction._ar_predict_date
        self.assertEqual(predict(self._days(-10), self.today, 0), self._days(7), "overdue: at least a week")
        self.assertEqual(predict(self._days(-100), self.today, 0), self._days(50), "100 days past: 50 more")
        self.assertEqual(predict(self._days(-100), self.today, 20), self._days(40), "80 days past: 40 more")
        self.assertEqual(predict(self._days(-3), self.today, 30), self._days(27), "overdue, prediction ahead: kept")
        self.assertEqual(predict(self._days(2), self.today, -5), self.today, "not due yet, early payer: today")
        self.assertEqual(predict(self._days(20), self.today, -5), self._days(15))

    # ------------------------------------------------------------------
    # At risk
    # ------------------------------------------------------------------

    def _history(self, partner, older=(), recent=()):
        """Payments ``older`` (days late) 200 days ago and ``recent`` ones 10 days ago."""
        for delay in older:
            self._paid_invoice(partner, due_days_ago=200 + delay, paid_days_ago=200)
        for delay in recent:
            self._paid_invoice(partner, due_days_ago=10 + delay, paid_days_ago=10)

    def test_at_risk_recent_payments_later_than_usual(self):
        """Older 0, 2, 4, 2 (avg 2, spread 1.4): threshold 2 + max(10, 2.1) = 12; recent avg 30."""
        slipping = self._partner("Slipping")
        self._history(slipping, older=(0, 2, 4, 2), recent=(25, 35))
        self.Prediction._ar_refresh(slipping, self.today)
        self.assertTrue(slipping.ar_at_risk)
        self.assertEqual(
            slipping.ar_at_risk_reason,
            "Paid 2 invoices 30 days late on average in the last 90 days, against 2 days before "
            "(threshold: 10 days more)")

    def test_not_at_risk_within_own_spread(self):
        """Older 10, 20, 30, 20 (avg 20, spread 7.1): threshold 20 + 10.6; recent avg 27.5.
        A flag set before is cleared."""
        steady = self._partner("Steady")
        self._history(steady, older=(10, 20, 30, 20), recent=(25, 30))
        steady.write({"ar_at_risk": True, "ar_at_risk_reason": "Old reason"})
        self.Prediction._ar_refresh(steady, self.today)
        self.assertFalse(steady.ar_at_risk)
        self.assertFalse(steady.ar_at_risk_reason)

    def test_at_risk_open_invoice_later_than_ever(self):
        punctual = self._partner("Always Punctual")
        self._history(punctual, recent=(3, 5, 4))
        late = self._ar_invoice(punctual, 500.0, days_overdue=20)
        self.Prediction._ar_refresh(punctual, self.today)
        self.assertTrue(punctual.ar_at_risk)
        self.assertEqual(
            punctual.ar_at_risk_reason,
            f"{late.name} is 20 days overdue; the customer paid its last 3 invoices at most 5 days late")
        # once paid, the next refresh clears the flag
        self._ar_pay(late, 500.0)
        self.Prediction._ar_refresh(punctual, self._days(1))
        self.assertFalse(punctual.ar_at_risk)

    def test_not_at_risk_open_invoice_within_pattern(self):
        """9 days overdue is not yet "clearly" late (at least 10 days); 30 days overdue with
        only 2 payments to compare with is no pattern."""
        punctual, newish = self._partner("Usually Punctual"), self._partner("Newish")
        self._history(punctual, recent=(3, 5, 4))
        self._ar_invoice(punctual, 500.0, days_overdue=9)
        self._history(newish, recent=(0, 1))
        self._ar_invoice(newish, 500.0, days_overdue=30)
        self.Prediction._ar_refresh(punctual | newish, self.today)
        self.assertFalse(punctual.ar_at_risk)
        self.assertFalse(newish.ar_at_risk)

    # ------------------------------------------------------------------
    # Scheduler
    # ------------------------------------------------------------------

    def test_cron_batches_and_resumes(self):
        Partner = self.env["res.partner"].with_context(active_test=False)
        domain = self.Prediction._ar_refresh_domain(self.today)
        todo = Partner.search_count(domain)
        self.assertGreaterEqual(todo, 2, "both customers of the scenario have open invoices")
        progress = []
        with patch.object(type(self.env["ir.cron"]), "_notify_progress",
                          lambda self_cron, **kw: progress.append(kw)):
            for _guard in range(todo + 1):
                self.Prediction._cron_refresh_predictions(batch_size=1)
                if not progress[-1]["remaining"]:
                    break
            self.assertEqual(progress[0], {"done": 1, "remaining": todo - 1})
            self.assertEqual(len(progress), todo)
            # everything refreshed today: the next call has nothing to do
            self.Prediction._cron_refresh_predictions(batch_size=1)
        self.assertEqual(progress[-1], {"done": 0, "remaining": 0})
        self.assertEqual(self.inv_not_due.ar_predicted_pay_date, self._days(32))
        self.assertEqual(self.inv_other.ar_predicted_pay_date, self._days(7))
