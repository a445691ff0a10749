import hashlib
import hmac
import logging
import time

from werkzeug.exceptions import Forbidden

from odoo.http import request

from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.controllers.main import StripeController

_logger = logging.getLogger(__name__)


class ArStripeController(StripeController):

    def _verify_notification_signature(self, tx_sudo):
        """Refuse a Stripe event unless it carries a valid, fresh signature.

        payment_stripe processes events unverified when the provider has no webhook secret
        and answers 500 on a missing or malformed header; a forged "payment succeeded" would
        then mark invoices paid. Here every such event is refused with 403.
        """
        secret = stripe_utils.get_webhook_secret(tx_sudo.provider_id)
        if not secret:
            _logger.warning("refused a Stripe event: the provider %s has no webhook signing secret",
                            tx_sudo.provider_id.id)
            raise Forbidden()
        header = request.httprequest.headers.get("Stripe-Signature", "")
        parts = {}
        for entry in header.split(","):
            key, sep, value = entry.strip().partition("=")
            if sep:
                parts.setdefault(key, []).append(value)
        try:
            timestamp = int(parts.get("t", ["0"])[0])
        except ValueError:
            timestamp = 0
        if not timestamp or abs(time.time() - timestamp) > self.WEBHOOK_AGE_TOLERANCE:
            _logger.warning("refused a Stripe event with a missing or stale timestamp")
            raise Forbidden()
        signed = f"{timestamp}.".encode() + request.httprequest.get_data()
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        # Stripe may send several v1 signatures while a secret is being rolled.
        if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
            _logger.warning("refused a Stripe event with an invalid signature")
            raise Forbidden()
