"""18.0.1.1.0: the sale-order part moved to the bridge ar_collections_credit_sale.

Its records keep their ids and data (a release's order, the limits on orders not invoiced, the
holds for them): their external ids (fields, selection value, views, menu, access rights, record
rules) and the release's foreign key to its order are handed to the bridge before this module
loads without them, so that the end of the upgrade finds them owned by the bridge (installed by
post-migrate.py in the same upgrade) instead of deleting them, their columns and their rows.
"""

from odoo.tools import SQL

OLD, NEW = "ar_collections_credit", "ar_collections_credit_sale"
# Fields of models both modules extend that moved (all the fields this module added to sale.order too).
FIELDS = (("ar.credit.release", "sale_order_id"), ("res.partner", "ar_credit_orders"),
          ("res.partner", "ar_credit_limit_orders"))
SELECTIONS = ("selection__ar_credit_hold__reason__limit_orders",)
RECORDS = {
    "ir.ui.view": ("sale_order_view_form",),
    "ir.ui.menu": ("menu_sale_ar_credit_release",),
    "ir.model.access": ("access_ar_credit_score_salesman", "access_ar_credit_release_salesman",
                        "access_ar_credit_hold_salesman"),
    "ir.rule": ("ar_credit_release_rule_salesman", "ar_credit_release_rule_salesman_read"),
}


def migrate(cr, version):
    cr.execute(SQL("SELECT id FROM ir_module_module WHERE name = %s", NEW))
    if not cr.rowcount:
        return  # the bridge is not on the addons path: nothing can own the records
    new_id = cr.fetchone()[0]
    moved_fields = SQL(" OR ").join(SQL("(f.model = %s AND f.name = %s)", model, name) for model, name in FIELDS)
    conditions = [
        SQL("""(d.model = 'ir.model.fields' AND d.res_id IN (
                    SELECT f.id FROM ir_model_fields f WHERE f.model = 'sale.order' OR %s))""", moved_fields),
        SQL("(d.model = 'ir.model.fields.selection' AND d.name IN %s)", SELECTIONS),
        *(SQL("(d.model = %s AND d.name IN %s)", model, names) for model, names in RECORDS.items()),
    ]
    cr.execute(SQL(
        "UPDATE ir_model_data d SET module = %s WHERE d.module = %s AND (%s)",
        NEW, OLD, SQL(" OR ").join(conditions),
    ))
    # the release's foreign key to its order: dropped with the module owning it
    cr.execute(SQL(
        """UPDATE ir_model_constraint c SET module = %s
             FROM ir_model m
            WHERE m.id = c.model AND m.model = 'ar.credit.release' AND c.name = 'ar_credit_release_sale_order_id_fkey'
              AND c.module = (SELECT id FROM ir_module_module WHERE name = %s)""",
        new_id, OLD,
    ))
