"""Cash application: from ar_collections to its own add-on, ar_collections_cash.

Until 18.0.2.0.0 ar_collections defined the cash application (bank-line matcher, remittance
advices, split wizard, exceptions queue, match log, settings, scheduled action). At the end of an
upgrade Odoo deletes what a module's ``ir_model_data`` names and its new code no longer
defines: the cash models with their tables, the columns added to companies and bank lines, the
views, menus, the scheduled action. Before the new code loads, this script gives those rows to
``ar_collections_cash``, which post-cash-split.py installs in the same upgrade: the records keep
their ids and their data. The admin's schedule of the cash cron (noupdate) is kept aside for
end-cash-split.py: installing a module writes its data records whatever their noupdate flag.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

OLD = "ar_collections"
NEW = "ar_collections_cash"

# Models defined by the cash application (with all their fields, selections, inherits, constraints).
MODELS = (
    "ar.cash.match", "ar.cash.match.line", "ar.remittance", "ar.remittance.line",
    "ar.remittance.import", "ar.cash.match.split", "ar.cash.match.split.line",
)
# Fields the cash application adds to other models.
FIELDS = {
    "res.company": (
        "ar_cash_auto_apply", "ar_cash_auto_confidence", "ar_cash_pause_confidence", "ar_cash_short_tolerance",
        "ar_cash_short_tolerance_max", "ar_cash_writeoff_account_id", "ar_cash_search_ms",
    ),
    "res.config.settings": (
        "ar_cash_auto_apply", "ar_cash_auto_confidence", "ar_cash_pause_confidence", "ar_cash_short_tolerance",
        "ar_cash_short_tolerance_max", "ar_cash_writeoff_account_id", "ar_cash_search_ms",
    ),
    "account.bank.statement.line": (
        "ar_match_status", "ar_match_ids", "ar_suggestion_ids", "ar_best_confidence", "ar_remittance_id",
    ),
}
# Models only the cash application extends (ar_collections' ir.model xml id of them goes too).
EXTENDED_MODELS = ("account.bank.statement.line",)
INHERITS = ("model_inherit__account_bank_statement_line__ar_claim_mixin",)
# The data records of its XML and CSV files.
RECORDS = (
    # views and actions
    "ar_cash_match_view_list", "ar_cash_match_view_form", "ar_cash_match_view_search", "action_ar_cash_match",
    "ar_remittance_view_list", "ar_remittance_view_form", "ar_remittance_view_search", "action_ar_remittance",
    "account_bank_statement_line_view_list_ar_cash", "account_bank_statement_line_view_form_ar_cash",
    "account_bank_statement_line_view_search_ar_cash", "action_ar_cash_exceptions", "action_ar_cash_bank_lines",
    "ar_cash_match_split_view_form", "action_ar_cash_match_split",
    "ar_remittance_import_view_form", "action_ar_remittance_import",
    # menus
    "menu_ar_cash_application", "menu_ar_cash_exceptions", "menu_ar_cash_bank_lines", "menu_ar_cash_match",
    "menu_ar_remittance", "menu_ar_remittance_import",
    # scheduled action (and the server action it is made of)
    "ir_cron_ar_cash_match", "ir_cron_ar_cash_match_ir_actions_server",
    # access rights and record rules
    "access_ar_cash_match_user", "access_ar_cash_match_manager", "access_ar_cash_match_line_user",
    "access_ar_cash_match_line_manager", "access_ar_remittance_user", "access_ar_remittance_manager",
    "access_ar_remittance_line_user", "access_ar_remittance_import_user", "access_ar_cash_match_split_user",
    "access_ar_cash_match_split_line_user",
    "ar_cash_match_rule_company", "ar_cash_match_line_rule_company", "ar_remittance_rule_company",
    "ar_remittance_line_rule_company",
)
# end-cash-split.py puts the admin's schedule back from here once ar_collections_cash is installed.
CRON_TABLE = "ar_collections_cash_split_cron"


def _underscored(model):
    return model.replace(".", "_")


def _xmlid_names():
    """(exact names, name prefixes) of OLD's ir_model_data rows that move."""
    names = set(RECORDS) | set(INHERITS)
    prefixes = []
    for model in MODELS + EXTENDED_MODELS:
        names.add(f"model_{_underscored(model)}")
    for model in MODELS:
        prefixes += [f"field_{_underscored(model)}__", f"selection__{_underscored(model)}__",
                     f"model_inherit__{_underscored(model)}__", f"constraint_{_underscored(model)}_"]
    for model, fnames in FIELDS.items():
        for fname in fnames:
            names.add(f"field_{_underscored(model)}__{fname}")
            prefixes.append(f"selection__{_underscored(model)}__{fname}__")
    return names, prefixes


def _move_xmlids(cr):
    names, prefixes = _xmlid_names()
    cr.execute(SQL(
        """UPDATE ir_model_data old SET module = %(new)s
            WHERE old.module = %(old)s
              AND (old.name = ANY(%(names)s)
                   OR EXISTS (SELECT 1 FROM unnest(%(prefixes)s::varchar[]) prefix WHERE starts_with(old.name, prefix)))
              AND NOT EXISTS (SELECT 1 FROM ir_model_data new WHERE new.module = %(new)s AND new.name = old.name)
        RETURNING old.model""",
        old=OLD, new=NEW, names=sorted(names), prefixes=prefixes,
    ))
    moved = [model for (model,) in cr.fetchall()]
    _logger.info("cash split: %s external ids moved from %s to %s", len(moved), OLD, NEW)
    return moved


def _move_schema_records(cr, new_module_id):
    """Foreign keys and many2many tables are owned through their own ``module`` column: the cash
    add-on's uninstall drops them, not ar_collections'."""
    fkeys = [f"{model.replace('.', '_')}_{fname}_fkey" for model, fnames in FIELDS.items() for fname in fnames]
    for table in ("ir_model_constraint", "ir_model_relation"):
        cr.execute(SQL(
            """UPDATE %(table)s rec SET module = %(new)s
                WHERE rec.module = (SELECT id FROM ir_module_module WHERE name = %(old)s)
                  AND (rec.model IN (SELECT id FROM ir_model WHERE model = ANY(%(models)s))
                       OR rec.name = ANY(%(fkeys)s))
                  AND NOT EXISTS (SELECT 1 FROM %(table)s other WHERE other.module = %(new)s AND other.name = rec.name)""",
            table=SQL.identifier(table), new=new_module_id, old=OLD, models=list(MODELS), fkeys=fkeys,
        ))


def _keep_cron_schedule(cr):
    cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(CRON_TABLE)))
    cr.execute(SQL(
        """CREATE TABLE %(table)s AS
           SELECT cron.id AS cron_id, cron.active, cron.interval_number, cron.interval_type, cron.nextcall,
                  action.name AS name
             FROM ir_model_data data
             JOIN ir_cron cron ON cron.id = data.res_id
             JOIN ir_act_server action ON action.id = cron.ir_actions_server_id
            WHERE data.module = %(new)s AND data.model = 'ir.cron'""",
        table=SQL.identifier(CRON_TABLE), new=NEW,
    ))


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    module = env["ir.module.module"].search([("name", "=", NEW)])
    if not module:
        # an upgrade started without refreshing the module list (-u does refresh it)
        env["ir.module.module"].update_list()
        module = env["ir.module.module"].search([("name", "=", NEW)])
    if not module:
        # Without it, the end of this upgrade would drop the cash application's tables.
        raise UserError(env._(
            "Upgrading AR Collections to 18.0.2.0.0 needs its cash application add-on %(module)s on the "
            "addons path, next to ar_collections: it takes over the cash application's data.", module=NEW))
    if not _move_xmlids(cr):
        return
    _move_schema_records(cr, module.id)
    _keep_cron_schedule(cr)
