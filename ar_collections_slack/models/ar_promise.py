from odoo import models


class ArPromise(models.Model):
    _inherit = "ar.promise"

    def _ar_escalate_broken(self, today):
        """Announce the broken promises in Slack too."""
        result = super()._ar_escalate_broken(today)
        self.env["ar.slack.message"]._ar_notify("broken_promise", self)
        return result
