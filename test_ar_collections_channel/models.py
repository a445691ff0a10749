import json

import requests

from odoo import fields, models

WEBHOOK_TIMEOUT = 10


class ArDunningLevelChannel(models.Model):
    _inherit = "ar.dunning.level.channel"

    channel = fields.Selection(selection_add=[("webhook", "Webhook")], ondelete={"webhook": "cascade"})


class ArDunningMessage(models.Model):
    _inherit = "ar.dunning.message"

    def _ar_dispatch_webhook(self, invoices):
        """Post the reminder as JSON to the URL of the system parameter
        ``test_ar_collections_channel.webhook_url``; without one, only record it."""
        payload = {
            "customer": self.partner_id.name,
            "level": self.level_id.name,
            "tone": self.level_id.tone,
            "invoices": [{
                "name": invoice.name,
                "date_due": str(invoice.invoice_date_due),
                "amount_residual": invoice.amount_residual,
                "currency": invoice.currency_id.name,
            } for invoice in invoices],
        }
        url = self.env["ir.config_parameter"].sudo().get_param("test_ar_collections_channel.webhook_url")
        if url:
            requests.post(url, json=payload, timeout=WEBHOOK_TIMEOUT).raise_for_status()
        self.body_html = json.dumps(payload)
        self._ar_set_state("sent", self.env._("Posted to the webhook") if url else self.env._("Recorded"))
