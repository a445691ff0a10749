from odoo import api, fields, models
from odoo.exceptions import UserError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Not stored anywhere but on the reminder run's scheduled action (as Odoo's own settings do
    # for their crons): the cron stays the one source of truth an upgrade leaves alone.
    ar_reminders_auto = fields.Boolean(string="Send reminders automatically")
    ar_reminders_interval_number = fields.Integer(string="Reminder run every", default=1)
    ar_reminders_interval_type = fields.Selection(
        [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days"), ("weeks", "Weeks"), ("months", "Months")],
        string="Reminder run interval unit", default="days")

    ar_dunning_policy_id = fields.Many2one(
        related="company_id.ar_dunning_policy_id", readonly=False, string="Default dunning policy"
    )
    ar_manager_user_id = fields.Many2one(related="company_id.ar_manager_user_id", readonly=False)
    ar_dunning_review_scheduled = fields.Boolean(related="company_id.ar_dunning_review_scheduled", readonly=False)
    ar_reply_pause_days = fields.Integer(related="company_id.ar_reply_pause_days", readonly=False)
    ar_dispute_sla_days = fields.Integer(related="company_id.ar_dispute_sla_days", readonly=False)
    ar_dispute_escalation_days = fields.Integer(related="company_id.ar_dispute_escalation_days", readonly=False)
    ar_dispute_escalation_user_id = fields.Many2one(related="company_id.ar_dispute_escalation_user_id", readonly=False)
    ar_plan_reminder_days = fields.Integer(related="company_id.ar_plan_reminder_days", readonly=False)
    ar_plan_max_instalments = fields.Integer(related="company_id.ar_plan_max_instalments", readonly=False)
    ar_plan_max_days = fields.Integer(related="company_id.ar_plan_max_days", readonly=False)
    ar_plan_min_first_percent = fields.Float(related="company_id.ar_plan_min_first_percent", readonly=False)
    ar_digest_slack_url = fields.Char(related="company_id.ar_digest_slack_url", readonly=False)
    ar_digest_email = fields.Boolean(related="company_id.ar_digest_email", readonly=False)

    def _ar_dunning_run_cron(self):
        cron = self.env.ref("ar_collections.ir_cron_dunning_run", raise_if_not_found=False)
        return cron.sudo() if cron else self.env["ir.cron"]

    @api.model
    def get_values(self):
        values = super().get_values()
        cron = self._ar_dunning_run_cron()
        if cron:
            values.update(
                ar_reminders_auto=cron.active,
                ar_reminders_interval_number=cron.interval_number,
                ar_reminders_interval_type=cron.interval_type,
            )
        return values

    def set_values(self):
        if self.ar_reminders_interval_number <= 0:
            raise UserError(self.env._("The reminder run interval must be a positive number."))
        super().set_values()
        cron = self._ar_dunning_run_cron()
        if not cron:
            return
        vals = {
            "active": self.ar_reminders_auto,
            "interval_number": self.ar_reminders_interval_number,
            "interval_type": self.ar_reminders_interval_type or cron.interval_type,
        }
        # only what changed: writing a cron locks it, and saving other settings must not
        vals = {name: value for name, value in vals.items() if cron[name] != value}
        if vals:
            cron.write(vals)
