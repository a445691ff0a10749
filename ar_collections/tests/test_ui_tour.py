from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCollectionsTour(HttpCase):
    """Browser tests: what an accountant does in the Collections screens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env.user)
        customer = cls.env["res.partner"].create({"name": "Tour Overdue Customer", "is_company": True})
        cls.invoice = cls.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": today - timedelta(days=42),
            "invoice_date_due": today - timedelta(days=12),
            "invoice_line_ids": [Command.create({"name": "Audit", "price_unit": 990.0, "tax_ids": [Command.clear()]})],
        })
        cls.invoice.action_post()

    def test_overdue_invoice_tour(self):
        self.start_tour("/odoo", "ar_collections_overdue_tour", login="admin")

    def test_dispute_from_invoice_tour(self):
        self.start_tour(f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}",
                        "ar_collections_dispute_tour", login="admin")
        dispute = self.env["ar.dispute"].search([("invoice_ids", "in", self.invoice.ids)])
        self.assertEqual((dispute.reason, dispute.stage), ("not_received", "new"))
        self.assertEqual(dispute.description, "The goods never arrived at our warehouse.")
        self.assertEqual(self.invoice.ar_pause_reason, "Disputed: Not received")
