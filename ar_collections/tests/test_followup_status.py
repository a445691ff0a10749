from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestFollowupStatus(ArCollectionsCommon):
    """Each customer's follow-up status and next reminder date, shown and searched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # other_customer's only overdue invoice is disputed
        cls.env["ar.dispute"].create({"partner_id": cls.other_customer.id, "invoice_ids": cls.inv_other.ids})
        cls.waiting_customer = cls.env["res.partner"].create({"name": "Early Bird Ltd", "is_company": True})
        cls.inv_later = cls._ar_invoice(cls.waiting_customer, 900.0, days_overdue=-20)
        cls.quiet_customer = cls.env["res.partner"].create({"name": "No Invoices Ltd", "is_company": True})

    def test_status_and_next_date(self):
        Partner = self.env["res.partner"].with_user(self.user_collector)
        needs, paused, waiting, quiet = Partner.browse(
            (self.customer | self.other_customer | self.waiting_customer | self.quiet_customer).ids)
        self.assertEqual((needs.ar_followup_status, needs.ar_next_reminder_date), ("needs_action", self.today))
        self.assertEqual(paused.ar_followup_status, "paused")
        self.assertIn(self.inv_other.name, paused.ar_followup_reason)
        self.assertIn("Disputed", paused.ar_followup_reason)
        first = self.policy.level_ids.sorted("offset_days")[:1]
        self.assertEqual(waiting.ar_followup_status, "waiting")
        self.assertEqual(waiting.ar_next_reminder_date,
                         self.inv_later.invoice_date_due + timedelta(days=first.offset_days))
        self.assertEqual((quiet.ar_followup_status, quiet.ar_next_reminder_date), ("none", False))
        # a contact shows its company's
        self.assertEqual(Partner.browse(self.customer_contact.id).ar_followup_status, "needs_action")

    def test_sent_today_is_waiting(self):
        self._ar_run()
        customer = self.customer.with_user(self.user_collector)
        self.assertEqual(customer.ar_followup_status, "waiting")
        self.assertGreater(customer.ar_next_reminder_date, self.today)

    def test_filters(self):
        Partner = self.env["res.partner"].with_user(self.user_collector)
        mine = self.customer | self.other_customer | self.waiting_customer | self.quiet_customer | self.customer_contact

        def found(status, operator="="):
            return Partner.search([("id", "in", mine.ids), ("ar_followup_status", operator, status)])

        self.assertEqual(found("needs_action"), self.customer | self.customer_contact)
        self.assertEqual(found("paused"), self.other_customer)
        self.assertEqual(found("waiting"), self.waiting_customer)
        self.assertEqual(found("none"), self.quiet_customer)
        self.assertEqual(found("needs_action", "!="), mine - self.customer - self.customer_contact)

    def test_worklist(self):
        Worklist = self.env["ar.worklist"].with_user(self.user_collector)
        rows = Worklist.search([("partner_id", "in", (self.customer | self.other_customer).ids)])
        self.assertEqual({row.partner_id: row.followup_status for row in rows},
                         {self.customer: "needs_action", self.other_customer: "paused"})
        self.assertEqual(rows.filtered(lambda row: row.partner_id == self.customer).next_reminder_date, self.today)
        self.assertEqual(Worklist.search([("followup_status", "=", "paused")]).partner_id, self.other_customer)
