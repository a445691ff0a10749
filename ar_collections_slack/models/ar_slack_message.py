import json
import logging
import threading
from datetime import timedelta

import psycopg2
import requests

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from odoo.addons.ar_collections.tools.backoff import Backoff

_logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
# Seconds a Slack call may take: a hung API must not hold the send cron or a button click.
SLACK_TIMEOUT = 10
# Alerts are timely or useless: the first post, then after these waits (5 tries in all).
SLACK_RETRY = Backoff(timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
# Errors that the same request will always get: failed at once, not retried.
PERMANENT_ERRORS = {
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
    "missing_scope", "channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "msg_too_long",
}
SEND_BATCH_SIZE = 20
ALERT_KINDS = [
    ("broken_promise", "Broken promise"),
    ("dispute_sla", "Dispute past SLA"),
    ("large_payment", "Large payment received"),
    ("plan_submitted", "Payment plan to approve"),
]


class ArSlackMessage(models.Model):
    """A collections alert for the company's Slack channel, posted with Slack's Web API.

    One row per event (its key is unique, so an event posts once whoever reports it). The
    send cron claims due rows before posting, retries failures with the project's backoff
    and honours Slack's rate limits. The blocks are rendered when the event happens; the
    buttons' clicks come back through ``ar.slack.interaction``, which records the outcome here.
    """

    _name = "ar.slack.message"
    _inherit = ["ar.claim.mixin"]
    _description = "Collections Slack Alert"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Alert", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    kind = fields.Selection(ALERT_KINDS, required=True, readonly=True)
    res_model = fields.Char(string="Document model", required=True, readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", required=True, readonly=True)
    key = fields.Char(string="Idempotency key", required=True, readonly=True, copy=False)
    channel = fields.Char(required=True, readonly=True)
    text = fields.Text(string="Fallback text", readonly=True, help="What notifications and screen readers show.")
    blocks = fields.Json(readonly=True, help="Slack Block Kit blocks of the message.")
    state = fields.Selection([
        ("pending", "Pending"),
        ("sent", "Sent"),
        ("failed", "Failed"),
    ], default="pending", required=True, readonly=True, index=True)
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(readonly=True, index="btree_not_null")
    last_error = fields.Char(readonly=True)
    slack_ts = fields.Char(string="Slack message id", readonly=True, copy=False, index="btree_not_null")
    slack_channel = fields.Char(string="Slack channel id", readonly=True, copy=False)
    outcome = fields.Char(readonly=True, help="What was decided, from Slack's buttons or in Odoo.")
    outcome_user_id = fields.Many2one("res.users", string="Done by", readonly=True)
    outcome_pending = fields.Boolean(
        string="Outcome to show", readonly=True, index=True,
        help="Decided in Odoo: the send cron is still to replace the buttons of the posted alert by the outcome.")

    _sql_constraints = [
        ("key_uniq", "unique(key)", "This event was already posted to Slack."),
    ]

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    def _ar_notify(self, kind, records, key_suffix=""):
        """Queue the ``kind`` alert of each of ``records`` whose company has a Slack channel,
        once per record (and ``key_suffix``), and wake the send cron.

        :return: the alerts created
        """
        token = self.env["ir.config_parameter"].sudo().get_param("ar_collections_slack.bot_token")
        created = self.sudo().browse()
        if not token:
            return created
        for record in records.sudo():
            company = record.company_id
            if not company.ar_slack_channel:
                continue
            record = record.with_company(company).with_context(lang=company.partner_id.lang)
            key = f"{kind}:{record._name}:{record.id}{key_suffix}"
            if self.sudo().search_count([("key", "=", key)], limit=1):
                continue  # reported already: one post per event (the constraint settles a race)
            try:
                with self.env.cr.savepoint():
                    text, blocks = getattr(self, f"_ar_render_{kind}")(record)
                    created |= self.sudo().create({
                        "name": text[:200], "company_id": company.id, "kind": kind,
                        "res_model": record._name, "res_id": record.id, "key": key,
                        "channel": company.ar_slack_channel, "text": text, "blocks": blocks,
                        "next_attempt": fields.Datetime.now(),
                    })
            except psycopg2.errors.UniqueViolation:
                continue  # reported at the same time by another transaction
            except Exception:  # an alert must never stop the payment, promise or approval it reports
                _logger.exception("Slack alert %s not queued", key)
        if created:
            self.env.ref("ar_collections_slack.ir_cron_slack_send")._trigger()
        return created

    # ------------------------------------------------------------------
    # Rendering (Block Kit)
    # ------------------------------------------------------------------

    @api.model
    def _ar_link(self, record):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        return f"{base_url}/odoo/{record._name}/{record.id}"

    @api.model
    def _ar_escape(self, text):
        # The three characters Slack's mrkdwn reserves for links and mentions.
        return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    @api.model
    def _ar_button(self, text, action_id, record, style=None):
        button = {"type": "button", "action_id": action_id, "value": str(record.id),
                  "text": {"type": "plain_text", "text": text}}
        if style:
            button["style"] = style
        return button

    @api.model
    def _ar_blocks(self, title, fields_, record, buttons):
        """Header, the facts as fields, and the buttons with an 'Open in Odoo' link."""
        link = {"type": "button", "action_id": "ar_open", "url": self._ar_link(record),
                "text": {"type": "plain_text", "text": self.env._("Open in Odoo")}}
        return [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": f"*{self._ar_escape(label)}*\n{self._ar_escape(value)}"}
                for label, value in fields_
            ]},
            {"type": "actions", "block_id": "ar_actions", "elements": [*buttons, link]},
        ]

    @api.model
    def _ar_amount(self, amount, currency):
        return formatLang(self.env, amount, currency_obj=currency)

    @api.model
    def _ar_render_broken_promise(self, promise):
        customer = promise.partner_id.commercial_partner_id
        title = self.env._("Broken promise: %(customer)s", customer=customer.name)
        facts = [
            (self.env._("Customer"), customer.name),
            (self.env._("Promised"), self._ar_amount(promise.amount, promise.currency_id)),
            (self.env._("Promised for"), fields.Date.to_string(promise.promised_date)),
            (self.env._("Invoices"), ", ".join(promise.invoice_ids.mapped("name"))),
        ]
        buttons = [self._ar_button(self.env._("Snooze customer"), "ar_partner_snooze", customer)]
        return title, self._ar_blocks(title, facts, promise, buttons)

    @api.model
    def _ar_render_dispute_sla(self, dispute):
        customer = dispute.partner_id.commercial_partner_id
        reasons = dict(dispute._fields["reason"]._description_selection(self.env))
        title = self.env._("Dispute past its SLA: %(customer)s", customer=customer.name)
        facts = [
            (self.env._("Customer"), customer.name),
            (self.env._("Disputed"), self._ar_amount(dispute.amount, dispute.currency_id)),
            (self.env._("Reason"), reasons.get(dispute.reason, dispute.reason)),
            (self.env._("Resolve by"), fields.Date.to_string(dispute.sla_deadline)),
            (self.env._("Owner"), dispute.user_id.name or "-"),
            (self.env._("Invoices"), ", ".join(dispute.invoice_ids.mapped("name"))),
        ]
        buttons = [self._ar_button(self.env._("Assign to me"), "ar_dispute_assign", dispute, "primary"),
                   self._ar_button(self.env._("Snooze customer"), "ar_partner_snooze", customer)]
        return title, self._ar_blocks(title, facts, dispute, buttons)

    @api.model
    def _ar_render_large_payment(self, payment):
        """``payment``: an ``account.payment``, or a bank statement line matched to invoices."""
        customer = payment.partner_id.commercial_partner_id
        title = self.env._("Large payment received: %(customer)s", customer=customer.name)
        facts = [
            (self.env._("Customer"), customer.name),
            (self.env._("Amount"), self._ar_amount(payment.amount, payment.currency_id)),
            (self.env._("Date"), fields.Date.to_string(payment.date)),
            (self.env._("Payment"), payment.name),
        ]
        buttons = [self._ar_button(self.env._("Snooze customer"), "ar_partner_snooze", customer)]
        # a statement line has no form of its own: its journal entry is opened
        document = payment.move_id if payment._name == "account.bank.statement.line" else payment
        return title, self._ar_blocks(title, facts, document, buttons)

    @api.model
    def _ar_render_plan_submitted(self, plan):
        customer = plan.partner_id.commercial_partner_id
        title = self.env._("Payment plan to approve: %(customer)s", customer=customer.name)
        lines = plan.line_ids.sorted("date")
        facts = [
            (self.env._("Customer"), customer.name),
            (self.env._("Planned"), self._ar_amount(plan.amount_total, plan.currency_id)),
            (self.env._("Instalments"), self.env._(
                "%(count)s, %(first)s to %(last)s", count=len(lines),
                first=fields.Date.to_string(lines[:1].date), last=fields.Date.to_string(lines[-1:].date))),
            (self.env._("Invoices"), ", ".join(plan.invoice_ids.mapped("name"))),
        ]
        buttons = [self._ar_button(self.env._("Approve"), "ar_plan_approve", plan, "primary"),
                   self._ar_button(self.env._("Decline"), "ar_plan_decline", plan, "danger")]
        return title, self._ar_blocks(title, facts, plan, buttons)

    @api.model
    def _ar_decided(self, records, outcome):
        """``records`` were decided in Odoo: their alerts show ``outcome`` instead of their
        buttons (a click in Slack shows its own outcome)."""
        if self.env.context.get("ar_slack_click") or not records:
            return
        alerts = self.sudo().search([
            ("res_model", "=", records._name), ("res_id", "in", records.ids),
            ("state", "in", ("pending", "sent")), ("outcome", "=", False),
        ])
        if not alerts:
            return
        alerts.write({"outcome": outcome, "outcome_user_id": self.env.uid})
        # posted ones are edited by the send cron: no call to Slack inside the user's transaction
        alerts.filtered(lambda alert: alert.state == "sent").write({"outcome_pending": True})
        self.env.ref("ar_collections_slack.ir_cron_slack_send")._trigger()

    def _ar_outcome_blocks(self, blocks, outcome):
        """``blocks`` with the buttons replaced by the outcome, the link kept."""
        kept = []
        for block in blocks or []:
            if block.get("type") == "actions":
                links = [element for element in block.get("elements", []) if element.get("url")]
                kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": self._ar_escape(outcome)}]})
                if links:
                    kept.append({**block, "elements": links})
            else:
                kept.append(block)
        return kept

    # ------------------------------------------------------------------
    # Slack Web API
    # ------------------------------------------------------------------

    @api.model
    def _ar_api_url(self):
        url = self.env["ir.config_parameter"].sudo().get_param("ar_collections_slack.api_url") or DEFAULT_API_URL
        return url if url.endswith("/") else url + "/"

    @api.model
    def _ar_call(self, method, payload):
        """Call Slack's Web API ``method`` with the bot token.

        :return: (Slack's JSON answer or None, error or False, seconds Slack asks to wait or 0)
        """
        token = self.env["ir.config_parameter"].sudo().get_param("ar_collections_slack.bot_token")
        if not token:
            return None, "not_configured", 0
        try:
            response = requests.post(self._ar_api_url() + method, json=payload, timeout=SLACK_TIMEOUT,
                                     headers={"Authorization": f"Bearer {token}"})
        except requests.exceptions.Timeout:
            return None, self.env._("No answer from Slack within %(seconds)s seconds.", seconds=SLACK_TIMEOUT), 0
        except requests.exceptions.RequestException as exc:
            return None, f"{type(exc).__name__}: {exc}", 0
        if response.status_code == 429:
            try:
                wait = int(response.headers.get("Retry-After", 0))
            except ValueError:
                wait = 0
            return None, "ratelimited", wait
        try:
            answer = response.json()
        except ValueError:
            return None, f"HTTP {response.status_code}: {response.text[:200]}", 0
        if not answer.get("ok"):
            return answer, answer.get("error") or f"HTTP {response.status_code}", 0
        return answer, False, 0

    @api.model
    def _cron_send(self, batch_size=SEND_BATCH_SIZE):
        """Scheduled action: post the due alerts (Odoo 18 cron batch protocol). Never raises:
        a failed post is recorded on its alert and retried later."""
        alerts = self._ar_claim(batch_size)
        self._ar_commit()
        for alert in alerts:
            alert._ar_post()
            self._ar_commit()
        # outcomes decided in Odoo: one try each, a failure leaves buttons that the records'
        # own checks refuse with a clear message
        updates = self._ar_claim_rows(SQL("outcome_pending AND state = 'sent'"), SQL("id"), batch_size,
                                      ["outcome_pending", "state"])
        updates.write({"outcome_pending": False})
        self._ar_commit()
        for alert in updates:
            alert._ar_push_outcome()
            self._ar_commit()
        remaining = self.sudo().search_count([("state", "=", "pending"), ("next_attempt", "<=", fields.Datetime.now())])
        self.env["ir.cron"]._notify_progress(done=len(alerts), remaining=remaining)

    def _ar_commit(self):
        # Test cursors refuse commits; the mail queue uses the same marker.
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _ar_claim(self, limit, now=None):
        """Lock up to ``limit`` due alerts no other worker holds and lease them (attempt
        counted, next attempt pushed back), so that a post is never made twice at once."""
        return self._ar_claim_leased(limit, now or fields.Datetime.now(), SLACK_RETRY, {
            "state": "state", "attempts": "attempts", "next_attempt": "next_attempt"})

    def _ar_post(self):
        """Post these claimed alerts with ``chat.postMessage`` and record the outcome."""
        for alert in self:
            # decided in Odoo before it could be posted: posted without its buttons
            blocks = self._ar_outcome_blocks(alert.blocks, alert.outcome) if alert.outcome else alert.blocks
            answer, error, wait = self._ar_call("chat.postMessage", {
                "channel": alert.channel, "text": alert.text, "blocks": blocks,
                "unfurl_links": False, "unfurl_media": False,
            })
            if not error:
                alert.write({"state": "sent", "next_attempt": False, "last_error": False,
                             "slack_ts": answer.get("ts"), "slack_channel": answer.get("channel") or alert.channel})
                continue
            _logger.warning("Slack alert %s: post %s of %s failed: %s", alert.id, alert.attempts,
                            SLACK_RETRY.max_tries, error)
            if error in PERMANENT_ERRORS or error == "not_configured" or SLACK_RETRY.exhausted(alert.attempts):
                alert.write({"state": "failed", "next_attempt": False, "last_error": error})
            else:
                delay = max(SLACK_RETRY.delay(alert.attempts), timedelta(seconds=wait))
                alert.write({"next_attempt": fields.Datetime.now() + delay, "last_error": error})

    def _ar_update(self, outcome, user, response_url=None):
        """Show ``outcome`` instead of the buttons on the posted message: through the click's
        ``response_url`` when there is one, else ``chat.update``."""
        self.ensure_one()
        self.sudo().write({"outcome": outcome, "outcome_user_id": user.id, "outcome_pending": False})
        if response_url:
            blocks = self._ar_outcome_blocks(self.blocks, outcome)
            return self._ar_respond(response_url, {"replace_original": True, "text": self.text, "blocks": blocks})
        return self._ar_push_outcome()

    def _ar_push_outcome(self):
        """Edit the posted alert with ``chat.update``: its outcome instead of its buttons."""
        self.ensure_one()
        if not self.slack_ts:
            return False
        _answer, error, _wait = self._ar_call("chat.update", {
            "channel": self.slack_channel or self.channel, "ts": self.slack_ts, "text": self.text,
            "blocks": self._ar_outcome_blocks(self.blocks, self.outcome),
        })
        if error:
            _logger.warning("Slack alert %s: outcome not shown: %s", self.id, error)
        return not error

    @api.model
    def _ar_respond(self, response_url, payload):
        """Post ``payload`` to a click's or a command's ``response_url`` (Slack's or the
        configured API's host only: it came from a signed request, but it is still a URL)."""
        allowed = ("https://hooks.slack.com/", self._ar_api_url().rsplit("/api/", 1)[0] + "/")
        if not response_url.startswith(allowed):
            _logger.warning("Slack response_url %s refused: not a Slack address", response_url[:100])
            return False
        try:
            response = requests.post(response_url, data=json.dumps(payload), timeout=SLACK_TIMEOUT,
                                     headers={"Content-Type": "application/json"})
        except requests.exceptions.RequestException as exc:
            _logger.warning("Slack response_url failed: %s", exc)
            return False
        return response.ok

    def action_retry(self):
        """Post these failed alerts again at the next run of the send cron."""
        self.filtered(lambda alert: alert.state == "failed").write(
            {"state": "pending", "attempts": 0, "next_attempt": fields.Datetime.now(), "last_error": False})
        self.env.ref("ar_collections_slack.ir_cron_slack_send")._trigger()
