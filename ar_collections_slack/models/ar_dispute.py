from odoo import models


class ArDispute(models.Model):
    _inherit = "ar.dispute"

    def _ar_escalate(self, *args, **kwargs):
        """Announce in Slack the disputes this escalation finds past their SLA."""
        within = self.filtered(lambda dispute: not dispute.sla_breached)
        result = super()._ar_escalate(*args, **kwargs)
        self.env["ar.slack.message"]._ar_notify("dispute_sla", within.filtered("sla_breached"))
        return result
