import logging

import requests

from odoo import models
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)

# Stripe's error type for trouble on its side (an HTTP 5xx): nothing was done.
STRIPE_SERVER_ERROR_TYPE = "api_error"


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def _stripe_make_request(self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None):
        """Extend payment_stripe's request: every transport failure is a ``ValidationError``.

        payment_stripe lets a read timeout, a connection dropped mid-answer or a non-JSON 5xx
        escape as a ``requests``/JSON error, and returns Stripe's 5xx error body as if it were
        an answer. Callers here (the autopay above all) must tell "Stripe said no" from "no
        usable answer" to send the same request again later under the same idempotency key.
        Every Stripe error object received is also appended to the list in the context key
        ``ar_stripe_errors`` when there is one: the autopay reads the decline code of a refused
        off-session charge there. Read that list back from ``records.env.context`` after
        ``with_context``: Odoo reuses an existing environment whose context compares equal.
        """
        try:
            data = super()._stripe_make_request(
                endpoint, payload=payload, method=method, offline=offline, idempotency_key=idempotency_key)
        except requests.exceptions.Timeout:
            # The request may have been processed: the caller keeps the same idempotency key
            # for its next try, so Stripe replays the outcome instead of charging again.
            _logger.warning("Stripe API did not answer in time (%s)", endpoint)
            raise ValidationError(self.env._("Stripe: Stripe did not answer in time.")) from None
        except (requests.exceptions.RequestException, ValueError):
            _logger.warning("Stripe API gave no usable answer (%s)", endpoint)
            raise ValidationError(self.env._(
                "Stripe: Stripe sent no usable answer; it is probably temporarily unavailable.")) from None
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            return data
        if isinstance(self.env.context.get("ar_stripe_errors"), list):
            self.env.context["ar_stripe_errors"].append(error)
        if error.get("type") == STRIPE_SERVER_ERROR_TYPE:
            _logger.warning("Stripe API failed on its side (%s): %s", endpoint, error.get("message"))
            raise ValidationError(self.env._(
                "Stripe: Stripe is temporarily unavailable (%(message)s).", message=error.get("message") or "-"))
        return data
