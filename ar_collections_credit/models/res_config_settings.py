from odoo import fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_credit_overdue_days = fields.Integer(related="company_id.ar_credit_overdue_days", readonly=False)
    ar_credit_block = fields.Boolean(related="company_id.ar_credit_block", readonly=False)
    ar_credit_check_invoice = fields.Boolean(related="company_id.ar_credit_check_invoice", readonly=False)
    ar_credit_check_delivery = fields.Boolean(related="company_id.ar_credit_check_delivery", readonly=False)
    ar_credit_manager_id = fields.Many2one(related="company_id.ar_credit_manager_id", readonly=False)
    ar_credit_review_months = fields.Integer(related="company_id.ar_credit_review_months", readonly=False)
    ar_credit_review_drop = fields.Integer(related="company_id.ar_credit_review_drop", readonly=False)

    def _inverse_account_default_credit_limit(self):
        for setting in self:
            if setting.account_default_credit_limit < 0:
                raise ValidationError(self.env._(
                    "The default credit limit cannot be negative (%(limit)s): use 0 for no limit.",
                    limit=setting.account_default_credit_limit,
                ))
        Partner = self.env["res.partner"]
        before = {setting.company_id: Partner.with_company(setting.company_id)._fields["credit_limit"]
                  .get_company_dependent_fallback(Partner.with_company(setting.company_id)) for setting in self}
        result = super()._inverse_account_default_credit_limit()
        # the default is the limit of every customer without one of its own (settings are saved whole:
        # only a changed default changes the holds)
        self.filtered(
            lambda setting: setting.account_default_credit_limit != before[setting.company_id]
        ).company_id._ar_credit_refresh_holds()
        return result
