from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

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
        """Record a request's signature; False if it was seen before (a replay).

        ON CONFLICT rather than a failed insert: a replay is an expected refusal, not an
        error in the server's log (a concurrent copy waits for the first one's transaction).
        """
        self.env.cr.execute(SQL(
            "INSERT INTO ar_slack_request (signature, date) VALUES (%s, %s) "
            "ON CONFLICT (signature) DO NOTHING RETURNING id", signature, fields.Datetime.now()))
        return bool(self.env.cr.fetchone())

    @api.autovacuum
    def _gc_seen_requests(self):
        # Older requests are refused for their timestamp: no need to remember them. A request
        # may carry a timestamp up to the tolerance ahead of its arrival, which it keeps being
        # accepted for twice the tolerance after: remembered for three times it.
        limit = fields.Datetime.now() - timedelta(seconds=3 * TIMESTAMP_TOLERANCE)
        self.sudo().search([("date", "<", limit)]).unlink()
