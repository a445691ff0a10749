from odoo import api, models

HOLD_INPUT_FIELDS = {"product_id", "product_uom_qty", "product_uom", "price_unit", "discount", "tax_id",
                     "qty_delivered", "order_id"}


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._ar_credit_refresh_holds_later()
        return lines

    def write(self, vals):
        result = super().write(vals)
        # quantities and prices of confirmed orders change what is left to invoice
        if HOLD_INPUT_FIELDS.intersection(vals):
            self.order_id._ar_credit_refresh_holds_later()
        return result

    def unlink(self):
        self.order_id._ar_credit_refresh_holds_later()
        return super().unlink()
