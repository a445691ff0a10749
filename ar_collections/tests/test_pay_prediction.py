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
        """Not yet due: Overdue Industries (3 x 30 + 2 x 10) / (3 + 2) = 22 days late.

        Overdue: the median delay given the days already overdue, from the survival curves
        with every open invoice censored. Company (unweighted): S(2) = 6/11, S(10) = 6/11 x 4/5
        = 0.436, S(20) = 0.436 x 2/3 = 0.291 (paid at 20, open at 20 and 30), S(30) = 0.
        Overdue Industries (paid weights 0.944): S(5) = 1, S(10) = 0.754, S(20) = 0.507, S(30) = 0.

        * 20 days overdue: both curves reach 0 at 30, the only delay left: 30 days late;
        * 5 days overdue: at 20 days (3 x 0.507 / 1 + 2 x 0.291 / 0.545) / 5 = 0.518, at 30
          days 0: 30 days late (the old rule: 22);
        * Punctual Partners, 12 days overdue: it paid nothing later than 2 days, its own curve
          cannot tell, the company's S(20) / S(12) = 2/3, S(30) = 0: 30 days late (the old rule:
          a week from today, 19 days late, as if it were not already late).
        """
        self.Prediction._ar_refresh(self.customer | self.other_customer, self.today)
        expected = {
            # due in 10 days: due date + 22
            self.inv_not_due: (self._days(32), 22),
            self.inv_partial: (self._days(25), 30),
            self.inv_overdue: (self._days(10), 30),
            self.inv_other: (self._days(18), 30),
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

    def test_conditional_delay(self):
        """The median delay given the days already overdue, from a curve ``[(delay, survival)]``."""
        delay = self.Prediction._ar_conditional_delay
        curve = [(0, 0.6), (10, 0.4), (30, 0.3), (90, 0.25), (200, 0.1)]
        self.assertEqual(delay([(curve, 1)], 0), 30, "S(0) = 0.6: half of it (0.3) at 30 days")
        self.assertEqual(delay([(curve, 1)], 5), 30, "still 0.6 at 5 days")
        self.assertEqual(delay([(curve, 1)], 15), 200, "from 0.4: 0.2 first reached at 200 days, not 30")
        self.assertEqual(delay([(curve, 1)], 100), 200, "from 0.25: 0.1 at 200")
        self.assertIsNone(delay([(curve, 1)], 250), "nothing paid that late: no payment expected")
        self.assertIsNone(delay([(curve, 0)], 5), "no weight: nothing to say")
        flat = [(0, 0.9), (40, 0.9)]  # paid at 0, then only open invoices: says nothing past 0
        self.assertEqual(delay([(flat, 10), (curve, 2)], 15), 200, "a curve without payment after the age is left out")
        # mixed: at 30 days (3 x 0.3 / 0.6 + 1 x 0.5) / 4 = 0.5
        self.assertEqual(delay([(curve, 3), ([(0, 1.0), (30, 0.5), (60, 0.0)], 1)], 0), 30)
        self.assertEqual(delay([(curve, 1), ([(0, 1.0), (30, 0.8), (60, 0.0)], 3)], 0), 60,
                         "at 30 days (0.5 + 3 x 0.8) / 4 = 0.725")

    def test_overdue_not_predicted_like_a_fresh_invoice(self):
        """Two invoices of a customer whose history has slow payers and invoices that stay
        open: one 5 days overdue, one 150 days overdue. The old rule predicted the old one
        about 70 days from now (half the days past its prediction); given that it is 150 days
        late and nothing was ever paid that late, no payment is expected, and the forecast says
        so (not for being older than the forecast's 180 days)."""
        slow = self._partner("Slow Payer")
        for delay in (5, 10, 60):
            self._paid_invoice(slow, due_days_ago=100 + delay, paid_days_ago=100)
        fresh = self._ar_invoice(slow, 100.0, days_overdue=5)
        old = self._ar_invoice(slow, 100.0, days_overdue=150)
        predictions = self.Prediction._ar_predict(fresh | old, self.today)
        self.assertEqual(predictions[old.id], (False, False))
        self.assertGreater(predictions[fresh.id][0], self.today)
        customers, priors = self.Prediction._ar_history_stats(slow.ids, self.today)
        old_rule = self.Prediction._ar_predict_date(
            old.invoice_date_due, self.today, self.Prediction._ar_expected_delay(customers[slow.id], priors[self.company.id]))
        self.assertGreater(old_rule, self.today, "the old rule expected it")
        self.Prediction._ar_refresh(slow, self.today)
        self.assertFalse(old.ar_predicted_pay_date)
        forecast = self.env["ar.cash.forecast"].search([("move_id", "in", (fresh | old).ids)])
        self.assertEqual({row.move_id: row.bucket for row in forecast}, {fresh: "week", old: "not_expected"})

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

    def test_pattern_reason_recent_payments_later_than_usual(self):
        """Older 0, 2, 4, 2 (avg 2, spread 1.4): threshold 2 + max(10, 2.1) = 12; recent avg 30.
        The change of pattern explains a flag; it raises none without an overdue balance."""
        slipping = self._partner("Slipping")
        self._history(slipping, older=(0, 2, 4, 2), recent=(25, 35))
        customers, _priors = self.Prediction._ar_history_stats(slipping.ids, self.today)
        self.assertEqual(
            self.Prediction._ar_risk_reason(customers[slipping.id]),
            "Paid 2 invoices 30 days late on average in the last 90 days, against 2 days before "
            "(threshold: 10 days more)")
        self.Prediction._ar_refresh(slipping, self.today)
        self.assertFalse(slipping.ar_at_risk, "nothing overdue: nothing at risk")

    def test_not_at_risk_within_own_spread(self):
        """Older 10, 20, 30, 20 (avg 20, spread 7.1): threshold 20 + 10.6; recent avg 27.5.
        A flag set before is cleared."""
        steady = self._partner("Steady")
        self._history(steady, older=(10, 20, 30, 20), recent=(25, 30))
        steady.write({"ar_at_risk": True, "ar_at_risk_reason": "Old reason"})
        self.Prediction._ar_refresh(steady, self.today)
        self.assertFalse(steady.ar_at_risk)
        self.assertFalse(steady.ar_at_risk_reason)

    def test_pattern_reason_open_invoice_later_than_ever(self):
        """An invoice later than any paid is told as a pattern; the flag follows the
        probability: nothing is known of invoices 15 days overdue (their 30 days are not over),
        the company's even odds (0 + 1) / (0 + 2) = 0.5 are below the 85 % of the flag."""
        punctual = self._partner("Always Punctual")
        self._history(punctual, recent=(3, 5, 4))
        late = self._ar_invoice(punctual, 500.0, days_overdue=20)
        customers, _priors = self.Prediction._ar_history_stats(punctual.ids, self.today)
        self.assertEqual(
            self.Prediction._ar_risk_reason(customers[punctual.id], (late.name, 20)),
            f"{late.name} is 20 days overdue; the customer paid its last 3 invoices at most 5 days late")
        self.Prediction._ar_refresh(punctual, self.today)
        self.assertFalse(punctual.ar_at_risk)
        self.assertEqual(self.Prediction._ar_partner_risk(punctual, self.today), {punctual.id: (0.5, 1)})

    def _settled_history(self, partner, delay):
        """4 invoices due 60 days ago, paid ``delay`` days after their due date; one invoice
        of 1000 now 25 days overdue (its bucket: from 15 days overdue). Their outcome 45 days
        after the due date is known since 15 days: each weighs 0.5 ^ (15 / 45) = 0.794."""
        for _index in range(4):
            self._paid_invoice(partner, due_days_ago=60, paid_days_ago=60 - delay)
        return self._ar_invoice(partner, 1000.0, days_overdue=25)

    def _worklist_band(self, partner):
        return self.env["ar.worklist"].search([("partner_id", "=", partner.id)]).risk_band

    def test_at_risk_from_probability(self):
        """Invoices still unpaid 45 days after their due date: 4 of 4 (weights 3.175), the
        company's only known ones too: (3.175 + 1) / (3.175 + 2) = 0.807 and the customer's
        (3.175 + 3 x 0.807) / (3.175 + 3) = 0.906, the high band: at risk, with the figure.
        The old flag missed it: it paid 4 invoices 50 days late, its open one is 25 days overdue."""
        defaulter = self._partner("Pays Months Late")
        self._settled_history(defaulter, delay=50)
        self.Prediction._ar_refresh(defaulter, self.today)
        self.assertTrue(defaulter.ar_at_risk)
        self.assertEqual(defaulter.ar_at_risk_reason, "91 % probability that its overdue invoices (1) are still "
                                                      "unpaid in 30 days (at risk from 85 %)")
        self.assertEqual(self._worklist_band(defaulter), "high")
        # once paid, the next refresh clears the flag
        self._ar_pay(defaulter.invoice_ids.filtered(lambda move: move.payment_state == "not_paid"), 1000.0)
        self.Prediction._ar_refresh(defaulter, self._days(1))
        self.assertFalse(defaulter.ar_at_risk)
        self.assertFalse(defaulter.ar_at_risk_reason)

    def test_not_at_risk_when_late_invoices_get_paid(self):
        """The customer's open invoice (25 days) is later than any it paid (20 days late): the old
        flag said at risk. Its invoices that late were all paid within 30 more days: company
        (0 + 1) / (3.175 + 2) = 0.193, customer (0 + 3 x 0.193) / (3.175 + 3) = 0.09: low, not at risk."""
        settler = self._partner("Settles Within A Month")
        self._settled_history(settler, delay=20)
        self.Prediction._ar_refresh(settler, self.today)
        self.assertFalse(settler.ar_at_risk)
        self.assertEqual(self._worklist_band(settler), "low")

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
        self.assertEqual(self.inv_other.ar_predicted_pay_date, self._days(18), "as in test_crafted_history_exact_dates")
