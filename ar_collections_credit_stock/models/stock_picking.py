from collections import defaultdict

from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _ar_credit_exempt(self):
        """Deliveries of orders paid online (portal) are never blocked."""
        return self.filtered(lambda picking: any(
            tx.state in ("authorized", "done") for tx in picking.sudo().sale_id.transaction_ids))

    def button_validate(self):
        to_check = self.filtered(
            lambda picking: picking.picking_type_code == "outgoing" and picking.partner_id
            and picking.state not in ("done", "cancel") and picking.company_id.ar_credit_check_delivery
        )
        to_check -= to_check._ar_credit_exempt()
        for company, pickings in to_check.grouped("company_id").items():
            names = defaultdict(list)
            for picking in pickings:
                names[picking.partner_id.commercial_partner_id.id].append(picking.name)
            labels = {
                partner_id: self.env._("Delivery %(names)s", names=", ".join(picking_names))
                for partner_id, picking_names in names.items()
            }
            # Delivering adds no exposure (the order is counted already): only the holds apply.
            amounts = dict.fromkeys(names, 0.0)
            pickings.partner_id.commercial_partner_id._ar_credit_enforce(company, amounts, labels, pickings)
        return super().button_validate()

    def _ar_credit_orders(self):
        """The sale orders these deliveries ship, for the credit releases tied to an order."""
        return self.sudo().sale_id.with_env(self.env)

    def _ar_credit_bucket(self):
        """Deliveries add nothing to the exposure (their order is counted already)."""
        return None

    def _ar_credit_action(self):
        """What the credit check stops, for its messages."""
        return self.env._("validating the delivery")
