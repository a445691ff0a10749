from odoo import fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_credit_overdue_days = fields.Integer(related="company_id.ar_credit_overdue_days", readonly=False)
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
        return super()._inverse_account_default_credit_limit()
