import json
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon

URL = "https://hooks.example.com/reminders"


@tagged("post_install", "-at_install")
class TestWebhookChannel(ArCollectionsCommon):
    """A channel added by another add-on goes the whole way: level, run, log, message, dispatch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The other customer's invoice is 12 days overdue: the +7 level, sent by webhook only, on the
        # first run (the go-live option: the first reminder at the level reached).
        cls.policy.jump_to_reached = True
        cls.level = cls.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7)
        cls.level.channel_ids = [Command.clear(), Command.create({"channel": "webhook"})]

    def test_channel_listed_everywhere(self):
        self.assertIn(("webhook", "Webhook"), self.env["ar.dunning.engine"]._get_channel_selection())
        for model in ("ar.dunning.log", "ar.dunning.message"):
            selection = self.env[model]._fields["channel"]._description_selection(self.env)
            self.assertIn(("webhook", "Webhook"), selection, f"{model} lists the channel")
        self.assertEqual(self.level._get_channels(), ["webhook"])
        self.assertEqual(self.level.channel_summary, "Webhook")

    def test_level_sends_through_the_webhook_hook(self):
        self.env["ir.config_parameter"].sudo().set_param("test_ar_collections_channel.webhook_url", URL)
        with patch("odoo.addons.test_ar_collections_channel.models.requests.post") as post:
            self._ar_run()
            self.assertEqual(self._ar_logs(self.inv_other).mapped("channel"), ["webhook"])
            message = self._ar_messages(self.other_customer)
            self.assertEqual((message.channel, message.level_id, message.state), ("webhook", self.level, "queued"))
            self._ar_dispatch()
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.state_reason, "Posted to the webhook")
        self.assertEqual(self._ar_logs(self.inv_other).state, "sent")
        post.assert_called_once()
        self.assertEqual(post.call_args.args, (URL,))
        payload = post.call_args.kwargs["json"]
        self.assertEqual(payload["customer"], "Punctual Partners")
        self.assertEqual([line["name"] for line in payload["invoices"]], [self.inv_other.name])
        self.assertEqual(json.loads(message.body_html), payload)
        # no email for that level any more: the webhook replaced it
        self.assertFalse(self._ar_messages(self.other_customer, "email"))

    def test_webhook_next_to_email_and_in_the_preview(self):
        self.level.write({"channel_ids": [Command.create({"channel": "email"})]})
        self.assertEqual(self.level._get_channels(), ["webhook", "email"])
        preview = self.env["ar.dunning.preview"].with_company(self.company).create({"company_id": self.company.id})
        line = preview.line_ids.filtered(lambda pline: pline.invoice_id == self.inv_other)
        self.assertEqual(line.channels, "Webhook, Email")
        self._ar_run()
        self._ar_dispatch()
        webhook, email = (self._ar_messages(self.other_customer, channel) for channel in ("webhook", "email"))
        self.assertEqual((webhook.state, webhook.state_reason), ("sent", "Recorded"))
        self.assertTrue(email.mail_message_id, "the email went to the mail queue as before")

    def test_failing_webhook_fails_its_reminder_only(self):
        self.env["ir.config_parameter"].sudo().set_param("test_ar_collections_channel.webhook_url", URL)
        with patch("odoo.addons.test_ar_collections_channel.models.requests.post", side_effect=OSError("refused")):
            self._ar_run()
            self._ar_dispatch()
        message = self._ar_messages(self.other_customer, "webhook")
        self.assertEqual(message.state, "failed")
        self.assertIn("refused", message.state_reason)
        self.assertEqual(self._ar_messages(self.customer, "email").state, "queued", "the others were dispatched")

    def test_level_of_the_webhook_only_needs_no_template(self):
        level = self.env["ar.dunning.level"].create({
            "name": "Webhook only", "policy_id": self.policy.id, "offset_days": 60,
            "channel_ids": [Command.create({"channel": "webhook"})],
        })
        self.assertEqual(level._get_channels(), ["webhook"])
        with self.assertRaisesRegex(ValidationError, "sends nothing"):
            level.channel_ids = [Command.clear()]
