from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ArPromise(models.Model):
    """A customer promised to pay invoices by a date: not chased until then (plus grace)."""

    _name = "ar.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread", "ar.customer.invoices.mixin"]
    _order = "promised_date desc, id desc"
    amount = fields.Monetary(required=True, tracking=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    promised_date = fields.Date(required=True, tracking=True)
    grace_days = fields.Integer(default=3, help="Reminders resume this many days after the promised date.")
    pause_until = fields.Date(compute="_compute_pause_until", store=True, index=True)
    state = fields.Selection([("open", "Open"), ("cancelled", "Cancelled")], default="open", required=True,
                             tracking=True, index=True)
    note = fields.Text()

    @api.depends("promised_date", "grace_days")
    def _compute_pause_until(self):
        for promise in self:
            promise.pause_until = promise.promised_date and promise.promised_date + timedelta(days=promise.grace_days)

    @api.depends("partner_id", "amount", "promised_date")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = f"{promise.partner_id.name or ''}: {promise.amount:.2f} by {promise.promised_date}"

    @api.constrains("amount", "grace_days")
    def _check_values(self):
        for promise in self:
            if promise.amount <= 0:
                raise ValidationError(self.env._("A promise to pay needs a positive amount."))
            if promise.grace_days < 0:
                raise ValidationError(self.env._("The grace period cannot be negative."))

    def action_cancel(self):
        self.write({"state": "cancelled"})
