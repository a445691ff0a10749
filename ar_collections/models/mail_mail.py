from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        blocked = self.env["ar.dunning.message"]._ar_filter_outgoing(self)
        if blocked:
            blocked.write({"state": "cancel", "failure_reason": self.env._("Reminder changed before sending")})
            # the chatter shows these emails as cancelled, not as waiting to be sent
            self.env["mail.notification"].sudo().search([
                ("mail_mail_id", "in", blocked.ids), ("notification_status", "not in", ("sent", "canceled")),
            ]).write({"notification_status": "canceled"})
        return super(MailMail, self - blocked).send(
            auto_commit=auto_commit, raise_exception=raise_exception, post_send_callback=post_send_callback,
        )

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        if failure_type:
            # "mail_smtp": the server could not be reached at all, so nothing left: worth a retry.
            # (On a connection failure Odoo writes the reason on the mails, not in the call.)
            reason = failure_reason or next(filter(None, self.mapped("failure_reason")), None) or failure_type
            self.env["ar.dunning.message"]._ar_outgoing_done(
                self, failure=reason, transient=failure_type == "mail_smtp")
        else:
            self.env["ar.dunning.message"]._ar_outgoing_done(self)
        return super()._postprocess_sent_message(success_pids, failure_reason=failure_reason, failure_type=failure_type)
