from odoo import api, models


class ArPaymentPlan(models.Model):
    _inherit = "ar.payment.plan"

    @api.model_create_multi
    def create(self, vals_list):
        plans = super().create(vals_list)
        plans.filtered(lambda plan: plan.state == "to_approve")._ar_notify_submitted()
        return plans

    def write(self, vals):
        """Announce in Slack the plans that this write submits for approval, whoever submits them
        (back office button, portal proposal)."""
        submitted = self.filtered(lambda plan: plan.state != "to_approve") if vals.get("state") == "to_approve" \
            else self.browse()
        result = super().write(vals)
        submitted.filtered(lambda plan: plan.state == "to_approve")._ar_notify_submitted()
        return result

    def _ar_notify_submitted(self):
        # one alert per submission: a plan sent back and submitted again is announced again
        for plan in self:
            count = self.env["ar.slack.message"].sudo().search_count(
                [("kind", "=", "plan_submitted"), ("res_model", "=", plan._name), ("res_id", "=", plan.id)])
            self.env["ar.slack.message"]._ar_notify("plan_submitted", plan, key_suffix=f":{count + 1}" if count else "")
