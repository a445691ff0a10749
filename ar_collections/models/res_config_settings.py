from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_dunning_policy_id = fields.Many2one(
        related="company_id.ar_dunning_policy_id", readonly=False, string="Default dunning policy"
    )
    ar_manager_user_id = fields.Many2one(related="company_id.ar_manager_user_id", readonly=False)
    ar_reply_pause_days = fields.Integer(related="company_id.ar_reply_pause_days", readonly=False)
