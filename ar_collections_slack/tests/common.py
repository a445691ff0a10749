from datetime import timedelta

from odoo import Command

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon

from .fake_slack import FakeSlack

U_MANAGER = "U0MANAGER"
U_COLLECTOR = "U0COLLECTOR"
U_BILLING = "U0BILLING"
CHANNEL = "C0AR"


class ArSlackCommon(ArCollectionsCommon):
    """The AR scenario with Slack configured against a fake Slack: the bot token and signing
    secret, the company's channel and a large-payment amount of 5,000, and three users linked
    to Slack users (the collections manager, the collector, and a billing clerk who is no
    collections user)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slack = FakeSlack().start()
        cls.addClassCleanup(cls.slack.stop)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("ar_collections_slack.bot_token", cls.slack.token)
        params.set_param("ar_collections_slack.signing_secret", cls.slack.secret)
        params.set_param("ar_collections_slack.api_url", cls.slack.api_url)
        cls.company.write({"ar_slack_channel": CHANNEL, "ar_slack_large_payment": 5000.0})
        cls.user_ar_manager.ar_slack_user_id = U_MANAGER
        cls.user_collector.ar_slack_user_id = U_COLLECTOR
        cls.user_billing.ar_slack_user_id = U_BILLING

    def setUp(self):
        super().setUp()
        self.slack.reset()

    def _alerts(self, kind=None):
        domain = [("kind", "=", kind)] if kind else []
        return self.env["ar.slack.message"].sudo().search(domain, order="id")

    def _send_alerts(self):
        """Post the due alerts, as the send cron would."""
        self.env["ar.slack.message"]._cron_send()

    def _plan(self, submit=True, invoice=None):
        """A plan of the overdue invoice (or ``invoice``) in two instalments, submitted for approval."""
        invoice = invoice or self.inv_overdue
        plan = self.env["ar.payment.plan"].with_user(self.user_collector).create({
            "partner_id": self.customer.id,
            "invoice_ids": [Command.set(invoice.ids)],
            "line_ids": [Command.create({"date": self.today + timedelta(days=days), "amount": invoice.amount_residual / 2})
                         for days in (7, 37)],
        })
        if submit:
            plan.action_submit()
        return plan

    def _dispute(self):
        return self.env["ar.dispute"].with_user(self.user_collector).create({
            "partner_id": self.customer.id,
            "invoice_ids": [Command.set(self.inv_overdue.ids)],
            "reason": "pricing",
        })
