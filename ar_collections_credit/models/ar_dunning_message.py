from odoo import fields, models


class ArDunningMessage(models.Model):
    _inherit = "ar.dunning.message"

    def _ar_set_state(self, state, reason=False):
        """A reminder of a level that announces a credit hold puts the hold when it is sent:
        the customer was told deliveries are suspended, so orders and deliveries are blocked
        until a Credit Manager lifts it."""
        result = super()._ar_set_state(state, reason)
        if state == "sent":
            self.filtered(lambda message: message.level_id.announces_hold)._ar_put_on_hold()
        return result

    def _ar_put_on_hold(self):
        """Flag these reminders' customers for credit hold (reason "Flagged by the payment
        reminders"); the hold records follow (ar.credit.hold refreshes on this write)."""
        today = fields.Date.to_string(fields.Date.context_today(self))
        for message in self:
            partner = message.partner_id.commercial_partner_id.sudo()
            if partner.ar_dunning_hold:
                continue  # on hold already: keep why and since when
            partner.write({
                "ar_dunning_hold": True,
                "ar_dunning_hold_reason": self.env._(
                    "Reminder “%(level)s” sent on %(date)s announced the hold",
                    level=message.level_id.name, date=today),
            })
