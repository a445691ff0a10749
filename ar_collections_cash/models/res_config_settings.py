from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_cash_auto_apply = fields.Boolean(related="company_id.ar_cash_auto_apply", readonly=False)
    ar_cash_auto_confidence = fields.Integer(related="company_id.ar_cash_auto_confidence", readonly=False)
    ar_cash_pause_confidence = fields.Integer(related="company_id.ar_cash_pause_confidence", readonly=False)
    ar_cash_short_tolerance = fields.Float(related="company_id.ar_cash_short_tolerance", readonly=False)
    ar_cash_short_tolerance_max = fields.Monetary(
        related="company_id.ar_cash_short_tolerance_max", readonly=False, currency_field="currency_id")
    ar_cash_writeoff_account_id = fields.Many2one(related="company_id.ar_cash_writeoff_account_id", readonly=False)
    ar_cash_fee_account_id = fields.Many2one(related="company_id.ar_cash_fee_account_id", readonly=False)
    ar_cash_fee_tolerance = fields.Monetary(
        related="company_id.ar_cash_fee_tolerance", readonly=False, currency_field="currency_id")
    ar_cash_fee_tolerance_percent = fields.Float(related="company_id.ar_cash_fee_tolerance_percent", readonly=False)
    ar_cash_search_ms = fields.Integer(related="company_id.ar_cash_search_ms", readonly=False)
