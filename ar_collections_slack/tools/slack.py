"""Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack),
shared by the controller's check and the tests that sign requests as Slack does."""

import hashlib
import hmac

# Slack's advice: refuse requests whose timestamp is more than five minutes away from now.
TIMESTAMP_TOLERANCE = 300
VERSION = "v0"


def sign(secret, timestamp, body):
    """The ``X-Slack-Signature`` of ``body`` (bytes) sent at ``timestamp`` (Unix seconds)."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackRefused(Exception):
    """A Slack request refused before anything is done: ``message`` is what Slack shows the
    user (slash commands) or what the HTTP answer says; ``status`` its HTTP status."""

    def __init__(self, message, status=403):
        super().__init__(message)
        self.status = status
