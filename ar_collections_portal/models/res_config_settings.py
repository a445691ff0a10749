from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_portal_token_days = fields.Integer(related="company_id.ar_portal_token_days", readonly=False)
    ar_portal_allow_partial = fields.Boolean(related="company_id.ar_portal_allow_partial", readonly=False)
