from odoo.tests import TransactionCase, tagged

from odoo.addons.ar_collections_portal.models.res_company import DEMO_LOGIN


@tagged("post_install", "-at_install")
class TestPortalDemoData(TransactionCase):
    """Installed with demo data, the portal has a customer to log in as (customer/customer) whose
    overdue invoices can be paid with Odoo's "Demo" payment provider."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env["ir.module.module"]._get("ar_collections_portal").demo:
            cls.skipTest(cls, "installed without demo data")

    def test_portal_customer_and_demo_provider(self):
        user = self.env["res.users"].search([("login", "=", DEMO_LOGIN)])
        self.assertTrue(user._is_portal())
        customer = user.partner_id.commercial_partner_id
        overdue = self.env["account.move"].search([
            ("commercial_partner_id", "=", customer.id), ("move_type", "=", "out_invoice"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", self.env.cr.now().date()),
        ])
        self.assertTrue(overdue, "the portal customer has overdue invoices to pay")
        self.assertEqual(self.env["ir.module.module"]._get("payment_demo").state, "installed")
        provider = self.env.ref("payment.payment_provider_demo")
        self.assertEqual((provider.state, provider.is_published), ("test", True))
        currency = overdue[0].currency_id
        compatible = self.env["payment.provider"].sudo()._get_compatible_providers(
            overdue.company_id.id, customer.id, sum(overdue.filtered(lambda move: move.currency_id == currency)
                                                     .mapped("amount_residual")), currency_id=currency.id)
        self.assertIn(provider, compatible, "the portal offers the Demo provider for these invoices")
