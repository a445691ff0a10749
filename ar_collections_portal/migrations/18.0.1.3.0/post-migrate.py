"""18.0.1.3.0: install the bridge that now owns the autopay and Stripe records, in this upgrade.

The records exist already (pre-migrate.py handed them to the bridge): the bridge is loaded as
an upgrade, not as a new install, which would write its data files over them (and undo the
admin's changes to the noupdate ones: scheduled actions, mail templates). Odoo's loader goes on
loading the modules marked during the loading, so the bridge is loaded right after this one.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    bridge = env["ir.module.module"].search([("name", "=", "ar_collections_portal_stripe")])
    stripe = env["ir.module.module"].search([("name", "=", "payment_stripe")])
    if bridge.state != "uninstalled" or stripe.state not in ("installed", "to upgrade"):
        return
    bridge.button_install()  # checks and marks its dependencies (all installed by now)
    bridge.state = "to upgrade"
