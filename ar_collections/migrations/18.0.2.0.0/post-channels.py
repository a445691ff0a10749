"""Dunning channels: the four Booleans of a level become its channel lines.

Until 18.0.2.0.0 a level said how it reaches the customer with ``channel_email``,
``channel_sms``, ``channel_letter`` and ``channel_phone``; now with ``ar.dunning.level.channel``
lines. The old columns are still there in the post phase (Odoo drops the columns of removed
fields at the very end of the upgrade, with their ``ir.model.fields``), so no pre script is
needed. The lines keep the order the reminders were sent in: email, SMS, letter, phone.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)

OLD_CHANNELS = ("email", "sms", "letter", "phone")


def migrate(cr, version):
    if not version:
        return
    for sequence, channel in enumerate(OLD_CHANNELS, start=1):
        column = f"channel_{channel}"
        if not column_exists(cr, "ar_dunning_level", column):
            continue
        cr.execute(SQL(
            """INSERT INTO ar_dunning_level_channel (level_id, sequence, channel,
                                                     create_uid, create_date, write_uid, write_date)
               SELECT level.id, %(sequence)s, %(channel)s,
                      level.write_uid, NOW() AT TIME ZONE 'UTC', level.write_uid, NOW() AT TIME ZONE 'UTC'
                 FROM ar_dunning_level level
                WHERE level.%(column)s
                  AND NOT EXISTS (SELECT 1 FROM ar_dunning_level_channel line
                                   WHERE line.level_id = level.id AND line.channel = %(channel)s)""",
            sequence=sequence, channel=channel, column=SQL.identifier(column),
        ))
        _logger.info("Dunning levels sending by %s: %s", channel, cr.rowcount)
