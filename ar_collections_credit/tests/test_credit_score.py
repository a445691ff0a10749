from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestCreditScore(ArCollectionsCommon):
    """Payment scores on crafted histories: every expected figure is computed by hand from
    the formula in the ar.credit.score docstring (prior: 10 days late, 30 % late, weight 2)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Score = cls.env["ar.credit.score"].sudo()
        cls.level = cls.policy.level_ids.sorted("offset_days")[:1]

    def _new_customer(self, name):
        return self.env["res.partner"].create({"name": name, "is_company": True})

    def _pay_on(self, invoice, paid_days_ago, amount=None):
        """Pay ``invoice`` (in full unless ``amount``) ``paid_days_ago`` days ago, without the score hook."""
        values = {"payment_date": self.today - timedelta(days=paid_days_ago)}
        if amount:
            values["amount"] = amount
        return self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids, ar_credit_skip_score=True,
        ).create(values)._create_payments()

    def _paid(self, partner, days_late, paid_days_ago, amount=100.0):
        """An invoice paid ``paid_days_ago`` days ago, ``days_late`` days after its due date."""
        invoice = self._ar_invoice(partner, amount, days_overdue=paid_days_ago + days_late)
        self._pay_on(invoice, paid_days_ago)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        return invoice

    def _promise(self, invoices, promised_days_ago, grace_days=3, **values):
        # sudo: ``values`` may set a state, as the promise check would have
        return self.env["ar.promise"].sudo().create({
            "partner_id": invoices.commercial_partner_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "amount": 100.0,
            "promised_date": self.today - timedelta(days=promised_days_ago),
            "grace_days": grace_days,
            **values,
        })

    def _dispute(self, invoices, stage):
        # history, in the stage the dispute's actions left it (one open dispute per invoice)
        return self.env["ar.dispute"].sudo().create({
            "partner_id": invoices.commercial_partner_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "reason": "pricing",
            "stage": stage,
        })

    def _log(self, invoice, offset, channel, state="sent", partner=None, date=None):
        return self.env["ar.dunning.log"].sudo().create({
            "invoice_id": invoice.id,
            "partner_id": (partner or invoice.commercial_partner_id).id,
            "company_id": invoice.company_id.id,
            "level_id": self.level.id,
            "level_offset": offset,
            "channel": channel,
            "state": state,
            "date": date or fields.Datetime.now(),
        })

    def _assert_snapshot(self, snapshot, score, **components):
        self.assertEqual(len(snapshot), 1)
        for name, value in components.items():
            self.assertAlmostEqual(snapshot[name], value, places=2, msg=name)
        self.assertEqual(snapshot.score, score)

    # ------------------------------------------------------------------
    # Crafted histories
    # ------------------------------------------------------------------

    def test_brand_new_customer_scores_85(self):
        partner = self._new_customer("Fresh Start Ltd")
        snapshot = self.Score._ar_compute_scores(partner)
        # Only the prior: 0.75 x 10 days + 25 x 30 % = 7.5 + 7.5
        self._assert_snapshot(
            snapshot, 85, paid_invoice_count=0, avg_days_late=0, adjusted_avg_days_late=10,
            late_share=0, adjusted_late_share=0.3, trend_days=0, penalty_days_late=7.5,
            penalty_late_share=7.5, penalty_trend=0, penalty_promises=0, penalty_disputes=0,
            penalty_dunning=0, penalty_total=15,
        )
        self.assertEqual(snapshot.partner_id, partner)
        self.assertEqual(snapshot.date, self.today)
        self.assertEqual(partner.ar_credit_score, 85)
        self.assertEqual(partner.ar_credit_score_id, snapshot)
        self.assertEqual(partner.ar_credit_score_date, self.today)
        # first score: the reference a later drop is measured from
        self.assertEqual(partner.ar_credit_review_score, 85)
        self.assertEqual(partner.ar_credit_review_date, self.today)

    def test_punctual_payer(self):
        partner = self._new_customer("Prompt Payers")
        self._paid(partner, 0, 10)
        self._paid(partner, -5, 20)  # paid 5 days early: 0 days late, not -5
        self._paid(partner, 0, 120)
        self._paid(partner, 0, 200)
        self._paid(partner, 50, 400)  # paid more than 365 days ago: out of the window
        self._ar_invoice(partner, 100.0, days_overdue=45)  # not paid: not a payment
        # contacts' invoices are the company's
        contact = self.env["res.partner"].create({"name": "Paula Prompt", "parent_id": partner.id})
        self._paid(contact, 0, 30)
        snapshot = self.Score._ar_compute_scores(contact)
        # 5 paid, 0 late: adjusted (0 + 20) / 7 = 2.857 days -> 2.14; share (0 + 0.6) / 7 -> 2.14
        self._assert_snapshot(
            snapshot, 96, paid_invoice_count=5, late_invoice_count=0, avg_days_late=0,
            adjusted_avg_days_late=20 / 7, late_share=0, adjusted_late_share=0.6 / 7,
            recent_invoice_count=3, recent_avg_days_late=0, older_avg_days_late=0, trend_days=0,
            penalty_days_late=0.75 * 20 / 7, penalty_late_share=25 * 0.6 / 7, penalty_trend=0,
            penalty_total=0.75 * 20 / 7 + 25 * 0.6 / 7,
        )
        self.assertEqual(snapshot.partner_id, partner)
        self.assertEqual(partner.ar_credit_score, 96)
        self.assertFalse(contact.ar_credit_score_id, "the score is the commercial partner's")

    def test_chronic_late_payer(self):
        partner = self._new_customer("Always Later Inc")
        for paid_days_ago in (10, 30, 60, 100, 150, 250):
            self._paid(partner, 30, paid_days_ago)
        snapshot = self.Score._ar_compute_scores(partner)
        # adjusted days late (180 + 20) / 8 = 25 -> 18.75; share (6 + 0.6) / 8 = 0.825 -> 20.625
        # 100 - 39.375 = 60.625 -> 61
        self._assert_snapshot(
            snapshot, 61, paid_invoice_count=6, late_invoice_count=6, avg_days_late=30,
            adjusted_avg_days_late=25, late_share=1, adjusted_late_share=0.825,
            recent_invoice_count=3, recent_avg_days_late=30, older_avg_days_late=30, trend_days=0,
            penalty_days_late=18.75, penalty_late_share=20.625, penalty_trend=0, penalty_total=39.375,
        )

    def test_worsening_trend(self):
        worse = self._new_customer("Sliding Ltd")
        self._paid(worse, 0, 150)
        self._paid(worse, 0, 200)
        self._paid(worse, 12, 10)
        self._paid(worse, 12, 30)
        better = self._new_customer("Mending Ltd")
        self._paid(better, 12, 150)
        self._paid(better, 12, 200)
        self._paid(better, 0, 10)
        self._paid(better, 0, 30)
        snapshots = self.Score._ar_compute_scores(worse | better)
        self.assertEqual(snapshots.partner_id, worse | better)
        # Both: adjusted (24 + 20) / 6 = 7.33 -> 5.5; share (2 + 0.6) / 6 = 0.4333 -> 10.83.
        # Worse: recent 12, older 0, trend +12 -> 6 more: 100 - 22.33 = 77.67 -> 78
        self._assert_snapshot(
            snapshots.filtered(lambda s: s.partner_id == worse), 78,
            paid_invoice_count=4, late_invoice_count=2, avg_days_late=6, late_share=0.5,
            recent_invoice_count=2, recent_avg_days_late=12, older_avg_days_late=0, trend_days=12,
            penalty_days_late=5.5, penalty_late_share=2.6 / 6 * 25, penalty_trend=6,
        )
        # Better: trend -12, no penalty: 100 - 16.33 = 83.67 -> 84
        self._assert_snapshot(
            snapshots.filtered(lambda s: s.partner_id == better), 84,
            recent_avg_days_late=0, older_avg_days_late=12, trend_days=-12, penalty_trend=0,
        )

    def test_broken_promises(self):
        partner = self._new_customer("Promises Promises")
        unpaid = self._ar_invoice(partner, 100.0, days_overdue=20)
        paid_after = self._ar_invoice(partner, 100.0, days_overdue=40)
        paid_before = self._ar_invoice(partner, 100.0, days_overdue=40)
        other_unpaid = self._ar_invoice(partner, 100.0, days_overdue=60)
        # One open promise per invoice at a time: past ones are history, in the state the
        # promise check gave them (the score reads their dates and payments, not that state).
        self._promise(unpaid, 10, state="broken")  # until 7 days ago, still unpaid: broken
        self._promise(paid_after, 20, state="broken")  # until 17 days ago, paid 5 days ago: broken
        self._promise(paid_before, 20, state="kept")  # until 17 days ago, paid 25 days ago: kept
        self._promise(other_unpaid, 30, state="cancelled")  # cancelled: not counted
        self._promise(unpaid, -5)  # promised for later: not due yet
        self._promise(other_unpaid, 400, state="broken")  # broken more than a year ago: out of the window
        self._pay_on(paid_after, 5)  # 35 days late
        self._pay_on(paid_before, 25)  # 15 days late
        snapshot = self.Score._ar_compute_scores(partner)
        # adjusted (50 + 20) / 4 = 17.5 -> 13.125; share (2 + 0.6) / 4 = 0.65 -> 16.25; 2 broken -> 10
        # 100 - 39.375 = 60.625 -> 61
        self._assert_snapshot(
            snapshot, 61, paid_invoice_count=2, late_invoice_count=2, avg_days_late=25,
            adjusted_avg_days_late=17.5, broken_promise_count=2, penalty_days_late=13.125,
            penalty_late_share=16.25, penalty_promises=10, penalty_total=39.375,
        )

    def test_lost_disputes(self):
        partner = self._new_customer("Quarrelsome Co")
        invoice = self._ar_invoice(partner, 100.0, days_overdue=10)
        self._dispute(invoice, "resolved_rejected")
        self._dispute(invoice, "resolved_credit")
        self._dispute(invoice, "review")
        old = self._dispute(invoice, "resolved_rejected")
        self.env.flush_all()
        self.env.cr.execute("UPDATE ar_dispute SET create_date = %s WHERE id = %s",
                            (datetime.now() - timedelta(days=400), old.id))
        snapshot = self.Score._ar_compute_scores(partner)
        self._assert_snapshot(snapshot, 80, lost_dispute_count=1, penalty_disputes=5, penalty_total=20)
        # a third lost dispute would be 15 points: capped at 10
        self._dispute(invoice, "resolved_rejected")
        self._dispute(invoice, "resolved_rejected")
        snapshot = self.Score._ar_compute_scores(partner)
        self._assert_snapshot(snapshot, 75, lost_dispute_count=3, penalty_disputes=10)
        self.assertEqual(self.Score.search_count([("partner_id", "=", partner.id)]), 1,
                         "one snapshot per customer and day: the second computation updated it")

    def test_history_keeps_one_snapshot_per_day(self):
        partner = self._new_customer("Long Standing")
        yesterday = self.Score._ar_compute_scores(partner)
        yesterday.date = fields.Date.today() - timedelta(days=1)
        self._dispute(self._ar_invoice(partner, 100.0, days_overdue=10), "resolved_rejected")
        today = self.Score._ar_compute_scores(partner)
        self.assertNotEqual(today, yesterday)
        self.assertEqual((yesterday.score, today.score), (85, 80), "yesterday's figures are kept")
        self.assertEqual(partner.ar_credit_score_id, today)
        self.assertEqual(self.Score.search_count([("partner_id", "=", partner.id)]), 2)

    def test_dunning_level_reached(self):
        partner = self._new_customer("Reminded Often")
        contact = self.env["res.partner"].create({"name": "Rita Reminded", "parent_id": partner.id})
        invoice = self._ar_invoice(partner, 100.0, days_overdue=50)
        other = self._ar_invoice(partner, 100.0, days_overdue=80)
        self._log(invoice, 9, "email")
        self._log(invoice, 21, "sms", partner=contact)  # a contact's reminder counts for the company
        self._log(invoice, 45, "letter", state="queued")  # not sent
        self._log(other, 70, "email", state="failed")  # not sent
        self._log(invoice, 60, "phone", date=fields.Datetime.now() - timedelta(days=400))  # too old
        snapshot = self.Score._ar_compute_scores(partner)
        # 21 / 3 = 7 points: 85 - 7 = 78
        self._assert_snapshot(snapshot, 78, max_dunning_offset=21, penalty_dunning=7, penalty_total=22)
        self._log(other, 45, "sms")
        snapshot = self.Score._ar_compute_scores(partner)
        self._assert_snapshot(snapshot, 75, max_dunning_offset=45, penalty_dunning=10)  # capped

    def test_everything_wrong_hits_every_cap(self):
        partner = self._new_customer("Worst Case Ltd")
        self._paid(partner, 0, 150)
        self._paid(partner, 0, 200)
        for paid_days_ago in (5, 10, 20, 30):
            self._paid(partner, 80, paid_days_ago)
        unpaid = self._ar_invoice(partner, 100.0, days_overdue=90)
        for days in (10, 20, 30, 40):
            self._promise(unpaid, days, state="broken")
        for _i in range(3):
            self._dispute(unpaid, "resolved_rejected")
        self._log(unpaid, 60, "email")
        snapshot = self.Score._ar_compute_scores(partner)
        # adjusted (320 + 20) / 8 = 42.5 -> 31.9 capped 30; share (4 + 0.6) / 8 = 0.575 -> 14.375;
        # trend 80 -> 10 (cap); 4 broken -> 15 (cap); 3 lost -> 10 (cap); level 60 -> 10 (cap)
        # 100 - 89.375 = 10.625 -> 11
        self._assert_snapshot(
            snapshot, 11, paid_invoice_count=6, late_invoice_count=4, adjusted_avg_days_late=42.5,
            trend_days=80, broken_promise_count=4, lost_dispute_count=3, max_dunning_offset=60,
            penalty_days_late=30, penalty_late_share=14.375, penalty_trend=10, penalty_promises=15,
            penalty_disputes=10, penalty_dunning=10, penalty_total=89.375,
        )

    def test_score_clipped_and_rounded(self):
        worst = self.Score._ar_score_values({
            "paid": 1000, "late": 1000, "days_late": 100000, "recent_paid": 500, "recent_days_late": 100000,
            "broken": 10, "lost": 10, "dunning": 90,
        })
        # 30 + 25 x 1000.6 / 1002 + 10 + 15 + 10 + 10 = 99.96: score 0, never below
        self.assertEqual(worst["score"], 0)
        self.assertAlmostEqual(worst["penalty_total"], 75 + 25 * 1000.6 / 1002)
        best = self.Score._ar_score_values({"paid": 10000, "late": 0, "days_late": 0})
        self.assertEqual(best["score"], 100)  # 100 - 0.0015 - 0.0015
        # half a point rounds up: 9 paid, 3 late, 45 days -> 0.75 x 65/11 + 25 x 3.6/11 = 12.6136
        self.assertEqual(self.Score._ar_score_values({"paid": 9, "late": 3, "days_late": 45})["score"], 87)
        # exact .5: 2 paid, 2 late, 2 days -> 0.75 x 22/4 + 25 x 2.6/4 = 4.125 + 16.25 = 20.375
        half = self.Score._ar_score_values({"paid": 2, "late": 2, "days_late": 2, "dunning": 3.375})
        self.assertAlmostEqual(half["penalty_total"], 21.5)
        self.assertEqual(half["score"], 79)  # 78.5 rounds half up

    # ------------------------------------------------------------------
    # Performance
    # ------------------------------------------------------------------

    def _count_queries(self, partners):
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        self.Score._ar_compute_scores(partners)
        return self.env.cr.sql_log_count - start

    def test_query_count_does_not_grow(self):
        few = self._new_customer("Few Invoices")
        many = self._new_customer("Many Invoices")
        for i in range(2):
            self._paid(few, i, 10 + i)
        for i in range(20):
            self._paid(many, i, 10 + i)
        group = self._new_customer("Group A") | self._new_customer("Group B") | self._new_customer("Group C")
        for partner in group:
            self._paid(partner, 3, 40)
            self._ar_invoice(partner, 100.0, days_overdue=5)
        self._count_queries(self._new_customer("Warm Up"))  # registry caches (ormcache) filled once
        few_count = self._count_queries(few)
        self.assertEqual(self._count_queries(many), few_count, "20 invoices cost what 2 do")
        self.assertEqual(self._count_queries(group), few_count, "3 customers cost what 1 does")
        self.assertLessEqual(few_count, 15, few_count)
        self.assertEqual(many.ar_credit_score_id.paid_invoice_count, 20)
        self.assertEqual(few.ar_credit_score_id.paid_invoice_count, 2)

    # ------------------------------------------------------------------
    # Triggers
    # ------------------------------------------------------------------

    def test_score_recomputed_on_payment(self):
        partner = self._new_customer("Pays Eventually")
        invoice = self._ar_invoice(partner, 500.0, days_overdue=10)
        self._ar_pay(invoice, 200.0)  # partial: scored, but not paid yet
        self.assertEqual(partner.ar_credit_score, 85)
        self.assertEqual(partner.ar_credit_score_id.paid_invoice_count, 0)
        self._ar_pay(invoice, 300.0)  # paid today, 10 days late
        # adjusted (10 + 20) / 3 = 10 -> 7.5; share (1 + 0.6) / 3 -> 13.33: 79.17 -> 79
        self._assert_snapshot(partner.ar_credit_score_id, 79, paid_invoice_count=1, avg_days_late=10,
                              late_share=1, recent_invoice_count=1)
        self.assertEqual(partner.ar_credit_score, 79)
        self.assertEqual(self.Score.search_count([("partner_id", "=", partner.id)]), 1,
                         "today's snapshot is updated, not duplicated, by each payment")
        # the reference stays the first score
        self.assertEqual(partner.ar_credit_review_score, 85)
        # imports and data fixes can switch the hook off
        other = self._ar_invoice(partner, 100.0, days_overdue=3)
        self._pay_on(other, 0)
        self.assertEqual(self.Score.search_count([("partner_id", "=", partner.id)]), 1)
        self.assertEqual(partner.ar_credit_score, 79)

    def test_credit_note_reconciliation_rescores(self):
        partner = self._new_customer("Credited Corp")
        invoice = self._ar_invoice(partner, 300.0, days_overdue=15)
        self._ar_credit_note(invoice, 300.0)
        # a fully credited invoice is "reversed", not paid: still the prior only
        self.assertEqual(invoice.payment_state, "reversed")
        self._assert_snapshot(partner.ar_credit_score_id, 85, paid_invoice_count=0)

    # ------------------------------------------------------------------
    # Suggested credit limit
    # ------------------------------------------------------------------

    def test_suggested_limit(self):
        partner = self._new_customer("Growing Business")
        recent = self._ar_invoice(partner, 1000.0, days_overdue=-10)
        self._ar_invoice(partner, 2500.0, days_overdue=100)
        self._ar_invoice(partner, 3000.0, days_overdue=300)
        self._ar_invoice(partner, 5000.0, days_overdue=400)  # invoiced 430 days ago: not in the 12 months
        self._ar_invoice(partner, 9999.0, post=False)  # draft
        self._ar_credit_note(recent, 700.0)
        unscored = self._new_customer("Never Scored")
        self._ar_invoice(unscored, 1000.0)
        Score = self.Score
        Score._ar_compute_scores(partner)
        self.assertEqual(partner.ar_credit_score, 85)
        # (1000 + 2500 + 3000 - 700) / 12 = 483.33 a month, x 2 months = 966.67 -> 1000
        self.assertEqual(Score._ar_suggested_limits(partner | unscored, self.company),
                         {partner.id: 1000.0, unscored.id: 0.0})
        self.assertEqual(partner.sudo().with_company(self.company).ar_credit_suggested_limit, 1000.0)
        for score, limit in ((70, 700.0), (45, 500.0), (30, 200.0), (19, 0.0)):
            partner.sudo().ar_credit_score = score
            self.assertEqual(Score._ar_suggested_limits(partner, self.company)[partner.id], limit, score)
        other_company = self.env["res.company"].create({"name": "No Sales Here"})
        self.assertEqual(Score._ar_suggested_limits(partner, other_company), {partner.id: 0.0})

    def test_limit_months_by_score(self):
        months = {score: self.Score._ar_limit_months(score) for score in (100, 80, 79, 60, 59, 40, 39, 20, 19, 0)}
        self.assertEqual(months, {100: 2.0, 80: 2.0, 79: 1.5, 60: 1.5, 59: 1.0, 40: 1.0, 39: 0.5, 20: 0.5,
                                  19: 0.0, 0: 0.0})

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------

    def _run_cron_batch(self, batch_size):
        cron = self.env.ref("ar_collections_credit.ir_cron_credit_score")
        _cron, progress = cron.sudo()._add_progress()
        scored = self.Score.with_context(ir_cron_progress_id=progress.id)._cron_compute_scores(batch_size=batch_size)
        return scored, progress

    def test_cron_batches(self):
        Partner = self.env["res.partner"].sudo()
        never, yesterday, last_week = (Partner.create({"name": name, "is_company": True, "customer_rank": 1})
                                       for name in ("Never Scored", "Scored Yesterday", "Scored Last Week"))
        contact = Partner.create({"name": "Not Commercial", "parent_id": never.id, "customer_rank": 1})
        prospect = Partner.create({"name": "Not A Customer", "is_company": True})
        # every other customer of the database is already scored today
        others = Partner.search(self.Score._ar_customer_domain()) - never - yesterday - last_week
        others.write({"ar_credit_score_date": self.today})
        yesterday.ar_credit_score_date = self.today - timedelta(days=1)
        last_week.ar_credit_score_date = self.today - timedelta(days=7)

        scored, progress = self._run_cron_batch(2)
        self.assertEqual(scored, never | last_week, "never scored first, then the oldest scores")
        self.assertEqual((progress.done, progress.remaining), (2, 1))
        self.assertEqual(never.ar_credit_score_date, self.today)
        self.assertEqual(never.ar_credit_score, 85)
        self.assertEqual(yesterday.ar_credit_score_date, self.today - timedelta(days=1))

        # the scheduler commits and calls again; a killed run resumes the same way
        scored, progress = self._run_cron_batch(2)
        self.assertEqual(scored, yesterday)
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        scored, progress = self._run_cron_batch(2)
        self.assertFalse(scored)
        self.assertEqual((progress.done, progress.remaining), (0, 0))
        self.assertEqual(self.Score.search_count([("partner_id", "in", (contact | prospect).ids)]), 0)
        self.assertEqual(self.Score.search_count([("partner_id", "=", never.id)]), 1)
