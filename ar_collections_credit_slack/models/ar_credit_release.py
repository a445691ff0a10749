from odoo import models


class ArCreditRelease(models.Model):
    _inherit = "ar.credit.release"

    def action_request(self):
        """Announce the request in Slack, with buttons for the Credit Managers."""
        result = super().action_request()
        Message = self.env["ar.slack.message"]
        for release in self:
            # one alert per request: a release refused, corrected and requested again is announced again
            count = Message.sudo().search_count(
                [("kind", "=", "credit_release"), ("res_model", "=", release._name), ("res_id", "=", release.id)])
            Message._ar_notify("credit_release", release, key_suffix=f":{count + 1}" if count else "")
        return result

    def action_approve(self):
        result = super().action_approve()
        for release in self:
            self.env["ar.slack.message"]._ar_decided(release, self.env._(
                "✅ Credit release %(release)s approved by %(user)s", release=release.name, user=self.env.user.name))
        return result

    def action_refuse(self):
        result = super().action_refuse()
        for release in self:
            self.env["ar.slack.message"]._ar_decided(release, self.env._(
                "❌ Credit release %(release)s declined by %(user)s", release=release.name, user=self.env.user.name))
        return result

    def action_cancel(self):
        result = super().action_cancel()
        for release in self:
            self.env["ar.slack.message"]._ar_decided(release, self.env._(
                "Credit release %(release)s withdrawn by %(user)s", release=release.name, user=self.env.user.name))
        return result
