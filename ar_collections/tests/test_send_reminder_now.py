from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestSendReminderNow(ArCollectionsCommon):
    """"Send reminder now" on a customer: its proposals to review, then sent; no other customer."""

    def test_one_customer_touches_no_other(self):
        action = self.customer_contact.with_user(self.user_collector).action_ar_send_reminder_now()
        run = self.env["ar.dunning.run"].browse(action["res_id"])
        self.assertEqual((action["res_model"], run.mode, run.state), ("ar.dunning.run", "review", "review"))
        self.assertEqual(run.partner_ids, self.customer, "a contact stands for its company")
        self.assertEqual(run.line_ids.partner_id, self.customer)
        run.with_user(self.user_collector).action_send()
        self.assertTrue(self._ar_messages(self.customer))
        self.assertFalse(self._ar_messages(self.other_customer))
        self.assertFalse(self._ar_logs(self.inv_other))
        # it is not the day's run: the scheduled run still chases every other customer today
        scheduled = self._ar_run(new=False)
        self.assertTrue(scheduled)
        self.assertTrue(self._ar_messages(self.other_customer))
        self.assertEqual(self.env["ar.dunning.log"].sudo().search_count(
            [("invoice_id", "=", self.inv_overdue.id), ("run_id", "=", scheduled.id)]), 0,
            "what was sent now is not queued again")

    def test_selection_of_customers(self):
        customers = self.customer | self.other_customer
        action = self.env.ref("ar_collections.action_ar_send_reminder_now").with_user(self.user_collector).with_context(
            active_model="res.partner", active_ids=customers.ids).run()
        run = self.env["ar.dunning.run"].browse(action["res_id"])
        self.assertEqual(run.partner_ids, customers)
        self.assertEqual(run.line_ids.partner_id, customers)
