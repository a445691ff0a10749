"""What Odoo's mail thread computes per message, for many records at once."""

from odoo.tools import SQL


def first_message_ids(records):
    """{record id: its first message's id}: the parent ``message_post`` gives a new message of a
    flat thread (``mail.thread._message_compute_parent_id``), for all ``records`` in one query (a
    record without a message, or a thread that is not flat, has none)."""
    if not records._mail_flat_thread or not records:
        return {}
    records.env["mail.message"].flush_model(["model", "res_id", "message_type"])
    records.env.cr.execute(SQL(
        "SELECT res_id, MIN(id) FROM mail_message WHERE model = %s AND res_id IN %s"
        " AND message_type != 'user_notification' GROUP BY res_id", records._name, tuple(records.ids)))
    return dict(records.env.cr.fetchall())
