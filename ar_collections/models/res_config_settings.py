from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_dunning_policy_id = fields.Many2one(
        related="company_id.ar_dunning_policy_id", readonly=False, string="Default dunning policy"
    )
    ar_manager_user_id = fields.Many2one(related="company_id.ar_manager_user_id", readonly=False)
    ar_reply_pause_days = fields.Integer(related="company_id.ar_reply_pause_days", readonly=False)
    ar_dispute_sla_days = fields.Integer(related="company_id.ar_dispute_sla_days", readonly=False)
    ar_dispute_escalation_days = fields.Integer(related="company_id.ar_dispute_escalation_days", readonly=False)
    ar_dispute_escalation_user_id = fields.Many2one(related="company_id.ar_dispute_escalation_user_id", readonly=False)
    ar_plan_reminder_days = fields.Integer(related="company_id.ar_plan_reminder_days", readonly=False)
    ar_digest_slack_url = fields.Char(related="company_id.ar_digest_slack_url", readonly=False)
    ar_digest_email = fields.Boolean(related="company_id.ar_digest_email", readonly=False)
    ar_cash_auto_apply = fields.Boolean(related="company_id.ar_cash_auto_apply", readonly=False)
    ar_cash_auto_confidence = fields.Integer(related="company_id.ar_cash_auto_confidence", readonly=False)
    ar_cash_pause_confidence = fields.Integer(related="company_id.ar_cash_pause_confidence", readonly=False)
    ar_cash_short_tolerance = fields.Float(related="company_id.ar_cash_short_tolerance", readonly=False)
    ar_cash_short_tolerance_max = fields.Monetary(
        related="company_id.ar_cash_short_tolerance_max", readonly=False, currency_field="currency_id")
    ar_cash_writeoff_account_id = fields.Many2one(related="company_id.ar_cash_writeoff_account_id", readonly=False)
    ar_cash_search_ms = fields.Integer(related="company_id.ar_cash_search_ms", readonly=False)
