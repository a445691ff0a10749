import logging

from odoo import models

from odoo.addons.payment import utils as payment_utils

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _process_notification_data(self, notification_data):
        """Refuse a Stripe intent that is not this transaction's, whatever route brought it.

        Odoo's return route fetches the PaymentIntent named in its query string and hands it to
        the transaction named by ``reference``, without checking that they belong together: a
        customer could settle a large invoice with the intent of a small payment, or replay one
        intent on several transactions. The same check covers the webhook, capture/void answers
        and the autopay's off-session charges, which all end here.
        """
        if self.provider_code == "stripe" and self.operation != "refund":
            refusal = self._ar_stripe_intent_refusal(notification_data)
            if refusal:
                self._ar_refuse_notification(refusal)
                return None
        return super()._process_notification_data(notification_data)

    def _ar_stripe_intent_refusal(self, notification_data):
        """Why the Stripe intent of ``notification_data`` must not be applied here, or ``False``.

        Fields are compared when the intent carries them, which an intent fetched from Stripe or
        sent in a signed event always does: id (not already another transaction's, nor different
        from the one this transaction is bound to), reference (``description``, or the
        ``reference`` metadata), amount and currency.
        """
        self.ensure_one()
        key = "setup_intent" if self.operation == "validation" else "payment_intent"
        intent = notification_data.get(key)
        if not isinstance(intent, dict):
            return False  # payment_stripe refuses the data itself
        intent_id = intent.get("id")
        if not isinstance(intent_id, str) or not intent_id:
            return self.env._("The Stripe answer names no intent.")
        if self.provider_reference and self.provider_reference != intent_id:
            return self.env._(
                "Stripe intent %(intent)s is not the one of this transaction (%(own)s).",
                intent=intent_id, own=self.provider_reference,
            )
        metadata = intent.get("metadata") if isinstance(intent.get("metadata"), dict) else {}
        references = {intent.get("description"), metadata.get("reference")} - {None, ""}
        if ("description" in intent or metadata.get("reference")) and self.reference not in references:
            return self.env._(
                "Stripe intent %(intent)s was made for %(other)s, not for %(reference)s.",
                intent=intent_id, other=", ".join(sorted(map(str, references))) or "-", reference=self.reference,
            )
        if key == "payment_intent":
            currency = intent.get("currency")
            if currency is not None and str(currency).upper() != self.currency_id.name:
                return self.env._(
                    "Stripe intent %(intent)s is in %(currency)s, this transaction in %(own)s.",
                    intent=intent_id, currency=str(currency).upper(), own=self.currency_id.name,
                )
            amount = intent.get("amount")
            expected = payment_utils.to_minor_currency_units(self.amount, self.currency_id)
            if amount is not None and amount != expected:
                return self.env._(
                    "Stripe intent %(intent)s is for %(amount)s (minor units), this transaction for %(expected)s.",
                    intent=intent_id, amount=amount, expected=expected,
                )
        other = self.sudo().search([
            ("provider_id", "=", self.provider_id.id),
            ("provider_reference", "=", intent_id),
            ("operation", "!=", "refund"),
            ("id", "!=", self.id),
        ], limit=1)
        if other:
            return self.env._(
                "Stripe intent %(intent)s already belongs to transaction %(other)s.",
                intent=intent_id, other=other.reference,
            )
        return False

    def _ar_refuse_notification(self, reason):
        """Record on the transaction and its documents that a notification was refused."""
        self.ensure_one()
        _logger.warning("refused a Stripe notification for transaction %s: %s", self.reference, reason)
        message = self.env._("Payment confirmation refused, nothing was recorded as paid: %(reason)s", reason=reason)
        if not self._set_error(message):
            # Already done, cancelled or in error: its state stays, the refusal is still told.
            self._log_message_on_linked_documents(message)

    def _stripe_tokenize_from_notification_data(self, notification_data):
        """Keep the expiry of the card Stripe saved, for the card-expiry notices of the autopay."""
        res = super()._stripe_tokenize_from_notification_data(notification_data)
        payment_method = notification_data.get("payment_method")
        card = payment_method.get("card") if isinstance(payment_method, dict) else None
        if self.token_id and isinstance(card, dict):
            self.token_id._ar_set_card_expiry(card)
        return res
