import json
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestWorklist(ArCollectionsCommon):
    """The worklist ranks customers by the expected amount at risk = overdue × probability
    that the overdue invoices are still unpaid in 30 days (``_ar_risk_query``).

    Invoices due in the last 365 days, as "days late when paid" or "open, so many days overdue":

    ============== =============================== ==================================
    customer       history                         overdue now
    ============== =============================== ==================================
    Alpha          2 paid 30 days late             1000, 20 days
    Beta           4 paid 10 days early            3000, 70 days
    Gamma          (1 paid 380 days ago: too old)  1500, 10 days
    Overdue Ind.                                   1000, 20 days; 350 left, 5 days
    Punctual P.                                    700, 12 days
    ============== =============================== ==================================

    Company rates (unpaid 30 days later / outcome known, smoothed (late + 1) / (known + 2)).
    Only invoices due more than the bucket + 30 days ago count (paid or not), each weighted
    0.5 ^ ((days overdue - bucket - 30) / 45): the later its outcome, the more it weighs.
    No calibration is learnt on so few invoices: the raw probabilities.

    * bucket 0: Alpha's two (due 40 days ago, paid 30 days late: not late; 0.857 each) and Beta's
      70-day invoice (unpaid; 0.540): (0.540 + 1) / (2.254 + 2) = 0.36198;
    * bucket 15: Beta's invoice alone (0.680, unpaid): 1.680 / 2.680 = 0.62692 (Alpha's paid
      invoices are due 40 days ago: their outcome 45 days after the due date is not known);
    * bucket 60: nothing known (Beta's invoice 70 days overdue is not 90 yet): 0.5.

    * Alpha, 20 days (bucket 15): nothing of its own known there: 0.62692 -> 626.92, medium;
    * Beta, 70 days (bucket 60): 0.5 -> 1500, medium (from 50 %; high from 85 %);
    * Gamma, 10 days (bucket 0): 0.36198 -> 542.96, low; Overdue Industries 1000 x 0.62692 +
      350 x 0.36198 = 753.61; Punctual Partners 700 x 0.36198 = 253.38.

    The worklist reads the rates stored by the nightly refresh (``ar.risk.rate``): the
    class refreshes them once its book is built, a test changing the history again.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha, cls.beta, cls.gamma = cls.env["res.partner"].create([
            {"name": "Alpha Late Payers", "is_company": True},
            {"name": "Beta Punctual Big", "is_company": True},
            {"name": "Gamma Newcomer", "is_company": True},
        ])
        for _i in range(2):
            cls._ar_pay(cls._ar_invoice(cls.alpha, 100.0, days_overdue=40), 100.0, date=cls.today - timedelta(days=10))
        cls.alpha_overdue = cls._ar_invoice(cls.alpha, 1000.0, days_overdue=20)
        for _i in range(4):
            cls._ar_pay(cls._ar_invoice(cls.beta, 200.0, days_overdue=10), 200.0, date=cls.today - timedelta(days=20))
        cls.beta_overdue = cls._ar_invoice(cls.beta, 3000.0, days_overdue=70)
        cls._ar_pay(cls._ar_invoice(cls.gamma, 100.0, days_overdue=400), 100.0, date=cls.today - timedelta(days=380))
        cls.gamma_overdue = cls._ar_invoice(cls.gamma, 1500.0, days_overdue=10)
        cls._ar_refresh_risk()

    @classmethod
    def _ar_refresh_risk(cls):
        """What the nightly refresh stores for the worklist, for every customer invoiced."""
        customers = cls.env["account.move"].search([("move_type", "=", "out_invoice")]).commercial_partner_id
        cls.env["ar.pay.prediction"]._ar_refresh(customers, cls.today)

    def _live_risk(self):
        """{(partner id, company id): probability} learnt from the whole book now, as the
        worklist did at each opening before the rates were stored."""
        rows = self.env.execute_query(SQL(
            """
            SELECT risk.partner_id, risk.company_id,
                   SUM(move.amount_residual_signed * risk.probability) / SUM(move.amount_residual_signed)
              FROM (%s) risk
              JOIN account_move move ON move.id = risk.id
             WHERE move.payment_state IN ('not_paid', 'partial')
          GROUP BY 1, 2
            """, self.env["ar.pay.prediction"]._ar_risk_query(self.today)))
        return {(partner_id, company_id): float(probability) for partner_id, company_id, probability in rows}

    def _rows(self, domain=(), env=None):
        return (env or self.env)["ar.worklist"].search([("company_id", "=", self.company.id), *domain])

    def _row(self, partner, env=None):
        return self._rows([("partner_id", "=", partner.id)], env=env)

    def _filter_domain(self, name, user=None):
        """The domain of the search view's filter ``name``, evaluated as the web client does for ``user``."""
        arch = self.env["ar.worklist"].get_views([(False, "search")])["views"]["search"]["arch"]
        node = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0]
        return safe_eval(node.get("domain"), {
            "uid": (user or self.env.user).id,
            "context_today": lambda: fields.Date.context_today(self.env.user),
            "relativedelta": relativedelta,
        })

    def test_ranking_by_amount_at_risk(self):
        rows = self._rows([("partner_id", "in", (self.alpha | self.beta | self.gamma).ids)])
        self.assertEqual(rows.mapped("partner_id.name"), ["Beta Punctual Big", "Alpha Late Payers", "Gamma Newcomer"])
        expected = {
            # partner: (overdue, paid, late, probability, amount at risk, days overdue, band)
            self.alpha: (1000.0, 2, 2, 0.62692, 626.92, 20, "medium"),
            self.gamma: (1500.0, 0, 0, 0.36198, 542.96, 10, "low"),
            self.beta: (3000.0, 4, 0, 0.5, 1500.0, 70, "medium"),
        }
        for row in rows:
            overdue, paid, late, probability, at_risk, days, band = expected[row.partner_id]
            self.assertAlmostEqual(row.overdue_amount, overdue)
            self.assertEqual((row.paid_count, row.late_count), (paid, late))
            self.assertAlmostEqual(row.risk_probability, probability, places=4)
            self.assertAlmostEqual(row.amount_at_risk, at_risk, places=1)
            self.assertEqual(row.oldest_days_overdue, days)
            self.assertEqual(row.risk_band, band)
            self.assertEqual(row.currency_id, self.company.currency_id)

    def test_risk_query_invoices(self):
        """Per invoice, what the worklist weighs: Overdue Industries' two invoices in buckets 15
        and 0, at the company's 0.62692 and 0.36198; no invoice not yet due, none paid."""
        rows = {row[0]: row[1:] for row in self.env.execute_query(SQL(
            "SELECT id, days_overdue, probability FROM (%s) risk",
            self.env["ar.pay.prediction"]._ar_risk_query(self.today, SQL("invoice.company_id = %s", self.company.id))))}
        self.assertEqual(set(rows), {self.alpha_overdue.id, self.beta_overdue.id, self.gamma_overdue.id,
                                     self.inv_overdue.id, self.inv_partial.id, self.inv_other.id})
        for invoice, days, probability in ((self.inv_overdue, 20, 0.62692), (self.inv_partial, 5, 0.36198),
                                           (self.alpha_overdue, 20, 0.62692), (self.beta_overdue, 70, 0.5)):
            self.assertEqual(rows[invoice.id][0], days)
            self.assertAlmostEqual(float(rows[invoice.id][1]), probability, places=4, msg=invoice.name)
        # 50 days later, Beta's invoice is 120 days overdue: its outcome 30 days after the 60-day mark
        # is known (unpaid, weight 0.5 ^ (30 / 45) = 0.630), the company's only known case there;
        # Gamma's, 60 days overdue, gets it: (0.630 + 1) / (0.630 + 2) = 0.61977, no history of its own
        later = {row[0]: float(row[1]) for row in self.env.execute_query(SQL(
            "SELECT id, probability FROM (%s) risk",
            self.env["ar.pay.prediction"]._ar_risk_query(self.today + timedelta(days=50),
                                                         SQL("invoice.id = %s", self.gamma_overdue.id))))}
        self.assertAlmostEqual(later[self.gamma_overdue.id], 0.61977, places=4)

    def test_isotonic_fit(self):
        """Raw probabilities 0.00 to 0.99, ten bins of ten: observed rates made non-decreasing."""
        fit = self.env["ar.pay.prediction"]._ar_isotonic_fit
        raw = [index / 100 for index in range(100)]
        self.assertIsNone(fit(raw[:99], [index % 2 for index in range(99)]), "fewer than 100 invoices")
        self.assertIsNone(fit(raw, [1] * 100), "a single outcome")
        # 20 % unpaid below 0.5, 90 % above: two blocks at their mean raw probabilities
        outcomes = [int(index % 5 == 0) if index < 50 else int(index % 10 != 0) for index in range(100)]
        xs, ys = fit(raw, outcomes)
        self.assertEqual([round(x, 3) for x in xs], [0.245, 0.745])
        self.assertEqual([round(y, 3) for y in ys], [0.2, 0.9])
        # bin 3 all unpaid, bins 4 and 5 all paid: pooled into 10 of 30; none unpaid below: kept at 1 %
        outcomes = [int(20 <= index < 30) if index < 50 else int(index % 10 != 0) for index in range(100)]
        xs, ys = fit(raw, outcomes)
        self.assertEqual([round(x, 3) for x in xs], [0.095, 0.345, 0.745])
        self.assertEqual([round(y, 3) for y in ys], [0.01, 0.333, 0.9])

    def test_calibrated_probability(self):
        """The company's calibration maps the raw probability: linear between its knots, flat
        beyond them; the worklist reads the one the nightly refresh keeps."""
        calibration = {self.company.id: ([0.3, 0.6], [0.4, 0.9])}
        rows = {row[0]: (float(row[1]), float(row[2])) for row in self.env.execute_query(SQL(
            "SELECT id, raw_probability, probability FROM (%s) risk",
            self.env["ar.pay.prediction"]._ar_risk_query(
                self.today, SQL("invoice.company_id = %s", self.company.id), calibration=calibration)))}
        for invoice, raw, calibrated in ((self.gamma_overdue, 0.36198, 0.4 + 0.06198 * 0.5 / 0.3),
                                         (self.beta_overdue, 0.5, 0.4 + 0.2 * 0.5 / 0.3),
                                         (self.alpha_overdue, 0.62692, 0.9)):
            self.assertAlmostEqual(rows[invoice.id][0], raw, places=4)
            self.assertAlmostEqual(rows[invoice.id][1], calibrated, places=4)
        self.env["ir.config_parameter"].set_param("ar_collections.risk_calibration", json.dumps({
            "date": str(self.today), "companies": {str(self.company.id): [[0.3, 0.6], [0.4, 0.9]]}}))
        self._ar_refresh_risk()
        self.assertEqual((self._row(self.alpha).risk_band, self._row(self.gamma).risk_band), ("high", "medium"))
        self.assertAlmostEqual(self._row(self.alpha).amount_at_risk, 900.0)

    def test_whole_company_ranking(self):
        """The shared customers rank among them; a customer with nothing overdue has no row."""
        nothing_due = self.env["res.partner"].create({"name": "Not Due Yet", "is_company": True})
        self._ar_invoice(nothing_due, 5000.0, days_overdue=-5)
        rows = self._rows()
        self.assertEqual(rows.partner_id.ids,
                         [self.beta.id, self.customer.id, self.alpha.id, self.gamma.id, self.other_customer.id])
        self.assertEqual([round(amount, 2) for amount in rows.mapped("amount_at_risk")],
                         [1500.0, 753.61, 626.92, 542.96, 253.38])
        self.assertEqual(self._row(self.customer).oldest_days_overdue, 20)

    def test_bands_discriminate(self):
        """Delta left 5 invoices unpaid 150 days: at 90 days, each weighs 0.5 ^ (30 / 45) = 0.630,
        the company's rate is (3.150 + 1) / (3.150 + 2) = 0.80582 and Delta's (3.150 + 3 x 0.80582)
        / (3.150 + 3) = 0.90527: high. Its invoices raise the company's rates to 0.46162 below
        15 days, 0.72771 from 15 and 0.74901 from 60: Gamma and Punctual Partners stay low,
        the others are medium (Overdue Industries: (1000 x 0.72771 + 350 x 0.46162) / 1350)."""
        delta = self.env["res.partner"].create({"name": "Delta Never Pays", "is_company": True})
        for _i in range(5):
            self._ar_invoice(delta, 100.0, days_overdue=150)
        self._ar_refresh_risk()
        bands = {row.partner_id: (round(row.risk_probability, 4), row.risk_band) for row in self._rows()}
        self.assertEqual(bands, {
            delta: (0.9053, "high"),
            self.alpha: (0.7277, "medium"),
            self.beta: (0.749, "medium"),
            self.gamma: (0.4616, "low"),
            self.customer: (0.6587, "medium"),
            self.other_customer: (0.4616, "low"),
        })

    def test_stored_ranking_equals_live(self):
        """The worklist ranks on the stored rates as it did learning them at each opening: the
        same probabilities, the same order, also calibrated and with a customer that never pays."""
        delta = self.env["res.partner"].create({"name": "Delta Never Pays", "is_company": True})
        for days in (150, 150, 120, 100, 75):
            self._ar_invoice(delta, 100.0, days_overdue=days)
        self._ar_invoice(delta, 800.0, days_overdue=40)
        self._ar_pay(self._ar_invoice(self.alpha, 300.0, days_overdue=95), 300.0, date=self.today - timedelta(days=50))
        self.env["ir.config_parameter"].set_param("ar_collections.risk_calibration", json.dumps({
            "date": str(self.today), "companies": {str(self.company.id): [[0.3, 0.6, 0.8], [0.2, 0.7, 0.95]]}}))
        self._ar_refresh_risk()
        self.assertEqual(len(self.env["ar.risk.rate"].search([("partner_id", "=", False),
                                                              ("company_id", "=", self.company.id)])), 1)
        live = self._live_risk()
        rows = self._rows()
        self.assertEqual(len(rows), 6)
        for row in rows:
            self.assertAlmostEqual(row.risk_probability, live[row.partner_id.id, row.company_id.id], places=4,
                                   msg=row.partner_id.name)
        ranked = sorted(rows, key=lambda row: (-row.overdue_amount * live[row.partner_id.id, row.company_id.id],
                                               -row.overdue_amount))
        self.assertEqual(rows.partner_id.ids, [row.partner_id.id for row in ranked])
        self.assertEqual(self._row(delta).risk_band, "high")

    def test_new_invoice_before_refresh(self):
        """An invoice posted after the nightly refresh is on the worklist at once: its customer's
        rate for its days overdue (Gamma's new invoice, 25 days: a bucket none of its invoices
        was in), a new customer's the company's; both what learning it now gives (their
        outcomes are not known yet: nothing else changes)."""
        epsilon = self.env["res.partner"].create({"name": "Epsilon Just Invoiced", "is_company": True})
        self._ar_invoice(epsilon, 2000.0, days_overdue=20)
        self._ar_invoice(self.gamma, 500.0, days_overdue=25)
        live = self._live_risk()
        self.assertAlmostEqual(live[epsilon.id, self.company.id], 0.62692, places=4)
        for partner in (epsilon, self.gamma):
            row = self._row(partner)
            self.assertAlmostEqual(row.risk_probability, live[partner.id, self.company.id], places=4)
        self.assertAlmostEqual(self._row(epsilon).amount_at_risk, 1253.84, places=1)
        self.assertAlmostEqual(self._row(self.gamma).risk_probability, (1500 * 0.36198 + 500 * 0.62692) / 2000,
                               places=4)
        self.assertEqual(self._rows().partner_id.ids[:3], [self.beta.id, epsilon.id, self.gamma.id])
        # before any refresh (a new database): even odds
        self.env["ar.risk.rate"].sudo().search([]).unlink()
        self.assertEqual(self._row(epsilon).risk_probability, 0.5)

    def test_opening_queries_do_not_grow(self):
        """The list's page and count as the web client reads them: as many queries with three
        more overdue customers (each with history) as without."""
        view = self.env["ar.worklist"].get_views([(False, "list")])["views"]["list"]
        fields_shown = {node.get("name") for node in etree.fromstring(view["arch"]).iter("field")}
        Worklist = self.env["ar.worklist"]
        spec = {name: {"fields": {"display_name": {}}} if Worklist._fields[name].relational else {}
                for name in fields_shown}

        def opening_queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            result = Worklist.web_search_read([], spec, limit=3, count_limit=10001)
            return self.env.cr.sql_log_count - before, result["length"]

        opening_queries()  # warm-up: views, company rules
        queries, length = opening_queries()
        for index in range(3):
            partner = self.env["res.partner"].create({"name": f"More Overdue {index}", "is_company": True})
            self._ar_pay(self._ar_invoice(partner, 100.0, days_overdue=60), 100.0, date=self.today - timedelta(days=5))
            self._ar_invoice(partner, 100.0 * (index + 1), days_overdue=10 + index)
        self._ar_refresh_risk()
        self.assertEqual(opening_queries(), (queries, length + 3))

    def test_payment_leaves_worklist_and_reranks(self):
        self._ar_pay(self.alpha_overdue, 1000.0)
        self.assertFalse(self._row(self.alpha))
        self._ar_pay(self.beta_overdue, 2000.0)
        # Beta 1000 overdue × 0.5 = 500 now ranks after Overdue Industries (753.61) and Gamma (542.96)
        self.assertAlmostEqual(self._row(self.beta).amount_at_risk, 500.0)
        self.assertEqual(self._rows().partner_id.ids, [self.customer.id, self.gamma.id, self.beta.id,
                                                        self.other_customer.id])

    def test_clicked_not_paid(self):
        """A reminder's pay link signs its invoice; the click shows on the worklist until paid."""
        url = self.alpha_overdue._ar_reminder_lines()[0]["pay_url"]
        self.assertIn(f"/my/invoices/{self.alpha_overdue.id}?access_token={self.alpha_overdue.access_token}", url)
        token = url.split("ar_click=")[1]
        self.assertTrue(self.alpha_overdue._ar_check_pay_link_token(token))
        self.assertFalse(self.beta_overdue._ar_check_pay_link_token(token), "another invoice's signature")
        # its last character changed (a token ending in 0 was left as it was: 1 run in 16 failed)
        self.assertFalse(self.alpha_overdue._ar_check_pay_link_token(token[:-1] + ("1" if token[-1] == "0" else "0")))
        self.assertFalse(self.alpha_overdue._ar_check_pay_link_token(""))
        self.assertFalse(self._rows(self._filter_domain("clicked_not_paid")))
        self.alpha_overdue._ar_record_pay_link_click()
        row = self._row(self.alpha)
        self.assertTrue(row.clicked_not_paid)
        self.assertEqual(row.pay_link_clicked, self.alpha_overdue.ar_pay_link_clicked)
        self.assertEqual(self._rows(self._filter_domain("clicked_not_paid")).partner_id, self.alpha)
        self._ar_pay(self.alpha_overdue, 400.0)
        self.assertTrue(self._row(self.alpha).clicked_not_paid, "partly paid: still clicked, not paid")
        self._ar_pay(self.alpha_overdue, 600.0)
        self.assertFalse(self._rows(self._filter_domain("clicked_not_paid")))

    def test_filters_mine_and_unassigned(self):
        self.alpha.with_company(self.company).ar_collector_id = self.user_collector
        self.gamma.with_company(self.company).ar_collector_id = self.user_ar_manager
        collector_env = self.env(user=self.user_collector)
        mine = collector_env["ar.worklist"].search(self._filter_domain("mine", self.user_collector))
        self.assertEqual(mine.partner_id, self.alpha)
        self.assertEqual(mine.collector_id, self.user_collector)
        unassigned = self._rows(self._filter_domain("unassigned"))
        self.assertEqual(unassigned.partner_id, self.beta | self.customer | self.other_customer)
        by_collector = dict(self.env["ar.worklist"]._read_group(
            [("company_id", "=", self.company.id)], ["collector_id"], ["__count"]))
        self.assertEqual(by_collector, {self.user_collector: 1, self.user_ar_manager: 1, self.env["res.users"]: 3})

    def test_filters_promise_and_dispute(self):
        promise_date = self.today + timedelta(days=5)
        gamma_second = self._ar_invoice(self.gamma, 300.0, days_overdue=4)  # one open promise per invoice
        self.env["ar.promise"].sudo().create([  # sudo: one is history, cancelled
            {"partner_id": self.gamma.id, "invoice_ids": [Command.set(self.gamma_overdue.ids)],
             "amount": 500.0, "promised_date": promise_date},
            {"partner_id": self.gamma.id, "invoice_ids": [Command.set(gamma_second.ids)],
             "amount": 250.0, "promised_date": promise_date + timedelta(days=7)},
            # a cancelled promise is no promise
            {"partner_id": self.alpha.id, "invoice_ids": [Command.set(self.alpha_overdue.ids)],
             "amount": 900.0, "promised_date": promise_date, "state": "cancelled"},
        ])
        dispute = self.env["ar.dispute"].create({
            "partner_id": self.beta.id, "invoice_ids": [Command.set(self.beta_overdue.ids)], "reason": "pricing",
        })
        self.env["ar.dispute"].sudo().create({  # resolved: not counted
            "partner_id": self.alpha.id, "invoice_ids": [Command.set(self.alpha_overdue.ids)],
            "stage": "resolved_rejected",
        })
        with_promise = self._rows(self._filter_domain("open_promise"))
        self.assertEqual(with_promise.partner_id, self.gamma)
        self.assertEqual((with_promise.promise_amount, with_promise.promise_date), (750.0, promise_date))
        with_dispute = self._rows(self._filter_domain("open_dispute"))
        self.assertEqual(with_dispute.partner_id, self.beta)
        self.assertEqual((with_dispute.dispute_count, with_dispute.dispute_amount), (1, 3000.0))
        dispute.action_resolve_credit()
        self.assertFalse(self._rows(self._filter_domain("open_dispute")))

    def test_filters_contact_and_age(self):
        self.assertEqual(self._rows(self._filter_domain("overdue_60")).partner_id, self.beta)
        self.assertEqual(len(self._rows(self._filter_domain("no_recent_contact"))), 5)
        self.env["ar.call.outcome"].create({
            "partner_id": self.alpha.id, "company_id": self.company.id, "outcome": "reached",
        }).action_confirm()
        alpha = self._row(self.alpha)
        self.assertTrue(alpha.last_contact_date)
        self.assertGreaterEqual(alpha.last_contact_date, fields.Datetime.now() - timedelta(minutes=5))
        self.assertEqual(alpha.next_activity_date, self.today + timedelta(days=7))
        self.assertEqual(alpha.next_activity_summary, "Follow-up call")
        stale = self._rows(self._filter_domain("no_recent_contact"))
        self.assertEqual(stale.partner_id, self.gamma | self.customer | self.beta | self.other_customer)

    def test_last_contact_from_reminders(self):
        """A reminder sent counts as contact; the call activity it creates does not."""
        self.policy.jump_to_reached = True  # +14 (with its call) on the first run (go-live option)
        self._ar_run()
        self._ar_dispatch()
        self._ar_send_mail_queue()
        sent = self.env["ar.dunning.message"].sudo().search([
            ("partner_id", "=", self.customer.id), ("state", "=", "sent"), ("channel", "=", "email")])
        self.assertTrue(sent)
        row = self._row(self.customer)
        self.assertEqual(row.last_contact_date, max(sent.mapped("dispatch_date")))
        # the firm reminder (14 days) asks for a call: it is the next action
        self.assertEqual(row.next_activity_date, self.today)

    def test_multi_company_isolation(self):
        company_b = self.setup_other_company(name="Worklist Company B")["company"]
        self._ar_invoice(self.alpha, 400.0, days_overdue=30, company=company_b)
        self.alpha.with_company(self.company).ar_collector_id = self.user_collector
        both = self.env["ar.worklist"].with_context(
            allowed_company_ids=[self.company.id, company_b.id]).search([("partner_id", "=", self.alpha.id)])
        self.assertEqual(both.company_id, self.company | company_b)
        row_b = both.filtered(lambda row: row.company_id == company_b)
        # history is per company: none known in B -> (0 + 1) / (0 + 2) = 0.5; 400 × 0.5 = 200; the
        # collector is company A's only
        self.assertEqual((row_b.overdue_amount, row_b.risk_probability, row_b.amount_at_risk), (400.0, 0.5, 200.0))
        self.assertFalse(row_b.collector_id)
        self.assertEqual(both.filtered(lambda row: row.company_id == self.company).collector_id, self.user_collector)
        only_a = self.env["ar.worklist"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual(only_a.company_id, self.company)
        collector_rows = self.env["ar.worklist"].with_user(self.user_collector).search([])
        self.assertNotIn(company_b, collector_rows.company_id)
        self.assertIn(self.alpha, collector_rows.partner_id)
        with self.assertRaises(AccessError):
            row_b.with_user(self.user_collector).read(["amount_at_risk"])

    def test_assign_collector_wizard(self):
        rows = self._rows([("partner_id", "in", (self.beta | self.gamma).ids)])
        manager_env = self.env(user=self.user_ar_manager)
        wizard_form = Form(manager_env["ar.assign.collector"].with_context(
            active_model="ar.worklist", active_ids=rows.ids))
        wizard_form.user_id = self.user_collector
        wizard = wizard_form.save()
        self.assertEqual(wizard.line_ids.partner_id, self.beta | self.gamma)
        self.assertEqual(wizard.line_ids.company_id, self.company)
        wizard.action_assign()
        self.assertEqual(self.beta.with_company(self.company).ar_collector_id, self.user_collector)
        self.assertEqual(self.gamma.with_company(self.company).ar_collector_id, self.user_collector)
        self.assertFalse(self.alpha.with_company(self.company).ar_collector_id)
        self.assertEqual(self._rows(self._filter_domain("unassigned")).partner_id,
                         self.alpha | self.customer | self.other_customer)
        # from the customers list: the current company
        partner_wizard = Form(manager_env["ar.assign.collector"].with_context(
            active_model="res.partner", active_ids=self.customer_contact.ids))
        partner_wizard.user_id = self.user_ar_manager
        partner_wizard.save().action_assign()
        self.assertEqual(self.customer.with_company(self.company).ar_collector_id, self.user_ar_manager)

    def test_assign_collector_checks(self):
        company_b = self.setup_other_company(name="Worklist Company B")["company"]
        self._ar_invoice(self.alpha, 400.0, days_overdue=30, company=company_b)
        row_b = self.env["ar.worklist"].with_context(allowed_company_ids=company_b.ids).search([])
        wizard = self.env["ar.assign.collector"].with_context(
            active_model="ar.worklist", active_ids=row_b.ids).create({"user_id": self.user_collector.id})
        with self.assertRaisesRegex(UserError, "cannot work in Worklist Company B"):
            wizard.action_assign()
        self.assertFalse(self.alpha.with_company(company_b).ar_collector_id)
        with self.assertRaises(AccessError):
            self.env["ar.assign.collector"].with_user(self.user_collector).create({"user_id": self.user_collector.id})
        collector_b = new_test_user(self.env, "ar_worklist_b", groups="base.group_user",
                                    company_id=company_b.id, company_ids=[Command.set(company_b.ids)])
        wizard.user_id = collector_b
        wizard.action_assign()
        self.assertEqual(self.alpha.with_company(company_b).ar_collector_id, collector_b)
        self.assertFalse(self.alpha.with_company(self.company).ar_collector_id)


@tagged("post_install", "-at_install")
class TestPayLinkRoute(ArCollectionsCommon, HttpCase):
    """The pay link of a reminder opens the invoice's portal page and records the click; a
    signature that is not the invoice's gives a clean 404 and records nothing."""

    def test_pay_link_click(self):
        base = self.inv_overdue.get_base_url()
        path = self.inv_overdue._ar_pay_link_url()[len(base):]
        token = path.split("ar_click=")[1]
        other = self.inv_other._ar_pay_link_url()[len(base):].split("&ar_click=")[0]
        for forged in (path[:-4] + "0000", f"{other}&ar_click={token}", path.replace(token, "")):
            self.assertEqual(self.url_open(forged, allow_redirects=False).status_code, 404, forged)
        (self.inv_overdue | self.inv_other).invalidate_recordset(["ar_pay_link_clicked"])
        self.assertFalse(any((self.inv_overdue | self.inv_other).mapped("ar_pay_link_clicked")))
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.inv_overdue.name, response.text)
        self.inv_overdue.invalidate_recordset(["ar_pay_link_clicked"])
        self.assertTrue(self.inv_overdue.ar_pay_link_clicked)
        self.assertTrue(self.env["ar.worklist"].search([("partner_id", "=", self.customer.id)]).clicked_not_paid)
