from odoo import api, fields, models
from odoo.exceptions import ValidationError

DEFAULT_SNOOZE_DAYS = 7
MAX_SNOOZE_DAYS = 90


class ResCompany(models.Model):
    _inherit = "res.company"

    ar_slack_channel = fields.Char(
        string="Slack channel",
        help="Id of the Slack channel (e.g. C0123ABCD) that receives the collections alerts of the company; "
             "empty: no alert. Invite the app's bot into it.")
    ar_slack_large_payment = fields.Monetary(
        string="Large payment from", currency_field="currency_id",
        help="A customer payment of at least this amount (company currency) is announced in Slack; zero: never.")
    ar_slack_snooze_days = fields.Integer(
        string="Snooze from Slack for", default=DEFAULT_SNOOZE_DAYS,
        help="Days a customer snoozed from Slack is not chased.")

    @api.constrains("ar_slack_large_payment", "ar_slack_snooze_days")
    def _check_ar_slack_settings(self):
        for company in self:
            if company.currency_id.compare_amounts(company.ar_slack_large_payment, 0.0) < 0:
                raise ValidationError(self.env._("The large payment amount cannot be negative."))
            if not 1 <= company.ar_slack_snooze_days <= MAX_SNOOZE_DAYS:
                raise ValidationError(self.env._(
                    "A snooze from Slack lasts from 1 to %(max)s days.", max=MAX_SNOOZE_DAYS))
