"""18.0.1.1.0: install the Sales bridge in this upgrade, and keep blocking where it blocked.

The bridge's records exist already (pre-migrate.py handed them over): it is loaded as an
upgrade, right after this module, by Odoo's loader, which goes on loading the modules marked
during the loading. Holds only warn on a new install until a Credit Manager turns blocking on;
a database that blocked before keeps blocking.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

BRIDGE = "ar_collections_credit_sale"


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("UPDATE res_company SET ar_credit_block = TRUE"))
    env = api.Environment(cr, SUPERUSER_ID, {})
    bridge = env["ir.module.module"].search([("name", "=", BRIDGE)])
    sale = env["ir.module.module"].search([("name", "=", "sale")])
    if bridge.state not in ("uninstalled", "to install") or sale.state not in ("installed", "to upgrade"):
        return
    if bridge.state == "uninstalled":
        bridge.button_install()  # checks and marks its dependencies (all installed by now)
    bridge.state = "to upgrade"
