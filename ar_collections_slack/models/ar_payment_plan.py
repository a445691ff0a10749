from odoo import models


class ArPaymentPlan(models.Model):
    _inherit = "ar.payment.plan"

    def _ar_on_submitted(self):
        """Announce in Slack the plan waiting for approval (back office or portal proposal)."""
        result = super()._ar_on_submitted()
        # one alert per submission: a plan sent back to draft and submitted again is announced again
        Message = self.env["ar.slack.message"]
        count = Message.sudo().search_count(
            [("kind", "=", "plan_submitted"), ("res_model", "=", self._name), ("res_id", "=", self.id)])
        Message._ar_notify("plan_submitted", self, key_suffix=f":{count + 1}" if count else "")
        return result

    def action_approve(self):
        result = super().action_approve()
        self.env["ar.slack.message"]._ar_decided(self, self.env._("✅ Plan approved by %(user)s", user=self.env.user.name))
        return result

    def action_refuse(self, reason=None):
        result = super().action_refuse(reason=reason)
        self.env["ar.slack.message"]._ar_decided(self, self.env._("❌ Plan declined by %(user)s", user=self.env.user.name))
        return result

    def action_cancel(self):
        result = super().action_cancel()
        self.env["ar.slack.message"]._ar_decided(self, self.env._("Plan cancelled by %(user)s", user=self.env.user.name))
        return result
