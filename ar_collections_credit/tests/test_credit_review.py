from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestCreditReview(ArCollectionsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_ctx = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.credit_manager = new_test_user(
            cls.env, "ar_review_mgr", groups="base.group_user,ar_collections_credit.group_ar_credit_manager",
            name="Carla Credit", **company_ctx,
        )
        cls.head_of_credit = new_test_user(
            cls.env, "ar_review_head", groups="base.group_user,ar_collections_credit.group_ar_credit_manager",
            name="Hector Head", **company_ctx,
        )
        cls.Score = cls.env["ar.credit.score"].sudo()
        cls.review_type = cls.env.ref("ar_collections_credit.mail_activity_type_credit_review")
        cls.company.write({"ar_credit_review_drop": 15, "ar_credit_review_months": 12})

    def _customer(self, name, score=None, review_score=None):
        """A customer invoiced by the company, scored ``score`` after a review at ``review_score``."""
        partner = self.env["res.partner"].create({"name": name, "is_company": True})
        self._ar_invoice(partner, 100.0, days_overdue=-10)
        if score is not None:
            partner.sudo().write({
                "ar_credit_score": score,
                "ar_credit_score_date": self.today,
                "ar_credit_review_score": review_score,
                "ar_credit_review_date": self.today - timedelta(days=200),
            })
        return partner

    def _limit(self, partner, limit, reviewed_on):
        partner = partner.sudo().with_company(self.company)
        partner.credit_limit = limit
        partner.ar_credit_limit_date = reviewed_on

    def _reviews(self, partners):
        return self.env["mail.activity"].sudo().search([
            ("res_model", "=", "res.partner"), ("res_id", "in", partners.ids),
            ("activity_type_id", "=", self.review_type.id),
        ], order="res_id")

    def _run(self, batch_size=500):
        cron = self.env.ref("ar_collections_credit.ir_cron_credit_review")
        _cron, progress = cron.sudo()._add_progress()
        done = self.Score.with_context(ir_cron_progress_id=progress.id)._cron_credit_review(batch_size=batch_size)
        self.assertEqual(progress.done, done)
        return progress

    def test_score_drop_creates_one_review(self):
        self.company.ar_credit_manager_id = self.head_of_credit
        dropped = self._customer("Dropped Ltd", 61, 82)
        at_threshold = self._customer("Just Enough Ltd", 60, 75)
        small_drop = self._customer("Small Dip Ltd", 56, 70)
        improved = self._customer("Better Ltd", 90, 60)
        not_ours = self.env["res.partner"].create({"name": "Never Invoiced Here", "is_company": True,
                                                   "customer_rank": 1})
        not_ours.sudo().write({"ar_credit_score": 10, "ar_credit_score_date": self.today,
                               "ar_credit_review_score": 90})
        self._run()
        reviews = self._reviews(dropped | at_threshold | small_drop | improved | not_ours)
        self.assertEqual(reviews.mapped("res_id"), sorted((dropped | at_threshold).ids))
        review = reviews.filtered(lambda a: a.res_id == dropped.id)
        self.assertEqual(review.summary, "Score fell from 82 to 61 since the last review")
        self.assertEqual(review.user_id, self.head_of_credit)
        self.assertEqual(review.activity_type_id, self.review_type)
        self.assertEqual(review.date_deadline, self.today + timedelta(days=7))
        self.assertIn("Payment score 61 (82 at the last review)", str(review.note))
        self.assertEqual(reviews.filtered(lambda a: a.res_id == at_threshold.id).summary,
                         "Score fell from 75 to 60 since the last review")

        # the weekly run again (or a rerun after a crash): no second review
        progress = self._run()
        self.assertEqual(self._reviews(dropped | at_threshold), reviews)
        self.assertEqual((progress.done, progress.remaining), (0, 0))

    def test_stale_limit_creates_review(self):
        self.company.ar_credit_manager_id = False
        stale_date = self.today - relativedelta(months=13)
        stale = self._customer("Old Limit Ltd")
        self._limit(stale, 5000.0, stale_date)
        fresh = self._customer("Fresh Limit Ltd")
        self._limit(fresh, 5000.0, self.today - relativedelta(months=11))
        never = self._customer("Never Reviewed Ltd")
        self._limit(never, 3000.0, False)
        no_limit = self._customer("No Limit Ltd")
        self._limit(no_limit, 0.0, stale_date)
        self._run()
        reviews = self._reviews(stale | fresh | never | no_limit)
        self.assertEqual(reviews.mapped("res_id"), sorted((stale | never).ids))
        by_partner = {review.res_id: review for review in reviews}
        self.assertEqual(by_partner[stale.id].summary, f"Credit limit not reviewed since {stale_date.isoformat()}")
        self.assertEqual(by_partner[never.id].summary, "Credit limit never reviewed")
        # no credit manager set on the company: its first Credit Manager (not OdooBot)
        self.assertEqual(reviews.user_id, self.credit_manager)

        # a shorter review period makes the 11-month-old limit stale too; the others keep their one review
        self.company.ar_credit_review_months = 6
        self._run()
        self.assertEqual(self._reviews(stale | fresh | never | no_limit).mapped("res_id"),
                         sorted((stale | fresh | never).ids))
        self.assertEqual(len(self._reviews(stale)), 1)

    def test_company_default_limit_is_not_reviewed_per_customer(self):
        self.env["ir.default"].set("res.partner", "credit_limit", 2000.0, company_id=self.company.id)
        inherits = self._customer("Default Limit Ltd")
        own = self._customer("Own Limit Ltd")
        self._limit(own, 4000.0, False)
        self.assertEqual(inherits.with_company(self.company).credit_limit, 2000.0)
        self._run()
        self.assertEqual(self._reviews(inherits | own).mapped("res_id"), own.ids)

    def test_both_reasons_in_one_review(self):
        self.company.ar_credit_manager_id = self.head_of_credit
        partner = self._customer("Double Trouble Ltd", 50, 80)
        old = self.today - relativedelta(months=14)
        self._limit(partner, 8000.0, old)
        self._run()
        review = self._reviews(partner)
        self.assertEqual(review.summary,
                         f"Score fell from 80 to 50 since the last review. Credit limit not reviewed since {old}")

    def test_first_score_is_the_reference(self):
        self.company.ar_credit_manager_id = self.head_of_credit
        partner = self._customer("Starts Well Ltd")
        self.Score._ar_compute_scores(partner)
        self.assertEqual((partner.ar_credit_score, partner.ar_credit_review_score), (85, 85))
        self._run()
        self.assertFalse(self._reviews(partner))
        # then two invoices paid 40 days late: adjusted (80 + 20) / 4 = 25 -> 18.75,
        # share (2 + 0.6) / 4 -> 16.25: 100 - 35 = 65
        for paid_days_ago in (5, 15):
            invoice = self._ar_invoice(partner, 100.0, days_overdue=paid_days_ago + 40)
            self._ar_pay(invoice, 100.0, date=self.today - timedelta(days=paid_days_ago))
        self.assertEqual((partner.ar_credit_score, partner.ar_credit_review_score), (65, 85))
        self._run()
        self.assertEqual(self._reviews(partner).summary, "Score fell from 85 to 65 since the last review")

    def test_batches(self):
        self.company.ar_credit_manager_id = self.head_of_credit
        partners = self._customer("Batch A", 40, 80) | self._customer("Batch B", 40, 80) \
            | self._customer("Batch C", 40, 80)
        pending = sum(len(self.Score.with_company(company)._ar_review_candidates(company))
                      for company in self.env["res.company"].sudo().search([]))
        self.assertGreaterEqual(pending, 3)
        progress = self._run(batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (2, pending - 2))
        self.assertEqual(len(self._reviews(partners)), 2)
        progress = self._run(batch_size=pending)
        self.assertEqual((progress.done, progress.remaining), (pending - 2, 0))
        self.assertEqual(len(self._reviews(partners)), 3)

    def test_mark_reviewed_closes_review(self):
        self.company.ar_credit_manager_id = self.head_of_credit
        partner = self._customer("Reviewed Ltd", 61, 82)
        self._limit(partner, 5000.0, self.today - relativedelta(months=13))
        self._run()
        review = self._reviews(partner)
        self.assertEqual(len(review), 1)
        partner.with_user(self.credit_manager).action_ar_credit_mark_reviewed()
        self.assertFalse(review.exists(), "the review activity is done")
        self.assertEqual(partner.ar_credit_review_date, self.today)
        self.assertEqual(partner.ar_credit_review_score, 61)
        self.assertEqual(partner.sudo().with_company(self.company).ar_credit_limit_date, self.today)
        done = self.env["mail.message"].sudo().search([
            ("model", "=", "res.partner"), ("res_id", "=", partner.id),
            ("mail_activity_type_id", "=", self.review_type.id),
        ])
        self.assertEqual(len(done), 1)
        self.assertIn("Credit reviewed.", str(done.body))
        self.assertEqual(done.author_id, self.credit_manager.partner_id)
        # reviewed: nothing to review next week
        self._run()
        self.assertFalse(self._reviews(partner))
