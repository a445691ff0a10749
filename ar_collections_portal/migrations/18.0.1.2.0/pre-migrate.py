"""18.0.1.2.0: the Stripe API URL field is gone (tests reach their fake Stripe by patching
payment_stripe's transport): its view goes before the module loads without the field."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(SQL("""
        DELETE FROM ir_ui_view WHERE id IN (
            SELECT res_id FROM ir_model_data
             WHERE module = 'ar_collections_portal' AND name = 'payment_provider_view_form' AND model = 'ir.ui.view')
    """))
    cr.execute(SQL("""
        DELETE FROM ir_model_data
         WHERE module = 'ar_collections_portal' AND name = 'payment_provider_view_form' AND model = 'ir.ui.view'
    """))
