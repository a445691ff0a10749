"""A fake Slack on loopback, for tests.

It speaks the part of Slack that the add-on uses: the Web API methods ``chat.postMessage``
and ``chat.update`` (bearer token checked, JSON answers ``{"ok": true, "ts": …}``, errors as
``{"ok": false, "error": "invalid_auth"}`` and rate limits as HTTP 429 with ``Retry-After``)
and the ``response_url`` of button clicks and commands. It records every call, and signs the
requests it sends to Odoo exactly as Slack does (``X-Slack-Signature`` over
``v0:{timestamp}:{body}`` with the signing secret).

Only the standard library is used.
"""

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

from odoo.addons.ar_collections_slack.tools.slack import sign

BOT_TOKEN = "xoxb-fake-bot-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class FakeSlack:
    def __init__(self, token=BOT_TOKEN, secret=SIGNING_SECRET):
        self.token = token
        self.secret = secret
        self.calls = []  # (path, JSON body, Authorization header)
        self.faults = []  # answers to give instead of the next API calls: (HTTP status, JSON, headers)
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    data = json.loads(body or b"{}")
                except ValueError:
                    data = {"raw": body.decode(errors="replace")}
                status, answer, headers = fake._answer(self.path, data, self.headers.get("Authorization"))
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = f"{self.url}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self._lock:
            self.calls.clear()
            self.faults.clear()

    def _answer(self, path, data, authorization):
        with self._lock:
            self.calls.append((path, data, authorization))
            if path.startswith("/response/"):
                return 200, {"ok": True}, {}
            if not path.startswith("/api/"):
                return 404, {"ok": False, "error": "unknown_method"}, {}
            if self.faults:
                return self.faults.pop(0)
            if authorization != f"Bearer {self.token}":
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            if not data.get("channel"):
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            ts = data.get("ts") or f"{1700000000 + next(self._ts)}.000100"
            return 200, {"ok": True, "channel": data["channel"], "ts": ts, "message": {"ts": ts}}, {}

    # -- what tests inject and read ----------------------------------------------------

    def rate_limit_next(self, retry_after=30):
        self.faults.append((429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}))

    def error_next(self, error):
        self.faults.append((200, {"ok": False, "error": error}, {}))

    def api_calls(self, method):
        return [data for path, data, _auth in self.calls if path == f"/api/{method}"]

    def responses(self):
        """What was posted to response URLs."""
        return [data for path, data, _auth in self.calls if path.startswith("/response/")]

    def response_url(self, name="click"):
        return f"{self.url}/response/{name}"

    # -- requests Slack sends to Odoo ---------------------------------------------------

    def signed(self, form, timestamp=None, secret=None):
        """(body, headers) of a form Slack posts, signed as Slack signs it."""
        body = urlencode(form).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        return body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(secret or self.secret, timestamp, body),
        }

    def click_form(self, action_id, value, user_id, message_ts=None, channel="C0AR", response_url=None):
        """The form of a ``block_actions`` request: a button of a message clicked."""
        payload = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0AR"},
            "team": {"id": "T0AR", "domain": "ar"},
            "channel": {"id": channel},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "message": {"ts": message_ts, "blocks": []},
            "response_url": response_url or self.response_url(),
            "trigger_id": f"{time.time()}.trigger",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "ar_actions", "value": str(value),
                         "action_ts": str(time.time())}],
        }
        return {"payload": json.dumps(payload)}

    def command_form(self, text, user_id):
        """The form of an ``/ar`` slash command."""
        return {
            "token": "deprecated", "team_id": "T0AR", "team_domain": "ar", "channel_id": "C0AR",
            "user_id": user_id, "user_name": user_id.lower(), "command": "/ar", "text": text,
            "response_url": self.response_url("command"), "trigger_id": f"{time.time()}.trigger",
        }
