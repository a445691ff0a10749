import json

from odoo import http
from odoo.http import request


class ArSlackController(http.Controller):
    """Slack's interactivity and slash command endpoints: the checks and the actions are
    ``ar.slack.interaction``'s; Slack authenticates with its signature, not a session."""

    def _ar_answer(self, kind):
        # the signature covers the raw body exactly as received
        body = request.httprequest.get_data(cache=True)
        form = request.httprequest.form
        status, answer = request.env["ar.slack.interaction"].sudo()._ar_handle(
            kind, request.httprequest.headers, body, form)
        return request.make_response(json.dumps(answer, ensure_ascii=False), status=status,
                                     headers=[("Content-Type", "application/json")])

    @http.route("/ar_collections/slack/interactivity", type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def ar_slack_interactivity(self, **_kwargs):
        return self._ar_answer("action")

    @http.route("/ar_collections/slack/command", type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def ar_slack_command(self, **_kwargs):
        return self._ar_answer("command")
