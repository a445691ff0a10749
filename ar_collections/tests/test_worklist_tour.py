from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestWorklistTour(HttpCase):
    """Browser test: a collector logs a voicemail from the worklist in two clicks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.customer = cls.env["res.partner"].create({"name": "Tour Worklist Customer", "is_company": True})
        # so large that it tops the worklist of the database, whatever else it holds
        invoice = cls.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": cls.customer.id,
            "invoice_date": cls.today - timedelta(days=45),
            "invoice_date_due": cls.today - timedelta(days=15),
            "invoice_line_ids": [Command.create({
                "name": "Turnkey project", "price_unit": 987654321.0, "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()

    def test_log_voicemail_from_worklist(self):
        self.start_tour("/odoo/action-ar_collections.action_ar_worklist", "ar_collections_worklist_tour",
                        login="admin")
        admin = self.env.ref("base.user_admin")
        activity = self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)])
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=2))
        self.assertEqual(activity.user_id, admin)
        self.assertEqual(activity.summary, "Call again (voicemail left)")
        note = self.env["mail.message"].search([
            ("model", "=", "res.partner"), ("res_id", "=", self.customer.id),
            ("subtype_id", "=", self.env.ref("mail.mt_note").id),
            ("mail_activity_type_id", "=", activity.activity_type_id.id)])
        self.assertEqual(len(note), 1)
        self.assertIn("Call: Voicemail", note.body)
        self.assertEqual(note.author_id, admin.partner_id)
