from odoo import api, fields, models
from odoo.exceptions import ValidationError


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
