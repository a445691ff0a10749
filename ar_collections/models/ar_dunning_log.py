from odoo import fields, models

LOG_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]


class ArDunningLog(models.Model):
    """One reminder level reaching one invoice through one channel: the audit trail.

    Written by the dunning engine only (as superuser): the access rights give collectors
    and managers read access and nothing else, so the trail is append-only for people.
    A partial unique index makes it impossible to queue the same level of an invoice
    twice on one channel, whatever the number of workers running the engine.
    """

    _name = "ar.dunning.log"
    _description = "Dunning Log"
    _order = "date desc, id desc"
    _rec_name = "invoice_id"

    run_id = fields.Many2one("ar.dunning.run", ondelete="set null", index=True, readonly=True)
    message_id = fields.Many2one("ar.dunning.message", string="Reminder", ondelete="cascade", index=True, readonly=True)
    invoice_id = fields.Many2one("account.move", required=True, ondelete="cascade", index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    level_id = fields.Many2one("ar.dunning.level", required=True, ondelete="restrict", index=True, readonly=True)
    level_offset = fields.Integer(string="Level (days)", readonly=True)
    # The channels of ar.dunning.level.channel, with those of the installed add-ons
    channel = fields.Selection(
        selection=lambda self: self.env["ar.dunning.engine"]._get_channel_selection(), required=True, readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    state = fields.Selection(LOG_STATES, default="queued", required=True, index=True, readonly=True)
    state_reason = fields.Char(string="Reason", readonly=True)
    days_overdue = fields.Integer(readonly=True)
    amount_residual = fields.Monetary(string="Open amount", currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Triggered by", readonly=True,
                              help="The user who ran the reminders; empty for the scheduled run.")

    def init(self):
        # The guard against double sending: at most one live log per (invoice, level, channel).
        # Cancelled logs do not count, so an invoice whose reminder was cancelled can be chased again.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS ar_dunning_log_live_uniq
                ON ar_dunning_log (invoice_id, level_id, channel)
             WHERE state != 'cancelled'
        """)

    def _ar_set_state(self, state, reason=False):
        """Move logs to ``state`` (engine use)."""
        live = self.filtered(lambda log: log.state != "cancelled")
        if live:
            live.sudo().write({"state": state, "state_reason": reason})
