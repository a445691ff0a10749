from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields

from odoo.addons.ar_collections_slack.models.ar_slack_message import SLACK_RETRY

from .common import CHANNEL


class SlackAlertCases:
    """Alerts are queued once per event, posted with chat.postMessage and the bot token,
    and retried as Slack asks.

    Run by the add-on's one test class (``TestSlack`` of test_slack_interactivity.py), on
    its data: one class set-up for the add-on, for the suite's time budget.
    """

    def _buttons(self, alert):
        actions = [block for block in alert.blocks if block["type"] == "actions"]
        return [element["action_id"] for element in actions[0]["elements"]]

    def test_broken_promise_posted_once(self):
        promise = self.env["ar.promise"].with_user(self.user_collector).create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)],
            "amount": 1000.0, "promised_date": self.today + timedelta(days=1), "grace_days": 0,
        }).sudo()
        for days in (3, 4):  # checked again the next day: no second alert
            with freeze_time(self.today + timedelta(days=days)):
                self.env["ar.promise"]._cron_check_promises()
        self.assertEqual(promise.state, "broken")
        alert = self._alerts("broken_promise")
        self.assertEqual((len(alert), alert.res_id, alert.state), (1, promise.id, "pending"))
        with self.assertNoLogs("odoo.sql_db", level="ERROR"):  # known already: no failed insert in the log
            self.assertFalse(self.env["ar.slack.message"]._ar_notify("broken_promise", promise), "one post per event")
        with freeze_time(self.today + timedelta(days=4)):
            self._send_alerts()
        [post] = self.slack.api_calls("chat.postMessage")
        self.assertEqual(post["channel"], CHANNEL)
        self.assertIn("Broken promise: Overdue Industries", post["text"])
        self.assertEqual([block["type"] for block in post["blocks"]], ["header", "section", "actions"])
        self.assertEqual(self._buttons(alert), ["ar_partner_snooze", "ar_open"])
        self.assertEqual(self.slack.calls[0][2], f"Bearer {self.slack.token}")
        self.assertEqual(alert.state, "sent")
        self.assertTrue(alert.slack_ts)

    def test_dispute_past_sla(self):
        dispute = self._dispute()
        with freeze_time(dispute.sla_deadline + timedelta(days=1)):
            self.env["ar.dispute"]._cron_escalate_disputes()
            self.env["ar.dispute"]._cron_escalate_disputes()
        self.assertTrue(dispute.sla_breached)
        alert = self._alerts("dispute_sla")
        self.assertEqual((len(alert), alert.res_id), (1, dispute.id))
        self.assertEqual(self._buttons(alert), ["ar_dispute_assign", "ar_partner_snooze", "ar_open"])
        self.assertIn("Colin Collector", str(alert.blocks), "the owner is shown")

    def test_large_payment(self):
        payment = self._ar_pay(self._ar_invoice(self.other_customer, 6000.0), 6000.0)
        self._ar_pay(self.inv_overdue, 400.0)  # below the company's 5,000
        alert = self._alerts("large_payment")
        self.assertEqual((len(alert), alert.res_id), (1, payment.id))
        self.assertIn("Large payment received: Punctual Partners", alert.text)
        self.assertIn("6,000.00", str(alert.blocks))
        alert.unlink()
        self.company.ar_slack_channel = False
        self.assertFalse(self.env["ar.slack.message"]._ar_notify("large_payment", payment), "no channel, no alert")

    def _bank_receipt(self, partner, amount, invoice=None, payment=None):
        """Money received on the bank, matched straight to ``invoice`` (as the cash matcher
        does: the bank line's counterpart on the receivable, reconciled; no account.payment),
        or to the outstanding receipt of a registered ``payment``."""
        st_line = self.env["account.bank.statement.line"].create({
            "journal_id": self.company_data["default_journal_bank"].id, "date": self.today,
            "payment_ref": "transfer", "partner_id": partner.id, "amount": amount})
        entry = invoice or (payment and payment.move_id)
        if entry:
            _liquidity, suspense, _other = st_line._seek_for_lines()
            counterpart = entry.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable" if invoice else line.account_id.reconcile
                and line.account_type != "asset_receivable")
            suspense.with_context(skip_readonly_check=True).write({"account_id": counterpart.account_id.id})
            (suspense | counterpart).reconcile()
        return st_line

    def test_large_payment_matched_on_the_bank(self):
        invoice = self._ar_invoice(self.other_customer, 6000.0)
        self._bank_receipt(self.other_customer, 7000.0)  # not matched to invoices: not known as a payment yet
        self._bank_receipt(self.other_customer, 400.0, self.inv_other)  # below the company's 5,000
        self.assertFalse(self._alerts("large_payment"))
        st_line = self._bank_receipt(self.other_customer, 6000.0, invoice)
        self.assertEqual(invoice.payment_state, "paid")
        alert = self._alerts("large_payment")
        self.assertEqual((len(alert), alert.res_model, alert.res_id), (1, "account.bank.statement.line", st_line.id))
        self.assertIn("Large payment received: Punctual Partners", alert.text)
        self.assertIn("6,000.00", str(alert.blocks))
        self.assertIn(f"/odoo/account.move/{st_line.move_id.id}", str(alert.blocks), "its journal entry is opened")
        self.assertEqual(self._buttons(alert), ["ar_partner_snooze", "ar_open"])
        # a registered payment is announced when posted, not again when the bank line meets it
        payment = self._ar_pay(self._ar_invoice(self.other_customer, 8000.0), 8000.0)
        st_line = self._bank_receipt(self.other_customer, 8000.0, payment=payment)
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(self._alerts("large_payment").mapped("res_model"),
                         ["account.bank.statement.line", "account.payment"])

    def test_plan_submitted(self):
        plan = self._plan(submit=False)
        self.assertFalse(self._alerts("plan_submitted"), "a draft is not announced")
        plan.action_submit()
        alert = self._alerts("plan_submitted")
        self.assertEqual((len(alert), alert.res_id), (1, plan.id))
        self.assertEqual(self._buttons(alert), ["ar_plan_approve", "ar_plan_decline", "ar_open"])
        self.assertIn("2, ", str(alert.blocks), "the instalments are counted")

    def test_rate_limited_then_sent(self):
        self._plan()
        alert = self._alerts("plan_submitted")
        self.slack.rate_limit_next(retry_after=600)
        now = fields.Datetime.now()
        with freeze_time(now):
            self._send_alerts()
        self.assertEqual((alert.state, alert.attempts, alert.last_error), ("pending", 1, "ratelimited"))
        self.assertEqual(alert.next_attempt, now + timedelta(seconds=600), "Slack's Retry-After, longer than the backoff")
        with freeze_time(now + timedelta(seconds=599)):
            self._send_alerts()
        self.assertEqual(len(self.slack.api_calls("chat.postMessage")), 1, "not before Slack said")
        with freeze_time(now + timedelta(seconds=600)):
            self._send_alerts()
        self.assertEqual((alert.state, alert.attempts), ("sent", 2))

    def test_transient_errors_retried_with_backoff_then_failed(self):
        self._plan()
        alert = self._alerts("plan_submitted")
        now = fields.Datetime.now()
        for attempt in range(1, SLACK_RETRY.max_tries + 1):
            self.slack.error_next("internal_error")
            with freeze_time(now):
                self._send_alerts()
            self.assertEqual(alert.attempts, attempt)
            if attempt < SLACK_RETRY.max_tries:
                self.assertEqual((alert.state, alert.next_attempt), ("pending", now + SLACK_RETRY.delay(attempt)))
                now = alert.next_attempt
        self.assertEqual((alert.state, alert.last_error), ("failed", "internal_error"))

    def test_refused_token_fails_at_once(self):
        self.env["ir.config_parameter"].sudo().set_param("ar_collections_slack.bot_token", "xoxb-revoked")
        self._plan()
        self._send_alerts()
        alert = self._alerts("plan_submitted")
        self.assertEqual((alert.state, alert.attempts, alert.last_error), ("failed", 1, "invalid_auth"))
        self.assertEqual(self.slack.calls[0][2], "Bearer xoxb-revoked")
        alert.action_retry()
        self.assertEqual((alert.state, alert.attempts), ("pending", 0))

    def test_outcome_shown_with_chat_update(self):
        """Without a click's response_url, the posted alert is edited with chat.update."""
        self._plan()
        self._send_alerts()
        alert = self._alerts("plan_submitted")
        self.slack.reset()
        self.assertTrue(alert._ar_update("Approved in the back office", self.user_ar_manager))
        [update] = self.slack.api_calls("chat.update")
        self.assertEqual((update["channel"], update["ts"]), (CHANNEL, alert.slack_ts))
        self.assertEqual([block["type"] for block in update["blocks"]], ["header", "section", "context", "actions"])
        self.assertEqual(update["blocks"][2]["elements"][0]["text"], "Approved in the back office")
        self.assertEqual(alert.outcome_user_id, self.user_ar_manager)

    def test_seen_requests_forgotten_once_refused_for_their_timestamp(self):
        Request = self.env["ar.slack.request"]
        now = fields.Datetime.now()
        for signature, minutes in (("v0=old", 16), ("v0=recent", 14)):
            with freeze_time(now - timedelta(minutes=minutes)):
                self.assertTrue(Request._ar_register(signature))
        with self.assertNoLogs("odoo.sql_db", level="ERROR"):  # a refusal, not a failed query in the log
            self.assertFalse(Request._ar_register("v0=recent"), "a replay")
        with freeze_time(now):
            Request._gc_seen_requests()
        self.assertEqual(Request.search([("signature", "in", ("v0=old", "v0=recent"))]).mapped("signature"),
                         ["v0=recent"], "kept while a replay could still pass the timestamp check")

    def test_decided_in_odoo_shown_in_slack(self):
        plan = self._plan()
        self._send_alerts()
        alert = self._alerts("plan_submitted")
        self.slack.reset()
        plan.with_user(self.user_ar_manager).action_approve()
        self.assertEqual((alert.outcome, alert.outcome_user_id, alert.outcome_pending),
                         ("✅ Plan approved by Mia Manager", self.user_ar_manager, True))
        self.assertFalse(self.slack.calls, "Slack is called by the send cron, not in the user's transaction")
        self._send_alerts()
        [update] = self.slack.api_calls("chat.update")
        self.assertEqual(update["ts"], alert.slack_ts)
        self.assertEqual([block["type"] for block in update["blocks"]], ["header", "section", "context", "actions"])
        self.assertFalse(alert.outcome_pending)
        # decided before it was posted: posted without its buttons
        other = self._plan(invoice=self.inv_partial)
        other.with_user(self.user_ar_manager).action_refuse()
        self._send_alerts()
        [post] = self.slack.api_calls("chat.postMessage")
        self.assertEqual(post["blocks"][2]["elements"][0]["text"], "❌ Plan declined by Mia Manager")
