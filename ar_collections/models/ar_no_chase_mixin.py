from odoo import api, fields, models
from odoo.exceptions import ValidationError


def no_chase_active(no_chase, until, today):
    """Whether "do not chase" (ticked, ending on ``until`` or never) holds on ``today``."""
    return bool(no_chase) and (not until or until >= today)


class ArNoChaseMixin(models.AbstractModel):
    """"Do not chase" on a customer or an invoice: a reason, and an optional end date."""

    _name = "ar.no.chase.mixin"
    _description = "Excluded from payment reminders"

    ar_no_chase = fields.Boolean(string="Do not chase", copy=False, tracking=True)
    ar_no_chase_reason = fields.Char(string="Reason not to chase", copy=False, tracking=True)
    ar_no_chase_until = fields.Date(string="Do not chase until", copy=False, tracking=True,
                                    help="Reminders resume the day after; empty: until unticked.")

    @api.constrains("ar_no_chase", "ar_no_chase_reason", "ar_no_chase_until")
    def _check_ar_no_chase(self):
        today = fields.Date.context_today(self)
        for record in self:
            if record.ar_no_chase and not (record.ar_no_chase_reason or "").strip():
                raise ValidationError(self.env._(
                    "Say why %(record)s must not be chased: the reason is shown to the collectors.",
                    record=record.display_name,
                ))
            # ticked with an end date already behind: the form would say "do not chase" while it is chased
            if record.ar_no_chase and record.ar_no_chase_until and record.ar_no_chase_until < today:
                raise ValidationError(self.env._(
                    "The end date of “do not chase” on %(record)s, %(date)s, is past: clear it or choose a later date.",
                    record=record.display_name, date=fields.Date.to_string(record.ar_no_chase_until),
                ))

    def _ar_no_chase_active(self, today):
        """True when this record is excluded from reminders on ``today``."""
        self.ensure_one()
        return no_chase_active(self.ar_no_chase, self.ar_no_chase_until, today)
