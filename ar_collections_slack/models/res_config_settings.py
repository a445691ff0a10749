from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ar_slack_bot_token = fields.Char(
        string="Slack bot token", config_parameter="ar_collections_slack.bot_token", groups="base.group_system")
    ar_slack_signing_secret = fields.Char(
        string="Slack signing secret", config_parameter="ar_collections_slack.signing_secret",
        groups="base.group_system")
    ar_slack_channel = fields.Char(related="company_id.ar_slack_channel", readonly=False)
    ar_slack_large_payment = fields.Monetary(related="company_id.ar_slack_large_payment", readonly=False)
    ar_slack_snooze_days = fields.Integer(related="company_id.ar_slack_snooze_days", readonly=False)
