from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReviewRunAccess(ArCollectionsCommon):
    """Collectors review and send runs; billing clerks do neither."""

    def test_collector_reviews_and_sends(self):
        run = self.env["ar.dunning.run"].with_user(self.user_collector)._ar_start_review(self.company)
        line = run.line_ids[:1].with_user(self.user_collector)
        line.write({"excluded": True, "note": "Called today"})
        with self.assertRaisesRegex(AccessError, "Only the exclusion, the level and the note"):
            line.write({"invoice_id": self.inv_not_due.id})
        with self.assertRaisesRegex(AccessError, "changed by its buttons only"):
            run.with_user(self.user_collector).write({"date": self.today})
        with self.assertRaisesRegex(AccessError, "not added or removed"):
            run.with_user(self.user_collector).write({"line_ids": [Command.delete(line.id)]})
        run.with_user(self.user_collector).action_send()
        self.assertEqual(run.state, "done")

    def test_billing_user_cannot(self):
        Run = self.env["ar.dunning.run"].with_user(self.user_billing)
        with self.assertRaisesRegex(AccessError, "Only collectors"):
            Run._ar_start_review(self.company)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_billing).action_ar_send_reminder_now()
        run = self.env["ar.dunning.run"].with_user(self.user_collector)._ar_start_review(self.company)
        with self.assertRaisesRegex(AccessError, "Only collectors"):
            run.with_user(self.user_billing).action_send()
        with self.assertRaisesRegex(AccessError, "Only collectors"):
            run.with_user(self.user_billing).action_cancel()
        with self.assertRaises(AccessError):
            run.line_ids[:1].with_user(self.user_billing).write({"excluded": True})
        self.assertEqual(run.state, "review")
        self.assertFalse(self.env["ar.dunning.message"].sudo().search_count([("run_id", "=", run.id)]))
