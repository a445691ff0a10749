from odoo import api, models
from odoo.exceptions import UserError

CREDIT_MANAGER = "ar_collections_credit.group_ar_credit_manager"


class ArSlackInteraction(models.AbstractModel):
    _inherit = "ar.slack.interaction"

    @api.model
    def _ar_slack_actions(self):
        return {
            **super()._ar_slack_actions(),
            "ar_release_approve": ("ar.credit.release", CREDIT_MANAGER, "_ar_do_release_approve"),
            "ar_release_decline": ("ar.credit.release", CREDIT_MANAGER, "_ar_do_release_decline"),
        }

    @api.model
    def _ar_do_release_approve(self, release):
        # the release's own checks: a Credit Manager other than the requester, before it expires
        release.action_approve()
        return self.env._("✅ Credit release %(release)s approved by %(user)s", release=release.name,
                          user=self.env.user.name)

    @api.model
    def _ar_do_release_decline(self, release):
        # the alert asks about a request: an approved release is revoked in the back office
        if release.state != "requested":
            raise UserError(self.env._("%(release)s is no longer waiting for approval: nothing was done.",
                                       release=release.name))
        release.action_refuse()
        return self.env._("❌ Credit release %(release)s declined by %(user)s", release=release.name,
                          user=self.env.user.name)
