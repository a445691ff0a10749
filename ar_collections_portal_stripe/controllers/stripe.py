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

        payment_stripe processes events unverified when the provider has no webhook secret,
        accepts timestamps from the future and answers 500 on a missing or malformed header;
        a forged "payment succeeded" would then mark invoices paid. Here each of those is
        refused with 403, and payment_stripe's own check does the rest.
        """
        if not stripe_utils.get_webhook_secret(tx_sudo.provider_id):
            _logger.warning("refused a Stripe event: the provider %s has no webhook signing secret",
                            tx_sudo.provider_id.id)
            raise Forbidden()
        try:
            super()._verify_notification_signature(tx_sudo)
        except (KeyError, ValueError):  # a header or body payment_stripe cannot parse
            _logger.warning("refused a Stripe event with a missing or malformed signature header")
            raise Forbidden() from None
        header = request.httprequest.headers.get("Stripe-Signature", "")
        timestamp = next((value for key, sep, value in (entry.strip().partition("=") for entry in header.split(","))
                          if sep and key == "t"), "")
        if timestamp.isdigit() and int(timestamp) > time.time() + self.WEBHOOK_AGE_TOLERANCE:
            _logger.warning("refused a Stripe event dated in the future")
            raise Forbidden()
        return None  # payment_stripe's check returns nothing either
