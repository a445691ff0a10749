from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import ArCreditCommon


@tagged("post_install", "-at_install")
class TestCreditLimitReview(ArCreditCommon):
    """Suggested limits reviewed and approved in bulk by a Credit Manager, each change logged on the
    customer (issue 18, point 8)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 2,400.00 of sales in 12 months, score 90: 2 months of sales, 400.00
        cls.good = cls._scored("Good Payers", 2400.0, 90)
        # 1,200.00, score 45: 1 month, 100.00
        cls.fair = cls._scored("Fair Payers", 1200.0, 45)
        cls.unscored = cls.env["res.partner"].create({"name": "Never Scored", "is_company": True})
        cls._ar_invoice(cls.unscored, 500.0, days_overdue=-10)
        cls._set_limit(cls.fair, 1000.0)

    @classmethod
    def _scored(cls, name, sales, score):
        partner = cls.env["res.partner"].create({"name": name, "is_company": True})
        cls._ar_invoice(partner, sales, days_overdue=-10)
        partner.sudo().write({"ar_credit_score": score, "ar_credit_score_date": cls.today})
        return partner

    def _review(self, user=None, partners=None):
        context = {"active_model": "res.partner", "active_ids": partners.ids} if partners else {}
        return Form(self.env["ar.credit.limit.review"].with_user(user or self.credit_manager).with_context(**context))

    def _line(self, form, partner):
        for index in range(len(form.line_ids)):
            with form.line_ids.edit(index) as line:
                if line.partner_id == partner:
                    return index
        return None

    def test_review_list_with_old_and_suggested_limits(self):
        form = self._review()
        lines = form.save().line_ids
        by_partner = {line.partner_id: line for line in lines}
        self.assertEqual((by_partner[self.good].current_limit, by_partner[self.good].suggested_limit), (0.0, 400.0))
        self.assertEqual((by_partner[self.fair].current_limit, by_partner[self.fair].suggested_limit),
                         (1000.0, 100.0))
        self.assertTrue(by_partner[self.good].selected and by_partner[self.fair].selected)
        self.assertNotIn(self.unscored, by_partner, "no suggestion: nothing to review")

    def test_approve_selected_logged_on_chatter(self):
        form = self._review()
        with form.line_ids.edit(self._line(form, self.fair)) as line:
            line.selected = False
        review = form.save()
        review.action_apply()
        self.assertEqual(self.good.credit_limit, 400.0)
        self.assertEqual(self.fair.credit_limit, 1000.0, "not selected: unchanged")
        message = self.good.message_ids.filtered(lambda msg: "suggested" in (msg.body or ""))[:1]
        self.assertIn("set from $ 0.00 to the suggested $ 400.00 (payment score 90), approved in a review "
                      "of suggested limits by Carla Credit", str(message.body).replace("&nbsp;", " "))
        self.assertEqual(message.author_id, self.credit_manager.partner_id)

    def test_review_of_chosen_customers_and_no_suggestion(self):
        review = self._review(partners=self.fair | self.unscored).save()
        self.assertEqual(review.line_ids.partner_id, self.fair | self.unscored)
        unscored_line = review.line_ids.filtered(lambda line: line.partner_id == self.unscored)
        self.assertFalse(unscored_line.selected, "0 would mean no limit: not proposed")
        unscored_line.selected = True
        with self.assertRaisesRegex(UserError, "no suggested limit for Never Scored"):
            review.action_apply()
        self.assertEqual(self.fair.credit_limit, 1000.0, "nothing applied")

    def test_suggestion_recomputed_when_applied(self):
        review = self._review(partners=self.good).save()
        review.line_ids.suggested_limit = 1e9  # what a crafted form could send back
        review.action_apply()
        self.assertEqual(self.good.credit_limit, 400.0)

    def test_single_apply_logged_and_refuses_no_suggestion(self):
        self.good.with_user(self.credit_manager).action_ar_credit_apply_suggested_limit()
        self.assertEqual(self.good.credit_limit, 400.0)
        self.assertTrue(self.good.message_ids.filtered(lambda msg: "applied from the customer" in (msg.body or "")))
        self._set_limit(self.unscored, 800.0)
        with self.assertRaisesRegex(UserError, "no suggested limit"):
            self.unscored.with_user(self.credit_manager).action_ar_credit_apply_suggested_limit()
        self.assertEqual(self.unscored.credit_limit, 800.0, "not replaced by 0 (no limit)")

    def test_refused_for_non_managers(self):
        review = self._review().save()
        for user in (self.salesman, self.user_collector, self.user_ar_manager):
            with self.assertRaises(AccessError):
                self._review(user=user)
            with self.assertRaises(AccessError):
                review.with_user(user).action_apply()
            with self.assertRaisesRegex(AccessError, "Only a Credit Manager"):
                self.good.with_user(user)._ar_apply_suggested_limits("by hand")
        self.assertEqual(self.good.credit_limit, 0.0)
        self.assertEqual(self.fair.credit_limit, 1000.0)
