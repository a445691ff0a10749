from datetime import timedelta

import psycopg2

from odoo import api, fields, models

from ..tools.slack import TIMESTAMP_TOLERANCE


class ArSlackRequest(models.Model):
    """Signed Slack requests already answered, kept while their timestamp is accepted:
    the same signed request sent again (a replay) is refused."""

    _name = "ar.slack.request"
    _description = "Slack Request Seen"
    _log_access = False

    signature = fields.Char(required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, index=True)

    _sql_constraints = [
        ("signature_uniq", "unique(signature)", "This Slack request was already received."),
    ]

    @api.model
    def _ar_register(self, signature):
        """Record a request's signature; False if it was seen before (a replay)."""
        try:
            with self.env.cr.savepoint():
                self.sudo().create({"signature": signature, "date": fields.Datetime.now()})
        except psycopg2.errors.UniqueViolation:
            return False
        return True

    @api.autovacuum
    def _gc_seen_requests(self):
        # Older requests are refused for their timestamp: no need to remember them. A request
        # may carry a timestamp up to the tolerance ahead of its arrival, which it keeps being
        # accepted for twice the tolerance after: remembered for three times it.
        limit = fields.Datetime.now() - timedelta(seconds=3 * TIMESTAMP_TOLERANCE)
        self.sudo().search([("date", "<", limit)]).unlink()
