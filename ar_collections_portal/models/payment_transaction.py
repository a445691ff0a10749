from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _stripe_tokenize_from_notification_data(self, notification_data):
        """Keep the expiry of the card Stripe saved, for the card-expiry notices of the autopay."""
        res = super()._stripe_tokenize_from_notification_data(notification_data)
        payment_method = notification_data.get("payment_method")
        card = payment_method.get("card") if isinstance(payment_method, dict) else None
        if self.token_id and isinstance(card, dict):
            self.token_id._ar_set_card_expiry(card)
        return res
