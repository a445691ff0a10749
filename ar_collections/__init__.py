from . import controllers
from . import models
from . import report
from . import tools
from . import wizard


def _post_init_hook(env):
    """Give every existing company its default dunning policy."""
    env["res.company"].search([])._ar_ensure_default_policy()


def _uninstall_hook(env):
    """Drop the indexes we added to Odoo's own account_move, account_move_line and
    account_partial_reconcile tables, and the table no model owns (our other tables go with the
    models)."""
    env.cr.execute("DROP INDEX IF EXISTS ar_account_move_open_invoice_idx")
    env.cr.execute("DROP INDEX IF EXISTS ar_account_move_open_invoice_risk_idx")
    env.cr.execute("DROP INDEX IF EXISTS ar_account_move_line_open_items_idx")
    env.cr.execute("DROP INDEX IF EXISTS ar_account_partial_reconcile_max_date_idx")
    # the collector report's store of cash reconciliations is a table of its own (no model)
    env.cr.execute("DROP TABLE IF EXISTS ar_collector_cash_partial")
