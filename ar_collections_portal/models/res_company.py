from odoo import api, fields, models
from odoo.exceptions import ValidationError

# the demo data's portal login (Odoo's own demo data has a user "portal")
DEMO_LOGIN = "customer"


class ResCompany(models.Model):
    _inherit = "res.company"

    # Customer portal
    ar_portal_token_days = fields.Integer(
        string="Statement link validity (days)", default=30,
        help="A statement link sent in a reminder opens the customer's statement without a login for this many days.",
    )
    ar_portal_allow_partial = fields.Boolean(
        string="Allow partial online payments",
        help="Customers may pay less than the open amount of the invoices they selected in the portal.",
    )

    @api.constrains("ar_portal_token_days")
    def _check_ar_portal_token_days(self):
        for company in self:
            if not 1 <= company.ar_portal_token_days <= 365:
                raise ValidationError(self.env._("A statement link is valid between 1 and 365 days."))

    @api.model
    def _ar_load_portal_demo(self):
        """Demo data loaded from Apps: a portal login (customer/customer) for the demo book's
        customer with the most overdue, and Odoo's "Demo" payment provider to pay with, so that
        "Pay all overdue" can be tried without a payment provider account."""
        # imported here: the generators are not loaded at server start
        from ..tools import demo_portal

        if not self.env["res.users"].with_context(active_test=False).search_count([("login", "=", DEMO_LOGIN)]):
            demo_portal.generate_portal_demo(self.env, login=DEMO_LOGIN)
        payment_demo = self.env["ir.module.module"].search([("name", "=", "payment_demo")])
        if payment_demo.state == "uninstalled":
            # demo databases only (production never depends on it): the module installs in the
            # same run and its data puts its provider in test mode, published
            payment_demo.button_install()
        elif payment_demo.state == "installed":
            provider = self.env.ref("payment.payment_provider_demo")
            if provider.state == "disabled":
                provider.write({"state": "test", "is_published": True})
