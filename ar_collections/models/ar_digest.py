import logging
import threading
from datetime import timedelta

import psycopg2
import requests
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import formatLang

from ..const import OPEN_INVOICE_DOMAIN
from ..tools.backoff import Backoff

_logger = logging.getLogger(__name__)

# Lines listed per section; the counts always cover everything.
SECTION_LINES = 10
# Seconds a Slack post may take: a hung webhook must not hold the send cron.
SLACK_TIMEOUT = 10
# Slack posts of a digest: the first, then after these waits (4 in all).
SLACK_RETRY = Backoff(timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
# Broken promises looked back for, that no earlier digest reported.
BROKEN_PROMISE_LOOKBACK_DAYS = 30
# Companies built per call of the build cron, digests posted per call of the send cron
# (each post can take SLACK_TIMEOUT seconds).
BUILD_BATCH_SIZE = 20
SEND_BATCH_SIZE = 10

DELIVERY_STATES = [
    ("none", "Not sent"),
    ("nothing", "Nothing to report"),
    ("pending", "Pending"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
]
MAIL_TO_EMAIL_STATE = {
    "outgoing": "queued",
    "sent": "sent",
    "received": "sent",
    "exception": "failed",
    "cancel": "failed",
}


class ArDigest(models.Model):
    """The daily collections digest of one company: at-risk customers with open invoices
    there, broken promises no earlier digest reported, open disputes past their SLA.

    Built once per company and day by a scheduled action, which also queues one email
    to the company's collections managers. A second scheduled action posts it to the
    company's Slack incoming webhook, retrying with a growing delay when Slack fails.
    A digest with nothing to report keeps its counts and sends nothing.
    """

    _name = "ar.digest"
    _inherit = ["ar.claim.mixin"]
    _description = "Collections Digest"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    date = fields.Date(required=True, readonly=True, index=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    at_risk_partner_ids = fields.Many2many(
        "res.partner", "ar_digest_at_risk_partner_rel", "digest_id", "partner_id",
        string="At-risk customers", readonly=True)
    broken_promise_ids = fields.Many2many(
        "ar.promise", "ar_digest_broken_promise_rel", "digest_id", "promise_id",
        string="Broken promises", readonly=True)
    breached_dispute_ids = fields.Many2many(
        "ar.dispute", "ar_digest_breached_dispute_rel", "digest_id", "dispute_id",
        string="Disputes past SLA", readonly=True)
    at_risk_count = fields.Integer(string="At-risk customers count", readonly=True)
    broken_promise_count = fields.Integer(string="Broken promises count", readonly=True)
    breached_dispute_count = fields.Integer(string="Disputes past SLA count", readonly=True)
    total_count = fields.Integer(compute="_compute_total_count", store=True, string="Items reported")
    body_text = fields.Text(string="Slack message", readonly=True)
    body_html = fields.Html(string="Email body", readonly=True, sanitize=False)
    slack_state = fields.Selection(DELIVERY_STATES, string="Slack", default="none", required=True,
                                   readonly=True, index=True)
    slack_attempts = fields.Integer(readonly=True)
    slack_next_attempt = fields.Datetime(readonly=True, index="btree_not_null",
                                         help="When the send cron may post this digest next.")
    slack_last_error = fields.Char(readonly=True)
    slack_sent_date = fields.Datetime(readonly=True)
    mail_id = fields.Many2one("mail.mail", string="Email", readonly=True, ondelete="set null")
    email_state = fields.Selection(DELIVERY_STATES, string="Email state", compute="_compute_email_state",
                                   store=True)

    _sql_constraints = [
        ("company_date_uniq", "unique(company_id, date)", "There is already a digest for this company and day."),
    ]

    @api.depends("date", "company_id")
    def _compute_name(self):
        for digest in self:
            digest.name = f"{digest.date} · {digest.company_id.name}"

    @api.depends("at_risk_count", "broken_promise_count", "breached_dispute_count")
    def _compute_total_count(self):
        for digest in self:
            digest.total_count = digest.at_risk_count + digest.broken_promise_count + digest.breached_dispute_count

    @api.depends("mail_id.state", "total_count")
    def _compute_email_state(self):
        for digest in self:
            if digest.mail_id:
                digest.email_state = MAIL_TO_EMAIL_STATE.get(digest.mail_id.state, "queued")
            else:
                digest.email_state = "none" if digest.total_count else "nothing"

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_send_slack(self):
        """Post these digests to Slack again at the next run of the send cron."""
        to_send = self.filtered("total_count")
        to_send.write({
            "slack_state": "pending",
            "slack_attempts": 0,
            "slack_next_attempt": fields.Datetime.now(),
        })
        if to_send:
            self.env.ref("ar_collections.ir_cron_digest_send")._trigger()

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------

    @api.model
    def _cron_build(self, batch_size=BUILD_BATCH_SIZE):
        """Scheduled action: build today's digest of the next companies that have none
        (Odoo 18 cron batch protocol), then wake the send cron."""
        today = fields.Date.context_today(self)
        companies = self._ar_companies_to_build(today)
        digests = self._ar_build(companies[:batch_size], today)
        self.env["ir.cron"]._notify_progress(done=len(companies[:batch_size]),
                                             remaining=max(len(companies) - batch_size, 0))
        if digests.filtered(lambda digest: digest.slack_state == "pending"):
            self.env.ref("ar_collections.ir_cron_digest_send")._trigger()

    @api.model
    def _ar_companies_to_build(self, date):
        """Companies that want a digest and have none for ``date``."""
        built = self.sudo().search([("date", "=", date)]).company_id
        return self.env["res.company"].sudo().search([
            ("id", "not in", built.ids),
            "|", ("ar_digest_slack_url", "!=", False), ("ar_digest_email", "=", True),
        ])

    @api.model
    def _ar_build(self, companies, date):
        """Build the digest of ``date`` for each of ``companies`` that has none yet and
        queue its email. Idempotent: an existing digest is left as it is.

        :return: the digests created
        """
        digests = self.sudo().browse()
        existing = self.sudo().search([("company_id", "in", companies.ids), ("date", "=", date)]).company_id
        for company in companies.sudo() - existing:
            values = self._ar_digest_values(company, date)
            try:
                with self.env.cr.savepoint():
                    digest = self.sudo().create(values)
            except psycopg2.errors.UniqueViolation:
                # Another worker built it since our check: theirs is the digest of the day.
                continue
            digest._ar_queue_email()
            digests |= digest
        return digests

    @api.model
    def _ar_at_risk_partners(self, company):
        """Customers flagged at risk that have open invoices in ``company`` (customers are
        usually shared between companies; each company hears about its own debtors)."""
        groups = self.env["account.move"].sudo()._read_group([
            ("company_id", "=", company.id),
            *OPEN_INVOICE_DOMAIN,
            ("commercial_partner_id.ar_at_risk", "=", True),
        ], ["commercial_partner_id"])
        partners = self.env["res.partner"].sudo().browse([partner.id for [partner] in groups])
        return partners.sorted(lambda partner: (partner.name or "", partner.id))

    @api.model
    def _ar_broken_promises(self, company, date):
        """Promises of ``company`` broken in the last days and not reported by an earlier
        digest. The window is wider than a day because a promise's broken date is the day
        after its deadline, earlier than the day it was found broken when the promise
        check did not run for a while."""
        since = date - timedelta(days=BROKEN_PROMISE_LOOKBACK_DAYS)
        reported = self.sudo().search([
            ("company_id", "=", company.id), ("date", ">=", since), ("date", "<", date),
        ]).broken_promise_ids
        return self.env["ar.promise"].sudo().search([
            ("company_id", "=", company.id),
            ("state", "=", "broken"),
            ("broken_date", ">=", since),
            ("broken_date", "<=", date),
            ("id", "not in", reported.ids),
        ], order="broken_date, id")

    @api.model
    def _ar_breached_disputes(self, company):
        Dispute = self.env["ar.dispute"].sudo()
        return Dispute.search([
            ("company_id", "=", company.id), ("is_open", "=", True), ("sla_breached", "=", True),
        ], order="sla_deadline, id")

    @api.model
    def _ar_digest_values(self, company, date):
        """Values of the digest of ``company`` for ``date``: what it reports, its Slack
        text and email body, and whether Slack is to be posted."""
        partners = self._ar_at_risk_partners(company)
        promises = self._ar_broken_promises(company, date)
        disputes = self._ar_breached_disputes(company)
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        sections = [
            (self.env._("At-risk customers"), partners, [
                (partner.display_name, partner._name, partner.id, partner.ar_at_risk_reason)
                for partner in partners[:SECTION_LINES]
            ]),
            (self.env._("Broken promises"), promises, [
                (promise.partner_id.display_name, promise._name, promise.id, self.env._(
                    "%(amount)s promised for %(date)s",
                    amount=formatLang(self.env, promise.amount, currency_obj=promise.currency_id),
                    date=promise.promised_date))
                for promise in promises[:SECTION_LINES]
            ]),
            (self.env._("Disputes past their SLA"), disputes, [
                (dispute.display_name, dispute._name, dispute.id,
                 self.env._("deadline %(deadline)s", deadline=dispute.sla_deadline))
                for dispute in disputes[:SECTION_LINES]
            ]),
        ]
        total = len(partners) + len(promises) + len(disputes)
        title = self.env._("Collections digest · %(company)s · %(date)s", company=company.name, date=date)
        summary = self.env._(
            "%(at_risk)s at-risk customer(s) · %(broken)s broken promise(s) · %(disputes)s dispute(s) past SLA",
            at_risk=len(partners), broken=len(promises), disputes=len(disputes))
        if not total:
            slack_state = "nothing"
        elif company.ar_digest_slack_url:
            slack_state = "pending"
        else:
            slack_state = "none"
        return {
            "company_id": company.id,
            "date": date,
            "at_risk_partner_ids": [fields.Command.set(partners.ids)],
            "broken_promise_ids": [fields.Command.set(promises.ids)],
            "breached_dispute_ids": [fields.Command.set(disputes.ids)],
            "at_risk_count": len(partners),
            "broken_promise_count": len(promises),
            "breached_dispute_count": len(disputes),
            "body_text": self._ar_render_slack(title, summary, sections, base_url),
            "body_html": self._ar_render_html(title, summary, sections, base_url),
            "slack_state": slack_state,
            "slack_next_attempt": fields.Datetime.now() if slack_state == "pending" else False,
        }

    @api.model
    def _ar_render_slack(self, title, summary, sections, base_url):
        def slack_escape(text):
            # The three characters Slack's mrkdwn reserves for links and mentions.
            return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        lines = [f"*{slack_escape(title)}*", slack_escape(summary)]
        for heading, records, items in sections:
            if not records:
                continue
            lines += ["", f"*{slack_escape(heading)} ({len(records)})*"]
            for label, model, res_id, detail in items:
                line = f"• <{base_url}/odoo/{model}/{res_id}|{slack_escape(label)}>"
                lines.append(f"{line}: {slack_escape(detail)}" if detail else line)
            if len(records) > len(items):
                lines.append(f"_{slack_escape(self.env._('…and %(count)s more', count=len(records) - len(items)))}_")
        return "\n".join(lines)

    @api.model
    def _ar_render_html(self, title, summary, sections, base_url):
        parts = [Markup("<h3>%s</h3><p>%s</p>") % (title, summary)]
        for heading, records, items in sections:
            if not records:
                continue
            parts.append(Markup("<h4>%s (%s)</h4><ul>") % (heading, len(records)))
            for label, model, res_id, detail in items:
                link = Markup('<a href="%s">%s</a>') % (f"{base_url}/odoo/{model}/{res_id}", label)
                parts.append(Markup("<li>%s: %s</li>") % (link, detail) if detail else Markup("<li>%s</li>") % link)
            if len(records) > len(items):
                parts.append(Markup("<li><em>%s</em></li>") % self.env._(
                    "…and %(count)s more", count=len(records) - len(items)))
            parts.append(Markup("</ul>"))
        return Markup("").join(parts)

    # ------------------------------------------------------------------
    # Email
    # ------------------------------------------------------------------

    def _ar_email_recipients(self):
        """Partners of the active collections managers of the digest's company that have an email."""
        self.ensure_one()
        managers = self.env["res.users"].sudo().search([
            ("groups_id", "in", self.env.ref("ar_collections.group_ar_collections_manager").id),
            ("company_ids", "in", self.company_id.id),
            ("share", "=", False),
            ("email", "!=", False),
        ])
        return managers.partner_id

    def _ar_queue_email(self):
        """Queue the email of these digests to their company's collections managers
        (the mail cron sends it), when they have something to report."""
        template = self.env.ref("ar_collections.mail_template_ar_digest")
        for digest in self.filtered(lambda digest: digest.total_count and digest.company_id.ar_digest_email):
            recipients = digest._ar_email_recipients()
            if not recipients:
                continue
            mail_id = template.sudo().send_mail(digest.id, force_send=False, email_values={
                "recipient_ids": [fields.Command.set(recipients.ids)],
            })
            digest.mail_id = mail_id

    # ------------------------------------------------------------------
    # Slack
    # ------------------------------------------------------------------

    @api.model
    def _cron_send(self, batch_size=SEND_BATCH_SIZE):
        """Scheduled action: post the due digests to Slack (Odoo 18 cron batch protocol).
        Never raises: a failed post is recorded on its digest and retried later."""
        done = self._ar_send_slack_batch(batch_size)
        remaining = self.sudo().search_count([
            ("slack_state", "=", "pending"), ("slack_next_attempt", "<=", fields.Datetime.now()),
        ])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _ar_send_slack_batch(self, limit, now=None):
        """Claim up to ``limit`` due digests and post them, one transaction per post.

        The claim is committed before posting: the row locks are released before slow
        HTTP calls, and the lease it sets (attempt counted, next attempt pushed back)
        keeps other workers away. A worker killed between the post and the commit of
        its outcome leaves the digest to be posted again once the lease runs out,
        within the same attempt limit. Under tests nothing is committed.

        :return: how many digests were posted (successfully or not)
        """
        digests = self._ar_claim_slack(limit, now=now)
        self._ar_commit()
        for digest in digests:
            digest._ar_post_slack()
            self._ar_commit()
        return len(digests)

    def _ar_commit(self):
        # Test cursors refuse commits; the mail queue uses the same marker.
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _ar_claim_slack(self, limit, now=None):
        """Claim and lease up to ``limit`` pending digests due at ``now`` (``_ar_claim_leased``)."""
        return self._ar_claim_leased(limit, now or fields.Datetime.now(), SLACK_RETRY, {
            "state": "slack_state", "attempts": "slack_attempts", "next_attempt": "slack_next_attempt"})

    def _ar_slack_payload(self):
        self.ensure_one()
        return {"text": self.body_text}

    def _ar_post_slack(self):
        """Post these claimed digests to their company's Slack webhook and record the
        outcome: sent, or the error and the next attempt (failed after the last one)."""
        for digest in self:
            url = digest.company_id.ar_digest_slack_url
            error = False
            if not url:
                error = self.env._("No Slack webhook is configured for %(company)s.", company=digest.company_id.name)
            else:
                try:
                    response = requests.post(url, json=digest._ar_slack_payload(), timeout=SLACK_TIMEOUT)
                    if not 200 <= response.status_code < 300:
                        error = f"HTTP {response.status_code}: {response.text[:200]}"
                except requests.exceptions.Timeout:
                    error = self.env._("No answer from Slack within %(seconds)s seconds.", seconds=SLACK_TIMEOUT)
                except Exception as exc:  # any failure of the post is a failed attempt
                    error = f"{type(exc).__name__}: {exc}"
            digest._ar_slack_outcome(error)

    def _ar_slack_outcome(self, error=False):
        self.ensure_one()
        if not error:
            self.write({"slack_state": "sent", "slack_next_attempt": False,
                        "slack_sent_date": fields.Datetime.now()})
            return
        error = str(error)[:500]
        _logger.warning("Collections digest %s: Slack post %s of %s failed: %s",
                        self.id, self.slack_attempts, SLACK_RETRY.max_tries, error)
        if SLACK_RETRY.exhausted(self.slack_attempts) or not self.company_id.ar_digest_slack_url:
            self.write({"slack_state": "failed", "slack_next_attempt": False, "slack_last_error": error})
        else:
            self.write({"slack_next_attempt": fields.Datetime.now() + SLACK_RETRY.delay(self.slack_attempts),
                        "slack_last_error": error})
