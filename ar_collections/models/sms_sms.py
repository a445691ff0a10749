from odoo import models


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def send(self, unlink_failed=False, unlink_sent=True, auto_commit=False, raise_exception=False):
        blocked = self.env["ar.dunning.message"]._ar_filter_outgoing(self)
        if blocked:
            blocked.write({"state": "canceled"})
        return super(SmsSms, self - blocked).send(
            unlink_failed=unlink_failed, unlink_sent=unlink_sent, auto_commit=auto_commit,
            raise_exception=raise_exception,
        )

    def _update_sms_state_and_trackers(self, new_state, failure_type=None):
        if new_state in ("sent", "pending"):
            self.env["ar.dunning.message"]._ar_outgoing_done(self)
        elif new_state == "error":
            self.env["ar.dunning.message"]._ar_outgoing_done(self, failure=failure_type or "error")
        return super()._update_sms_state_and_trackers(new_state, failure_type=failure_type)
