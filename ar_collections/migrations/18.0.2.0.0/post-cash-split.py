"""Cash application: install ar_collections_cash in this upgrade (see pre-cash-split.py).

The loader installs the modules marked "to install" after the upgraded ones, in the same run
(odoo/modules/loading.py, step 3): the add-on loads its code and data over the records
pre-cash-split.py gave it, and the end of the upgrade finds them all defined.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

NEW = "ar_collections_cash"


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    if not env["ir.model.data"].search_count([("module", "=", NEW)], limit=1):
        return  # nothing of the cash application was moved: nothing to take over
    module = env["ir.module.module"].search([("name", "=", NEW), ("state", "=", "uninstalled")])
    if module:
        _logger.info("cash split: installing %s, which takes over the cash application's records", NEW)
        module.button_install()
