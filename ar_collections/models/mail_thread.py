from odoo import models
from odoo.tools import SQL


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _ar_first_message_ids(self):
        """{record id: its first message's id}: the parent ``message_post`` gives a new message of
        a flat thread (``_message_compute_parent_id``), for all these records in one query (a
        record without a message, or a thread that is not flat, has none)."""
        if not self._mail_flat_thread or not self:
            return {}
        self.env["mail.message"].flush_model(["model", "res_id", "message_type"])
        self.env.cr.execute(SQL(
            "SELECT res_id, MIN(id) FROM mail_message WHERE model = %s AND res_id IN %s"
            " AND message_type != 'user_notification' GROUP BY res_id", self._name, tuple(self.ids)))
        return dict(self.env.cr.fetchall())
