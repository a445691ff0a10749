from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCollectionsTour(HttpCase):
    """Browser test: the Collections menu leads an accountant to an overdue invoice."""

    def test_overdue_invoice_tour(self):
        today = fields.Date.context_today(self.env.user)
        customer = self.env["res.partner"].create({"name": "Tour Overdue Customer", "is_company": True})
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": today - timedelta(days=42),
            "invoice_date_due": today - timedelta(days=12),
            "invoice_line_ids": [Command.create({"name": "Audit", "price_unit": 990.0, "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()
        self.start_tour("/odoo", "ar_collections_overdue_tour", login="admin")
