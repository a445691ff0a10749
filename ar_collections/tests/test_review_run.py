from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReviewRun(ArCollectionsCommon):
    """A run in review mode proposes, the collector edits, "Send" queues exactly what is left."""

    def _start_review(self, **kwargs):
        return self.env["ar.dunning.run"].with_user(self.user_collector)._ar_start_review(self.company, **kwargs)

    def test_excluded_line_and_changed_level(self):
        run = self._start_review()
        self.assertEqual((run.mode, run.state), ("review", "review"))
        self.assertFalse(self.env["ar.dunning.message"].sudo().search_count([("run_id", "=", run.id)]),
                         "a run to review queues nothing")
        lines = run.line_ids
        line_overdue = lines.filtered(lambda line: line.invoice_id == self.inv_overdue)
        line_other = lines.filtered(lambda line: line.invoice_id == self.inv_other)
        self.assertTrue(line_overdue and line_other)
        final = self.policy.level_ids.sorted("offset_days")[-1]
        self.assertNotEqual(line_overdue.level_id, final)
        # saved from the run's form, as the web client does: updates of its proposals
        run.with_user(self.user_collector).write({"line_ids": [
            Command.update(line_other.id, {"excluded": True}),
            Command.update(line_overdue.id, {"level_id": final.id, "note": "Agreed with their CFO"}),
        ]})
        kept = lines - line_other
        run.with_user(self.user_collector).action_send()

        self.assertEqual(run.state, "done")
        logs = self.env["ar.dunning.log"].sudo().search([("run_id", "=", run.id)])
        self.assertEqual(logs.invoice_id, kept.invoice_id, "only the proposals kept are queued")
        self.assertFalse(self._ar_logs(self.inv_other), "the excluded proposal is not queued")
        overdue_logs = logs.filtered(lambda log: log.invoice_id == self.inv_overdue)
        self.assertEqual(overdue_logs.level_id, final, "queued at the level the collector chose")
        self.assertEqual(sorted(overdue_logs.mapped("channel")), sorted(final._get_channels()))
        self.assertEqual(self._ar_messages(self.customer).level_id, final)
        self.assertFalse(self._ar_messages(self.other_customer))
        self.assertEqual(set(kept.mapped("state")), {"queued"})
        self.assertEqual(line_other.state, "skipped")
        note = self.customer.message_ids.filtered(lambda message: "Agreed with their CFO" in (message.body or ""))
        self.assertTrue(note, "the internal note is kept on the customer's chatter")
        self.assertFalse(self._ar_messages(self.customer).filtered(lambda m: "CFO" in (m.body_html or "")))

    def test_send_twice_queues_once(self):
        run = self._start_review()
        run.with_user(self.user_collector).action_send()
        messages = self.env["ar.dunning.message"].sudo().search([("run_id", "=", run.id)])
        logs = self.env["ar.dunning.log"].sudo().search_count([])
        self.assertTrue(messages)
        with self.assertRaisesRegex(UserError, "not waiting for review"):
            run.with_user(self.user_collector).action_send()
        self.assertEqual(self.env["ar.dunning.message"].sudo().search([("run_id", "=", run.id)]), messages)
        self.assertEqual(self.env["ar.dunning.log"].sudo().search_count([]), logs)

    def test_queued_since_the_review_is_not_queued_again(self):
        """The scheduled run queued the same reminders after the review was started: Send
        queues nothing twice (the dunning log's unique index is never reached)."""
        run = self._start_review()
        self._ar_run()
        logs = self.env["ar.dunning.log"].sudo().search_count([])
        run.with_user(self.user_collector).action_send()
        self.assertEqual(self.env["ar.dunning.log"].sudo().search_count([]), logs)
        self.assertEqual(set(run.line_ids.mapped("state_reason")), {"Already queued"})
        self.assertEqual(run.state, "done")

    def test_level_of_the_same_policy_only(self):
        other_policy = self.env["ar.dunning.policy"].create({
            "name": "Other policy", "company_id": self.company.id,
            "level_ids": [Command.create({"name": "Other level", "offset_days": 5,
                                           "mail_template_id": self.policy.level_ids[:1].mail_template_id.id})]})
        run = self._start_review()
        with self.assertRaisesRegex(ValidationError, "must be one of its policy"):
            run.line_ids[:1].with_user(self.user_collector).level_id = other_policy.level_ids

    def test_cancel_abandoned_review(self):
        run = self._start_review()
        run.with_user(self.user_collector).action_cancel()
        self.assertEqual(run.state, "cancelled")
        with self.assertRaisesRegex(UserError, "not waiting for review"):
            run.with_user(self.user_collector).action_send()
        self.assertFalse(self.env["ar.dunning.message"].sudo().search_count([("run_id", "=", run.id)]))
        with self.assertRaisesRegex(UserError, "waiting for review"):
            run.line_ids[:1].with_user(self.user_collector).excluded = True

    def test_scheduled_run_waits_for_review(self):
        self.company.ar_dunning_review_scheduled = True
        run = self._ar_run(new=False)
        self.assertEqual((run.trigger, run.mode, run.state), ("cron", "review", "review"))
        self.assertFalse(self._ar_messages(self.customer))
        self.assertTrue(run.line_ids)
        run.with_user(self.user_collector).action_send()
        self.assertTrue(self._ar_messages(self.customer))
