from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The second matching job arrives with this version: it takes the first one's state and
    schedule, so a matcher an admin had switched off stays off."""
    if version:
        api.Environment(cr, SUPERUSER_ID, {})["account.bank.statement.line"]._ar_cash_second_worker_follows()
