from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReviewRunDate(ArCollectionsCommon):
    """A run for a chosen day (the controlling date): the engine decides as of that day."""

    def _start_review(self, date):
        return self.env["ar.dunning.run"].with_user(self.user_collector)._ar_start_review(self.company, date=date)

    def test_back_dated_run_decides_as_of_its_date(self):
        run = self._start_review(self.today - timedelta(days=15))
        line = run.line_ids.filtered(lambda line: line.invoice_id == self.inv_overdue)
        # 20 days overdue today, 5 days overdue 15 days ago
        self.assertEqual(line.days_overdue, 5)
        self.assertLessEqual(line.level_id.offset_days, 5)
        self.assertNotIn(self.inv_partial, run.line_ids.invoice_id, "not due 15 days ago")
        self.assertFalse(run.is_future)
        run.with_user(self.user_collector).action_send()
        log = self._ar_logs(self.inv_overdue)
        self.assertEqual(log.mapped("days_overdue"), [5] * len(log))
        self.assertEqual(log.level_id, line.level_id)

    def test_forward_run_is_reviewed_not_sent(self):
        run = self._start_review(self.today + timedelta(days=10))
        self.assertTrue(run.is_future)
        line = run.line_ids.filtered(lambda line: line.invoice_id == self.inv_overdue)
        self.assertEqual(line.days_overdue, 30)
        self.assertIn(self.inv_not_due, run.line_ids.invoice_id, "due by then")
        with self.assertRaisesRegex(UserError, "cannot be sent"):
            run.with_user(self.user_collector).action_send()
        self.assertEqual(run.state, "review")
        self.assertFalse(self.env["ar.dunning.message"].sudo().search_count([("run_id", "=", run.id)]))

    def test_preview_of_another_day_is_reviewed_first(self):
        preview = self.env["ar.dunning.preview"].with_user(self.user_ar_manager).create(
            {"company_id": self.company.id, "date": self.today - timedelta(days=15)})
        self.assertFalse(preview.is_today)
        self.assertEqual(preview.line_ids.filtered(lambda line: line.invoice_id == self.inv_overdue).days_overdue, 5)
        with self.assertRaisesRegex(UserError, "reviewed first"):
            preview.action_run()
        run = self.env["ar.dunning.run"].browse(preview.action_review()["res_id"])
        self.assertEqual((run.date, run.state), (self.today - timedelta(days=15), "review"))
