from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_autopay_retry_offsets = fields.Char(related="company_id.ar_autopay_retry_offsets", readonly=False)
