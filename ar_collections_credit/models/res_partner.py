from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

HOLD_FIELDS = ("ar_credit_hold", "ar_credit_hold_reason", "ar_dunning_hold", "ar_dunning_hold_reason")


class ResPartner(models.Model):
    _inherit = "res.partner"

    ar_credit_hold = fields.Boolean(
        string="Credit hold",
        tracking=True,
        copy=False,
        help="New sale orders of this customer cannot be confirmed until a Credit Manager lifts the hold.",
    )
    ar_credit_hold_reason = fields.Char(string="Credit hold reason", tracking=True, copy=False)

    @api.constrains("ar_credit_hold", "ar_credit_hold_reason")
    def _check_ar_credit_hold_reason(self):
        for partner in self:
            if partner.ar_credit_hold and not (partner.ar_credit_hold_reason or "").strip():
                raise ValidationError(self.env._(
                    "Say why %(partner)s is on credit hold: salespeople see the reason when an order is blocked.",
                    partner=partner.display_name,
                ))

    def write(self, vals):
        if any(field in vals for field in HOLD_FIELDS):
            self._ar_check_credit_manager()
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("ar_credit_hold") for vals in vals_list):
            self._ar_check_credit_manager()
        return super().create(vals_list)

    def _ar_check_credit_manager(self):
        # Superuser writes (e.g. the dunning escalation run as cron) are trusted.
        if self.env.su:
            return
        if not self.env.user.has_group("ar_collections_credit.group_ar_credit_manager"):
            raise AccessError(self.env._("Only a Credit Manager can put a customer on credit hold or lift it."))

    def _ar_is_on_hold(self):
        """On hold by a Credit Manager, or flagged by the payment reminders' escalation."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return partner.ar_credit_hold or partner.ar_dunning_hold

    def _ar_credit_hold_message(self):
        """One sentence that tells a salesperson why this customer is blocked."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.ar_credit_hold:
            return self.env._(
                "%(partner)s is on credit hold (%(reason)s): ask a Credit Manager to lift the hold before confirming.",
                partner=partner.display_name,
                reason=partner.ar_credit_hold_reason,
            )
        return self.env._(
            "%(partner)s was flagged for credit hold by the payment reminders (%(reason)s): "
            "ask a Credit Manager to lift the hold before confirming.",
            partner=partner.display_name,
            reason=partner.ar_dunning_hold_reason,
        )

    def action_ar_lift_credit_hold(self):
        """Lift the credit hold and the reminders' hold flag (Credit Managers only)."""
        self.write({
            "ar_credit_hold": False, "ar_credit_hold_reason": False,
            "ar_dunning_hold": False, "ar_dunning_hold_reason": False,
        })
        return True
