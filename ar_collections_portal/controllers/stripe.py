import hashlib
import hmac
import logging
import time

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.http import request

from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.controllers.main import StripeController

_logger = logging.getLogger(__name__)


class ArStripeController(StripeController):

    @http.route()
    def stripe_webhook(self):
        """Answer 400 to a body that is not a Stripe event before payment_stripe reads it.

        payment_stripe indexes the decoded body directly: a malformed body, a JSON array or
        an event without an object id ended in a 500 with a traceback in the log.
        """
        try:
            event = request.get_json_data()
        except ValueError:
            event = None
        data = event.get("data") if isinstance(event, dict) else None
        obj = data.get("object") if isinstance(data, dict) else None
        if not (isinstance(event.get("type") if isinstance(event, dict) else None, str)
                and isinstance(obj, dict) and obj.get("id")):
            _logger.warning("refused a Stripe webhook call whose body is not a Stripe event")
            return request.make_json_response({"error": "not a Stripe event"}, status=400)
        return super().stripe_webhook()

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
