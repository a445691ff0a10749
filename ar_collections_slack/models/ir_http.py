from odoo import models
from odoo.http import request

SLACK_ROUTES = ("/ar_collections/slack/interactivity", "/ar_collections/slack/command")


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        # Slack signs the raw form body, which Odoo's dispatcher parses (and consumes) next:
        # keep a copy first, werkzeug then parses the form from it.
        if request.httprequest.path in SLACK_ROUTES:
            request.httprequest.get_data(cache=True, parse_form_data=False)
        return super()._pre_dispatch(rule, args)
