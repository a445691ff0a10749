from . import controllers
from . import models
from . import report
from . import tools
from . import wizard


def _post_init_hook(env):
    """Give every existing company its default dunning policy."""
    env["res.company"].search([])._ar_ensure_default_policy()


def _uninstall_hook(env):
    """Drop the indexes we added to Odoo's own account_move and account_move_line tables (our
    tables go with the models)."""
    env.cr.execute("DROP INDEX IF EXISTS ar_account_move_open_invoice_idx")
    env.cr.execute("DROP INDEX IF EXISTS ar_account_move_open_invoice_risk_idx")
    env.cr.execute("DROP INDEX IF EXISTS ar_account_move_line_open_items_idx")
