from odoo import api, fields, models


class ArSlackMessage(models.Model):
    _inherit = "ar.slack.message"

    kind = fields.Selection(selection_add=[("credit_release", "Credit release requested")],
                            ondelete={"credit_release": "cascade"})

    @api.model
    def _ar_render_credit_release(self, release):
        customer = release.partner_id
        title = self.env._("Credit release requested: %(customer)s", customer=customer.name)
        facts = [
            (self.env._("Customer"), customer.name),
            (self.env._("Amount"), self._ar_amount(release.amount, release.currency_id)),
            (self.env._("Valid until"), fields.Date.to_string(release.expiry_date)),
            (self.env._("Requested by"), release.requested_by_id.name or "-"),
            (self.env._("Reason"), (release.reason or "")[:500]),
        ]
        buttons = [self._ar_button(self.env._("Approve"), "ar_release_approve", release, "primary"),
                   self._ar_button(self.env._("Decline"), "ar_release_decline", release, "danger")]
        return title, self._ar_blocks(title, facts, release, buttons)
