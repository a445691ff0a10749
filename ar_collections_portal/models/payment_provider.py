import logging
from urllib.parse import urljoin, urlparse

import requests

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.payment_stripe import const
from odoo.addons.payment_stripe import utils as stripe_utils

_logger = logging.getLogger(__name__)

STRIPE_API_URL = "https://api.stripe.com/v1/"


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    ar_stripe_api_url = fields.Char(
        string="Stripe API URL", groups="base.group_system",
        help="Where Stripe API calls go; empty means Stripe itself (https://api.stripe.com/v1/). "
             "Set it to a Stripe-compatible test server (stripe-mock, a fake Stripe in tests).",
    )

    @api.constrains("ar_stripe_api_url")
    def _check_ar_stripe_api_url(self):
        for provider in self.sudo().filtered("ar_stripe_api_url"):
            url = urlparse(provider.ar_stripe_api_url)
            if url.scheme not in ("http", "https") or not url.netloc:
                raise ValidationError(self.env._(
                    "The Stripe API URL must be an http(s) address like https://api.stripe.com/v1/ (got %(url)s).",
                    url=provider.ar_stripe_api_url,
                ))

    def _ar_stripe_timeout(self):
        """Seconds to wait for Stripe (system parameter ``ar_collections_portal.stripe_timeout``, 60)."""
        value = self.env["ir.config_parameter"].sudo().get_param("ar_collections_portal.stripe_timeout")
        try:
            return max(float(value), 0.1) if value else 60.0
        except ValueError:
            _logger.warning("ignored the invalid Stripe timeout %r; using 60 s", value)
            return 60.0

    def _stripe_make_request(self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None):
        """Call the Stripe API at the provider's API URL (Stripe itself unless configured).

        Same contract as payment_stripe's method: returns the decoded JSON body; 4xx answers
        that carry a Stripe error are returned as they are for offline operations and raise
        ``ValidationError`` otherwise; a connection that cannot be made raises
        ``ValidationError``. In addition, a read timeout or a 5xx answer raises
        ``ValidationError`` (Odoo's version lets a timeout or a non-JSON 5xx escape as a
        ``requests``/JSON error), and every Stripe error object received is appended to the
        list in the context key ``ar_stripe_errors`` when there is one, which is how the
        autopay reads the decline code of a refused off-session charge. Read that list back
        from ``records.env.context`` after ``with_context``: Odoo reuses an existing
        environment whose context compares equal, which may hold another, equally empty list.
        """
        self.ensure_one()
        base = self.sudo().ar_stripe_api_url or STRIPE_API_URL
        url = urljoin(base if base.endswith("/") else base + "/", endpoint)
        headers = {
            "AUTHORIZATION": f"Bearer {stripe_utils.get_secret_key(self)}",
            "Stripe-Version": const.API_VERSION,
            **self._get_stripe_extra_request_headers(),
        }
        if method == "POST" and idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = requests.request(method, url, data=payload, headers=headers, timeout=self._ar_stripe_timeout())
        except requests.exceptions.Timeout:
            # The request may have been processed: the caller keeps the same idempotency key
            # for its next try, so Stripe replays the outcome instead of charging again.
            _logger.warning("Stripe API at %s did not answer in time", url)
            raise ValidationError(self.env._("Stripe: Stripe did not answer in time.")) from None
        except requests.exceptions.ConnectionError:
            _logger.warning("unable to reach the Stripe API at %s", url)
            raise ValidationError(self.env._("Stripe: Could not establish the connection to the API.")) from None
        if response.status_code >= 500:
            _logger.warning("Stripe API at %s answered HTTP %s", url, response.status_code)
            raise ValidationError(self.env._(
                "Stripe: Stripe is temporarily unavailable (HTTP %(status)s).", status=response.status_code,
            ))
        try:
            data = response.json()
        except ValueError:
            raise ValidationError(self.env._(
                "Stripe: Stripe sent an answer that is not JSON (HTTP %(status)s).", status=response.status_code,
            )) from None
        error = data.get("error") if isinstance(data, dict) else None
        if error and isinstance(self.env.context.get("ar_stripe_errors"), list):
            self.env.context["ar_stripe_errors"].append(error)
        if not response.ok and not offline and error:
            # Stripe also answers 4xx for refused payments; online flows show the message.
            _logger.warning("invalid API request at %s: %s", url, error.get("message"))
            raise ValidationError(self.env._(
                "Stripe: The communication with the API failed.\nStripe gave us the following info about the problem:\n'%s'",
                error.get("message", ""),
            ))
        return data
