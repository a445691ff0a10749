"""A fake Stripe API on loopback, for tests.

Stripe is an outside service: the tests do not skip the Stripe code path, they send
payment_stripe's API calls to this server (``FakeStripe.patch_transport``), which speaks the part of Stripe's v1 API that Odoo's
``payment_stripe`` and the autopay use (form-encoded requests, JSON answers, HTTP 402 card
errors, idempotency keys, signed webhook events) and can inject transport faults.

Only the standard library is used, so the top-level tests can run it next to real Odoo
processes as well as inside an Odoo test.
"""

import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "stolen_card": "Your card was declined.",
    "lost_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "generic_decline": "Your card was declined.",
    "do_not_honor": "Your card was declined.",
    "do_not_try_again": "Your card was declined.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}
# Stripe's own test payment methods (https://docs.stripe.com/testing#declined-payments).
STANDARD_PAYMENT_METHODS = {
    "pm_card_visa": None,
    "pm_card_mastercard": None,
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_chargeDeclinedLostCard": "lost_card",
    "pm_card_chargeDeclinedStolenCard": "stolen_card",
    "pm_card_chargeDeclinedExpiredCard": "expired_card",
}
# What Stripe.js does in the customer's browser, reduced to what payment_stripe's payment form
# calls: a card "element" (one input holding a test payment method id such as pm_card_visa),
# submit(), and confirmPayment(), which confirms the PaymentIntent on the fake API with the
# publishable key and the client secret, then goes to the return URL as Stripe.js does.
STRIPE_JS = """
(function () {
    const API = "%(api)s";
    window.Stripe = function (publishableKey) {
        let input = null;
        const elements = {
            create() {
                return {
                    mount(container) {
                        container.innerHTML = '<label class="form-label">Card (fake Stripe)</label>'
                            + '<input class="form-control o_ar_fake_stripe_card" name="ar_fake_stripe_card" value="pm_card_visa"/>';
                        input = container.querySelector("input");
                    },
                    on() {},
                };
            },
            update() {},
            async submit() {
                if (!input || !input.value) {
                    throw new Error("Your card number is incomplete.");
                }
                return {};
            },
        };
        async function confirm(kind, { clientSecret, confirmParams }) {
            const id = clientSecret.split("_secret_")[0];
            const body = new URLSearchParams({
                payment_method: input.value, client_secret: clientSecret, key: publishableKey,
            });
            const response = await fetch(API + kind + "/" + id + "/confirm", { method: "POST", body });
            const data = await response.json();
            if (data.error) {
                return { error: data.error };
            }
            const param = kind === "payment_intents" ? "payment_intent" : "setup_intent";
            window.location = confirmParams.return_url + "&" + param + "=" + encodeURIComponent(id);
            return {};
        }
        return {
            elements: () => elements,
            confirmPayment: (options) => confirm("payment_intents", options),
            confirmSetup: (options) => confirm("setup_intents", options),
        };
    };
})();
"""
FAULT_KINDS = ("timeout", "500", "html_502", "drop_after_charge", "stall_after_charge", "drop_before")
STRIPE_API_URL = "https://api.stripe.com/v1/"
# The module whose ``requests`` reaches Stripe's API (payment_stripe's provider model).
STRIPE_REQUESTS_TARGET = "odoo.addons.payment_stripe.models.payment_provider.requests"


class StripeTransport:
    """Stands for the ``requests`` module inside payment_stripe: calls to Stripe's API go to
    the fake (with the test's client timeout), anything else goes out unchanged. Installed by
    patching, as Odoo's own payment tests patch the request method: production code has no
    knob for it."""

    def __init__(self, fake_url, timeout=None):
        import requests  # only the tests that talk to the fake need it

        self._requests = requests
        self.fake_url = fake_url
        self.timeout = timeout
        self.exceptions = requests.exceptions

    def request(self, method, url, **kwargs):
        if url.startswith(STRIPE_API_URL):
            url = self.fake_url + url[len(STRIPE_API_URL):]
            if self.timeout:
                kwargs["timeout"] = self.timeout
        return self._requests.request(method, url, **kwargs)

    def __getattr__(self, name):
        return getattr(self._requests, name)


def patch_stripe_transport(fake_url, timeout=None):
    """A ``unittest.mock.patch`` sending payment_stripe's API calls to the fake at ``fake_url``
    (also from an Odoo process the tests start, where the fake object is not at hand)."""
    from unittest.mock import patch

    return patch(STRIPE_REQUESTS_TARGET, StripeTransport(fake_url, timeout=timeout))


class _Drop(Exception):
    """Close the connection without an answer."""


class FakeStripe:
    """The fake server and its state; see the module docstring.

    ``charges`` lists every successful charge, ``requests`` every request received,
    ``payment_intents`` every PaymentIntent by id.
    """

    def __init__(self, webhook_secret="whsec_test_ar", timeout_seconds=3.0):
        self.webhook_secret = webhook_secret
        self.timeout_seconds = timeout_seconds
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.server = None
        self.thread = None
        self.reset()

    # ------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------

    def reset(self):
        """Forget every object, request and fault (the cards configured stay standard)."""
        with self.lock:
            self.charges = []
            self.requests = []
            self.payment_intents = {}
            self.setup_intents = {}
            self.customers = {}
            self.payment_methods = {}
            self.idempotency = {}
            self.faults = []
            for pm_id, decline in STANDARD_PAYMENT_METHODS.items():
                self.add_payment_method(pm_id, decline_code=decline)

    def start(self):
        fake = self

        class Handler(_Handler):
            stripe = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-stripe", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1/"

    def patch_transport(self, timeout=None):
        """A ``unittest.mock.patch`` sending payment_stripe's API calls to this fake."""
        return patch_stripe_transport(self.url, timeout=timeout)

    @property
    def js_url(self):
        """Where the fake Stripe.js is served (stands for https://js.stripe.com/v3/)."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/js/v3/"

    # ------------------------------------------------------------------
    # configuration used by tests
    # ------------------------------------------------------------------

    def add_payment_method(self, pm_id, decline_code=None, code="card_declined", last4="4242",
                           exp_month=12, exp_year=2030, brand="visa", customer=None):
        """Register a card; ``decline_code`` makes every charge on it fail like Stripe does."""
        with self.lock:
            self.payment_methods[pm_id] = {
                "object": {
                    "id": pm_id, "object": "payment_method", "type": "card", "customer": customer,
                    "card": {"brand": brand, "last4": last4, "exp_month": exp_month, "exp_year": exp_year,
                             "country": "US", "funding": "credit"},
                },
                "decline_code": decline_code,
                "code": code if decline_code else None,
            }
        return self.payment_methods[pm_id]["object"]

    def set_decline(self, pm_id, decline_code, code="card_declined"):
        """Change how a card answers from now on (None: it succeeds)."""
        with self.lock:
            self.payment_methods[pm_id]["decline_code"] = decline_code
            self.payment_methods[pm_id]["code"] = code if decline_code else None

    def inject(self, kind, path="payment_intents", count=1):
        """Make the next ``count`` requests whose path starts with ``path`` fail with ``kind``:
        ``timeout`` (no answer for ``timeout_seconds``, nothing done), ``500`` (nothing done,
        nothing saved under the idempotency key, as when Stripe fails before executing),
        ``html_502`` (a proxy's HTML error page, nothing done),
        ``drop_after_charge`` (done and saved under the key, then the connection is closed
        without an answer), ``stall_after_charge`` (done and saved, then no answer for
        ``timeout_seconds``: time for a test to kill the client mid-call), ``drop_before``
        (connection closed, nothing done)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self.lock:
            self.faults.append({"kind": kind, "path": path, "count": count})

    def _take_fault(self, path):
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault["path"]) and fault["count"] > 0:
                    fault["count"] -= 1
                    return fault["kind"]
        return None

    # ------------------------------------------------------------------
    # what Stripe.js and Stripe's webhooks do, driven by the test
    # ------------------------------------------------------------------

    def confirm_intent(self, pi_id, payment_method="pm_card_visa"):
        """Confirm a PaymentIntent with a card, as Stripe.js does in the customer's browser."""
        with self.lock:
            intent = self.payment_intents[pi_id]
            self._charge(intent, payment_method, idempotency_key=None)
            return json.loads(json.dumps(intent))

    def confirm_setup_intent(self, seti_id, payment_method="pm_card_visa"):
        """Attach a card through a SetupIntent, as Stripe.js does when a customer saves a card."""
        with self.lock:
            intent = self.setup_intents[seti_id]
            intent["payment_method"] = payment_method
            intent["status"] = "succeeded"
            self.payment_methods[payment_method]["object"]["customer"] = intent["customer"]
            return json.loads(json.dumps(intent))

    def signed_webhook(self, event_type, obj, secret=None, timestamp=None):
        """Body and headers of a webhook event signed like Stripe signs them."""
        event = {
            "id": f"evt_{next(self.ids):06d}", "object": "event", "type": event_type,
            "created": int(time.time()), "data": {"object": obj},
        }
        body = json.dumps(event).encode()
        timestamp = int(timestamp or time.time())
        key = (secret if secret is not None else self.webhook_secret).encode()
        signature = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "Stripe-Signature": f"t={timestamp},v1={signature}"}

    def send_webhook(self, base_url, event_type, obj, **kwargs):
        """POST a signed event to an Odoo server's Stripe webhook; returns the response."""
        import requests  # only the tests that post webhooks need it

        body, headers = self.signed_webhook(event_type, obj, **kwargs)
        return requests.post(base_url.rstrip("/") + "/payment/stripe/webhook", data=body, headers=headers, timeout=30)

    # ------------------------------------------------------------------
    # API
    # ------------------------------------------------------------------

    def _new_id(self, prefix):
        return f"{prefix}_{next(self.ids):06d}{hashlib.sha1(str(time.time()).encode()).hexdigest()[:8]}"

    def _charge(self, intent, pm_id, idempotency_key):
        """Charge ``intent`` with card ``pm_id``; returns (status, error or None)."""
        card = self.payment_methods.get(pm_id)
        if not card:
            error = {"type": "invalid_request_error", "code": "resource_missing", "param": "payment_method",
                     "message": f"No such PaymentMethod: '{pm_id}'"}
            return 400, error
        intent["payment_method"] = pm_id
        if card["decline_code"]:
            error = {
                "type": "card_error", "code": card["code"], "decline_code": card["decline_code"],
                "message": DECLINE_MESSAGES.get(card["decline_code"], "Your card was declined."),
                "payment_method": card["object"],
            }
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = error
            return 402, error
        charge = {
            "id": self._new_id("ch"), "object": "charge", "amount": intent["amount"],
            "currency": intent["currency"], "status": "succeeded", "payment_intent": intent["id"],
            "payment_method": pm_id,
            "payment_method_details": {"type": "card", "card": {**card["object"]["card"], "mandate": None}},
        }
        intent["status"] = "requires_capture" if intent["capture_method"] == "manual" else "succeeded"
        intent["last_payment_error"] = None
        intent["latest_charge"] = charge["id"]
        intent["charges"] = {"object": "list", "data": [charge], "has_more": False}
        intent["amount_received"] = intent["amount"] if intent["status"] == "succeeded" else 0
        self.charges.append({
            "id": charge["id"], "payment_intent": intent["id"], "amount": intent["amount"],
            "currency": intent["currency"], "payment_method": pm_id, "customer": intent["customer"],
            "description": intent["description"], "idempotency_key": idempotency_key,
        })
        return 200, None

    def _render_intent(self, intent, params):
        data = json.loads(json.dumps(intent))
        if "payment_method" in params.get("expand[]", []) and data.get("payment_method"):
            data["payment_method"] = self.payment_methods[data["payment_method"]]["object"]
        return data

    def handle(self, method, path, params, headers):
        """Serve one API call: (status, body dict)."""
        parts = path.split("/")
        if method == "POST" and path == "customers":
            customer = {"id": self._new_id("cus"), "object": "customer", "email": params.get("email"),
                        "name": params.get("name"), "description": params.get("description")}
            self.customers[customer["id"]] = customer
            return 200, customer
        if method == "POST" and path == "payment_intents":
            return self._create_payment_intent(params, headers)
        if method == "GET" and path == "payment_intents":
            return self._list_payment_intents(params)
        if parts[0] == "payment_intents" and len(parts) >= 2:
            intent = self.payment_intents.get(parts[1])
            if not intent:
                return 404, _missing("payment_intent", parts[1])
            if method == "GET" and len(parts) == 2:
                return 200, self._render_intent(intent, params)
            if method == "POST" and parts[2:] == ["confirm"]:
                status, error = self._charge(intent, params.get("payment_method") or intent["payment_method"],
                                             headers.get("idempotency-key"))
                return (status, {"error": {**error, "payment_intent": self._render_intent(intent, params)}}
                        if error else self._render_intent(intent, params))
            if method == "POST" and parts[2:] == ["cancel"]:
                intent["status"] = "canceled"
                return 200, self._render_intent(intent, params)
        if method == "GET" and parts[0] == "payment_methods" and len(parts) == 2:
            card = self.payment_methods.get(parts[1])
            return (200, card["object"]) if card else (404, _missing("payment_method", parts[1]))
        if method == "GET" and parts[0] == "customers" and parts[2:] == ["payment_methods"]:
            cards = [card["object"] for card in self.payment_methods.values() if card["object"]["customer"] == parts[1]]
            return 200, {"object": "list", "data": cards, "has_more": False}
        if method == "POST" and path == "setup_intents":
            intent = {"id": self._new_id("seti"), "object": "setup_intent", "customer": params.get("customer"),
                      "description": params.get("description"), "status": "requires_payment_method",
                      "payment_method": None}
            intent["client_secret"] = f"{intent['id']}_secret_fake"
            self.setup_intents[intent["id"]] = intent
            return 200, intent
        if method == "POST" and parts[0] == "setup_intents" and parts[2:] == ["confirm"]:
            intent = self.setup_intents.get(parts[1])
            if not intent:
                return 404, _missing("setup_intent", parts[1])
            if params.get("payment_method") not in self.payment_methods:
                return 400, _missing("payment_method", params.get("payment_method"))
            return 200, self.confirm_setup_intent(parts[1], params["payment_method"])
        if method == "GET" and parts[0] == "setup_intents" and len(parts) == 2:
            intent = self.setup_intents.get(parts[1])
            return (200, self._render_intent(intent, params)) if intent else (404, _missing("setup_intent", parts[1]))
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: /v1/{path})"}}

    def _list_payment_intents(self, params):
        """Stripe's list: newest first, filtered by customer and creation time, paginated."""
        try:
            limit = min(max(int(params.get("limit", 10)), 1), 100)
            since = int(params.get("created[gte]", 0))
        except ValueError:
            return 400, {"error": {"type": "invalid_request_error", "message": "Invalid integer."}}
        intents = [intent for intent in reversed(list(self.payment_intents.values()))
                   if intent["created"] >= since and params.get("customer") in (None, intent["customer"])]
        if params.get("starting_after"):
            ids = [intent["id"] for intent in intents]
            if params["starting_after"] not in ids:
                return 404, _missing("payment_intent", params["starting_after"])
            intents = intents[ids.index(params["starting_after"]) + 1:]
        page = [self._render_intent(intent, {}) for intent in intents[:limit]]
        return 200, {"object": "list", "url": "/v1/payment_intents", "data": page, "has_more": len(intents) > limit}

    def _create_payment_intent(self, params, headers):
        try:
            amount = int(params.get("amount", ""))
        except ValueError:
            return 400, {"error": {"type": "invalid_request_error", "param": "amount",
                                   "message": "Invalid integer: " + params.get("amount", "")}}
        if amount < 1 or not params.get("currency"):
            return 400, {"error": {"type": "invalid_request_error", "param": "amount",
                                   "message": "Amount must be at least 1 and a currency is required."}}
        intent = {
            "id": self._new_id("pi"), "object": "payment_intent", "amount": amount,
            "currency": params["currency"], "customer": params.get("customer"),
            "description": params.get("description"), "status": "requires_payment_method",
            "capture_method": params.get("capture_method", "automatic"), "payment_method": None,
            "setup_future_usage": params.get("setup_future_usage"), "last_payment_error": None,
            "charges": {"object": "list", "data": [], "has_more": False}, "amount_received": 0,
            "off_session": params.get("off_session") in ("True", "true"), "created": int(time.time()),
        }
        intent["client_secret"] = f"{intent['id']}_secret_fake"
        self.payment_intents[intent["id"]] = intent
        if params.get("confirm") in ("True", "true"):
            if not params.get("payment_method"):
                return 400, {"error": {"type": "invalid_request_error", "param": "payment_method",
                                       "message": "A payment method is required to confirm."}}
            status, error = self._charge(intent, params["payment_method"], headers.get("idempotency-key"))
            if error:
                return status, {"error": {**error, "payment_intent": self._render_intent(intent, params)}}
        return 200, self._render_intent(intent, params)


def _missing(kind, object_id):
    return {"error": {"type": "invalid_request_error", "code": "resource_missing",
                      "message": f"No such {kind}: '{object_id}'"}}


class _Handler(BaseHTTPRequestHandler):
    stripe = None  # the FakeStripe, set by FakeStripe.start()
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _browser_may_confirm(self, method, path, params):
        """Stripe.js confirms an intent with the publishable key and the intent's client secret."""
        parts = path.split("/")
        if method != "POST" or len(parts) != 3 or parts[2] != "confirm" or not params.get("key", "").startswith("pk_"):
            return False
        store = {"payment_intents": self.stripe.payment_intents, "setup_intents": self.stripe.setup_intents}.get(parts[0])
        intent = store.get(parts[1]) if store is not None else None
        return bool(intent) and params.get("client_secret") == intent["client_secret"]

    def _serve(self, method):
        stripe = self.stripe
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if method == "GET" and url.path.rstrip("/") == "/js/v3":
            script = (STRIPE_JS % {"api": stripe.url}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript")
            self.send_header("Content-Length", str(len(script)))
            self.end_headers()
            self.wfile.write(script)
            return None
        params = {}
        # payment_stripe also sends GET parameters (expand[]) as a form body
        for key, value in parse_qsl("&".join(filter(None, (url.query, body))), keep_blank_values=True):
            if key.endswith("[]"):
                params.setdefault(key, []).append(value)
            else:
                params[key] = value
        headers = {key.lower(): value for key, value in self.headers.items()}
        path = url.path.removeprefix("/v1/").strip("/")
        with stripe.lock:
            stripe.requests.append({"method": method, "path": path, "params": params, "headers": headers})
        if not headers.get("authorization", "").startswith("Bearer sk_") \
                and not self._browser_may_confirm(method, path, params):
            return self._answer(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}})
        fault = stripe._take_fault(path)
        if fault == "timeout":
            time.sleep(stripe.timeout_seconds)
            return self._drop()
        if fault == "drop_before":
            return self._drop()
        if fault == "500":
            return self._answer(500, {"error": {"type": "api_error", "message": "An unknown error occurred"}})
        if fault == "html_502":  # a proxy in front of Stripe answers with its own page
            return self._answer(502, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        key = headers.get("idempotency-key") if method == "POST" else None
        fingerprint = json.dumps([path, params], sort_keys=True)
        with stripe.lock:
            if key and key in stripe.idempotency:
                saved = stripe.idempotency[key]
                if saved["fingerprint"] != fingerprint:
                    return self._answer(400, {"error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters "
                                   "they were first used with.",
                    }})
                if fault in ("drop_after_charge", "stall_after_charge"):
                    return self._drop()
                return self._answer(saved["status"], saved["body"], replayed=True)
            status, data = stripe.handle(method, path, params, headers)
            payload = json.dumps(data).encode()
            if key:
                stripe.idempotency[key] = {"fingerprint": fingerprint, "status": status, "body": payload}
        if fault == "stall_after_charge":
            time.sleep(stripe.timeout_seconds)
        if fault in ("drop_after_charge", "stall_after_charge"):
            return self._drop()
        return self._answer(status, payload)

    def _answer(self, status, data, replayed=False, content_type="application/json"):
        payload = data if isinstance(data, bytes) else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", f"req_{time.time_ns()}")
        self.send_header("Access-Control-Allow-Origin", "*")
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self):
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)
