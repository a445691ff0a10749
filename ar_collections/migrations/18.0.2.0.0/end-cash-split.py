"""Cash application: the admin's schedule of the matcher, after ar_collections_cash's install.

Installing a module writes its data records even under ``noupdate``: the scheduled action that
matches incoming payments got the add-on's defaults back (every 30 minutes, active). This puts
back what it was before the upgrade, as pre-cash-split.py kept it, and gives it to the add-on's
second matching job too (its own install hook ran before this, on the defaults).
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.sql import table_exists

_logger = logging.getLogger(__name__)

CRON_TABLE = "ar_collections_cash_split_cron"


def migrate(cr, version):
    if not version or not table_exists(cr, CRON_TABLE):
        return
    cr.execute(SQL(
        """UPDATE ir_cron cron
              SET active = kept.active, interval_number = kept.interval_number,
                  interval_type = kept.interval_type, nextcall = kept.nextcall
             FROM %(table)s kept
            WHERE cron.id = kept.cron_id""",
        table=SQL.identifier(CRON_TABLE),
    ))
    cr.execute(SQL(
        """UPDATE ir_act_server action SET name = kept.name
             FROM %(table)s kept JOIN ir_cron cron ON cron.id = kept.cron_id
            WHERE action.id = cron.ir_actions_server_id""",
        table=SQL.identifier(CRON_TABLE),
    ))
    _logger.info("cash split: schedule of %s scheduled action(s) kept", cr.rowcount)
    cr.execute(SQL("DROP TABLE %s", SQL.identifier(CRON_TABLE)))
    env = api.Environment(cr, SUPERUSER_ID, {})
    if hasattr(env["account.bank.statement.line"], "_ar_cash_second_worker_follows"):
        env["ir.cron"].invalidate_model()  # its rows were changed in SQL above
        env["account.bank.statement.line"]._ar_cash_second_worker_follows()
