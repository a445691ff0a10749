from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCreditTour(HttpCase):
    """Browser test: a salesperson meets a credit block and requests a release."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, "ar_tour_sales", groups="base.group_user,sales_team.group_sale_salesman",
                                     name="Tess Tour")
        cls.customer = cls.env["res.partner"].create({"name": "Tour Credit Customer", "is_company": True})
        cls.customer.sudo().credit_limit = 100.0
        product = cls.env["product.product"].create({"name": "Tour Widget", "list_price": 80.0,
                                                     "taxes_id": [Command.clear()]})
        cls.order = cls.env["sale.order"].create({
            "partner_id": cls.customer.id,
            "user_id": cls.salesman.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2,
                                           "tax_id": [Command.clear()]})],
        })

    def test_request_release_from_blocked_quotation(self):
        self.assertIn("over its credit limit of", self.order.ar_credit_warning)
        self.start_tour(f"/odoo/action-sale.action_quotations_with_onboarding/{self.order.id}",
                        "ar_collections_credit_release_tour", login="ar_tour_sales")
        release = self.env["ar.credit.release"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(release.state, "requested")
        self.assertEqual(release.requested_by_id, self.salesman)
        self.assertEqual(release.sale_order_id, self.order)
        self.assertAlmostEqual(release.amount, 160.0)
        self.assertEqual(release.reason, "Framework contract signed; they pay by transfer before delivery.")
