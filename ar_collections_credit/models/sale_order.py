from odoo import models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        held = self.partner_id.commercial_partner_id.filtered(lambda partner: partner._ar_is_on_hold())
        if held:
            raise UserError("\n".join(partner._ar_credit_hold_message() for partner in held))
        return super().action_confirm()
