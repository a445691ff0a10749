"""18.0.1.3.0: autopay and everything Stripe moved to ar_collections_portal_stripe.

The moved records keep their ids and data: their external ids (models, fields, selection
values, views, templates, menus, actions, scheduled actions, mail templates, access rights,
record rules) and their constraints and many2many tables are handed to the bridge before this
module loads without them, so that the end of the upgrade finds them owned by the bridge
(installed by post-migrate.py in the same upgrade) instead of deleting them as leftovers.
"""

from odoo.tools import SQL

OLD, NEW = "ar_collections_portal", "ar_collections_portal_stripe"
MODELS = ("ar.autopay.mandate", "ar.autopay.attempt")
# Models the bridge extends and this module no longer does: their fields and ir.model ids move.
EXTENDED_MODELS = ("payment.provider", "payment.token", "payment.transaction")
# Fields of models both modules extend that moved.
FIELDS = (("res.company", "ar_autopay_retry_offsets"), ("res.config.settings", "ar_autopay_retry_offsets"))
# Records of the data files that moved, by model of the record.
RECORDS = {
    "ir.actions.act_window": ("action_ar_autopay_attempt", "action_ar_autopay_mandate"),
    "ir.actions.server": ("ir_cron_autopay_card_expiry_ir_actions_server", "ir_cron_autopay_queue_ir_actions_server",
                          "ir_cron_autopay_send_ir_actions_server"),
    "ir.cron": ("ir_cron_autopay_card_expiry", "ir_cron_autopay_queue", "ir_cron_autopay_send"),
    "ir.model.access": ("access_ar_autopay_attempt_manager", "access_ar_autopay_attempt_user",
                        "access_ar_autopay_mandate_manager", "access_ar_autopay_mandate_user"),
    "ir.rule": ("ar_autopay_attempt_rule_company", "ar_autopay_mandate_rule_company"),
    "ir.ui.menu": ("menu_ar_autopay", "menu_ar_autopay_attempt", "menu_ar_autopay_mandate"),
    "ir.ui.view": ("ar_autopay_attempt_view_form", "ar_autopay_attempt_view_list", "ar_autopay_attempt_view_search",
                   "ar_autopay_mandate_view_form", "ar_autopay_mandate_view_list", "ar_autopay_mandate_view_search",
                   "portal_breadcrumbs_autopay", "portal_my_autopay", "portal_my_home_autopay"),
    "mail.template": ("mail_template_autopay_card_expiring", "mail_template_autopay_hard_decline",
                      "mail_template_autopay_last_retry"),
}


def migrate(cr, version):
    cr.execute(SQL("SELECT id FROM ir_module_module WHERE name = %s", NEW))
    if not cr.rowcount:
        return  # the bridge is not on the addons path: nothing can own the records
    new_id = cr.fetchone()[0]
    model_names = [f"model_{model.replace('.', '_')}" for model in MODELS + EXTENDED_MODELS]
    moved_fields = SQL(" OR ").join(SQL("(f.model = %s AND f.name = %s)", model, name) for model, name in FIELDS)
    conditions = [
        SQL("(d.model = 'ir.model' AND d.name IN %s)", tuple(model_names)),
        SQL("(d.model = 'ir.model.inherit' AND d.name LIKE ANY(%s))",
            [f"model_inherit\\_\\_{model.replace('.', '_')}\\_\\_%" for model in MODELS]),
        SQL("""(d.model = 'ir.model.fields' AND d.res_id IN (
                    SELECT f.id FROM ir_model_fields f WHERE f.model IN %s OR %s))""",
            MODELS + EXTENDED_MODELS, moved_fields),
        SQL("""(d.model = 'ir.model.fields.selection' AND d.res_id IN (
                    SELECT s.id FROM ir_model_fields_selection s JOIN ir_model_fields f ON f.id = s.field_id
                     WHERE f.model IN %s))""", MODELS),
        SQL("""(d.model = 'ir.model.constraint' AND d.res_id IN (
                    SELECT c.id FROM ir_model_constraint c JOIN ir_model m ON m.id = c.model WHERE m.model IN %s))""",
            MODELS),
        *(SQL("(d.model = %s AND d.name IN %s)", model, names) for model, names in RECORDS.items()),
    ]
    cr.execute(SQL(
        "UPDATE ir_model_data d SET module = %s WHERE d.module = %s AND (%s)",
        NEW, OLD, SQL(" OR ").join(conditions),
    ))
    # Constraints and many2many tables of the moved models: dropped with the module owning them.
    for table in ("ir_model_constraint", "ir_model_relation"):
        cr.execute(SQL(
            """UPDATE %s t SET module = %s
                 FROM ir_model m
                WHERE m.id = t.model AND m.model IN %s
                  AND t.module = (SELECT id FROM ir_module_module WHERE name = %s)""",
            SQL.identifier(table), new_id, MODELS, OLD,
        ))
