import contextlib
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch
from urllib.parse import urlparse

import psycopg2

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import _super_send
from odoo.tools import mute_logger

from odoo.addons.ar_collections.models import ar_digest

from .common import ArCollectionsCommon

BASE_URL = "https://erp.example.com"
# How long the stand-in makes a "slow" answer wait, against the timeout patched below.
SLOW_SECONDS = 1.5
SHORT_TIMEOUT = 0.3


class SlackStub(ThreadingHTTPServer):
    """A local stand-in for a Slack incoming webhook: answers each POST with the next
    scripted behaviour ("ok": 200, "error": 500, "slow": 200 after the client's timeout,
    "drop": closes the connection without answering; "ok" when the script is empty)
    and records the JSON bodies it received."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SlackStubHandler)
        self.script = []
        self.received = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_port}/services/T000/B000/XXXX"


class SlackStubHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(json.loads(body))
        behaviour = self.server.script.pop(0) if self.server.script else "ok"
        if behaviour == "drop":
            return  # HTTP/1.0: the connection is closed without a status line
        if behaviour == "slow":
            time.sleep(SLOW_SECONDS)
        status, text = (500, b"invalid_token") if behaviour == "error" else (200, b"ok")
        # After a "slow" answer the client is gone: writing then fails, harmlessly.
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    def log_message(self, format, *args):
        pass  # keep the test log quiet


@tagged("post_install", "-at_install")
class TestDigest(ArCollectionsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slack = SlackStub()
        thread = threading.Thread(target=cls.slack.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(cls.slack.server_close)
        cls.addClassCleanup(cls.slack.shutdown)

        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", BASE_URL)
        cls.company.write({"ar_digest_slack_url": cls.slack.url, "ar_digest_email": True})
        cls.yesterday = cls.today - timedelta(days=1)

        # At risk: one customer of the company, one shared customer; not at risk: the other one.
        cls.customer.write({"ar_at_risk": True, "ar_at_risk_reason": "Pays 25 days late on average"})
        cls.shared_customer = cls.env["res.partner"].create({
            "name": "Acme Shared", "is_company": True, "company_id": False,
            "ar_at_risk": True, "ar_at_risk_reason": "Invoice overdue 40 days",
        })
        cls._ar_invoice(cls.shared_customer, 200.0, days_overdue=40)
        # At risk but nothing open here: not reported.
        cls.env["res.partner"].create({"name": "Paid Up Risky", "ar_at_risk": True, "ar_at_risk_reason": "Old"})
        # Another company where the same customers are at risk but have no invoices.
        cls.other_company = cls.env["res.company"].create({"name": "Quiet Company"})
        cls.foreign_customer = cls.env["res.partner"].create({
            "name": "Foreign Risky", "company_id": cls.other_company.id,
            "ar_at_risk": True, "ar_at_risk_reason": "Not ours",
        })

        # Broken today (reported), broken 40 days ago (outside the window), still open.
        cls.promise_broken = cls._promise(cls.inv_overdue, 400.0, state="broken", broken_date=cls.today)
        cls.promise_old = cls._promise(cls.inv_partial, 100.0, state="broken",
                                       broken_date=cls.today - timedelta(days=40))
        cls.promise_open = cls._promise(cls.inv_not_due, 300.0)

        # Open and past the SLA (reported), past the SLA but resolved, open within the SLA.
        cls.dispute_breached = cls._dispute(cls.inv_other, sla_breached=True)
        cls.dispute_rejected = cls._dispute(cls.inv_overdue, sla_breached=True)
        cls.dispute_rejected.action_reject()
        cls.dispute_in_time = cls._dispute(cls.inv_partial, sla_breached=False)

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # The test framework raises every timeout below 10 s to 10 s; the stand-in is
        # local and the timeout test needs its short timeout as it is.
        if urlparse(r.url).hostname == "127.0.0.1":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def _promise(cls, invoice, amount, state="open", broken_date=False):
        promise = cls.env["ar.promise"].create({
            "partner_id": invoice.partner_id.id,
            "invoice_ids": [Command.set(invoice.ids)],
            "amount": amount,
            "promised_date": cls.today - timedelta(days=5),
            "grace_days": 0,
        })
        if state != "open":  # history as the promise check writes it
            promise.sudo().write({"state": state, "broken_date": broken_date})
        return promise

    @classmethod
    def _dispute(cls, invoice, sla_breached):
        dispute = cls.env["ar.dispute"].create({
            "partner_id": invoice.partner_id.id,
            "invoice_ids": [Command.set(invoice.ids)],
            "reason": "pricing",
        })
        # history as the SLA check writes it
        dispute.sudo().write({"sla_breached": sla_breached, "sla_deadline": cls.today - timedelta(days=2)})
        return dispute

    def setUp(self):
        super().setUp()
        self.slack.script.clear()
        self.slack.received.clear()

    def _build(self, date=None, company=None):
        return self.env["ar.digest"]._ar_build(company or self.company, date or self.today)

    def _assert_next_attempt(self, digest, before, delay):
        """next attempt = the moment the post failed + ``delay`` (to the second)."""
        after = fields.Datetime.now()
        self.assertGreaterEqual(digest.slack_next_attempt, before.replace(microsecond=0) + delay)
        self.assertLessEqual(digest.slack_next_attempt, after + delay)

    # ------------------------------------------------------------------
    # Content
    # ------------------------------------------------------------------

    def test_build_content(self):
        digest = self._build()
        self.assertEqual(digest.date, self.today)
        self.assertEqual(digest.at_risk_partner_ids, self.shared_customer | self.customer)
        self.assertEqual(digest.broken_promise_ids, self.promise_broken)
        self.assertEqual(digest.breached_dispute_ids, self.dispute_breached)
        self.assertEqual(
            (digest.at_risk_count, digest.broken_promise_count, digest.breached_dispute_count, digest.total_count),
            (2, 1, 1, 4))
        self.assertEqual(digest.slack_state, "pending")
        self.assertEqual(digest.slack_attempts, 0)
        partner_url = f"{BASE_URL}/odoo/res.partner"
        self.assertEqual(digest.body_text, "\n".join([
            f"*Collections digest · {self.company.name} · {self.today}*",
            "2 at-risk customer(s) · 1 broken promise(s) · 1 dispute(s) past SLA",
            "",
            "*At-risk customers (2)*",
            f"• <{partner_url}/{self.shared_customer.id}|Acme Shared>: Invoice overdue 40 days",
            f"• <{partner_url}/{self.customer.id}|Overdue Industries>: Pays 25 days late on average",
            "",
            "*Broken promises (1)*",
            f"• <{BASE_URL}/odoo/ar.promise/{self.promise_broken.id}|Overdue Industries>: "
            f"$\xa0400.00 promised for {self.today - timedelta(days=5)}",
            "",
            "*Disputes past their SLA (1)*",
            f"• <{BASE_URL}/odoo/ar.dispute/{self.dispute_breached.id}|Punctual Partners: {self.inv_other.name}>: "
            f"deadline {self.today - timedelta(days=2)}",
        ]))
        self.assertIn(f'<a href="{partner_url}/{self.customer.id}">Overdue Industries</a>: '
                      "Pays 25 days late on average", digest.body_html)
        self.assertIn("<h4>Broken promises (1)</h4>", digest.body_html)

    def test_build_escapes_and_truncates(self):
        risky = self.env["res.partner"].create([
            {"name": f"Risky <{index:02d}> & Co", "ar_at_risk": True, "ar_at_risk_reason": "a > b"}
            for index in range(11)
        ])
        for partner in risky:
            self._ar_invoice(partner, 10.0, days_overdue=1)
        digest = self._build()
        self.assertEqual(digest.at_risk_count, 13)
        self.assertEqual(len(digest.at_risk_partner_ids), 13)
        section = digest.body_text.split("*At-risk customers (13)*\n")[1].split("\n\n")[0].split("\n")
        # 10 lines of the 13 customers, by name: Acme Shared, Overdue Industries, Risky 00 to 07.
        self.assertEqual(len(section), 11)
        self.assertEqual(section[2], f"• <{BASE_URL}/odoo/res.partner/{risky[0].id}|Risky &lt;00&gt; &amp; Co>: a &gt; b")
        self.assertEqual(section[9], f"• <{BASE_URL}/odoo/res.partner/{risky[7].id}|Risky &lt;07&gt; &amp; Co>: a &gt; b")
        self.assertEqual(section[10], "_…and 3 more_")
        self.assertIn("Risky &lt;00&gt; &amp; Co</a>: a &gt; b", digest.body_html)
        self.assertIn("<li><em>…and 3 more</em></li>", digest.body_html)

    def test_build_idempotent(self):
        digest = self._build()
        self.assertFalse(self._build(), "a second build of the day creates nothing")
        self.env["ar.digest"]._cron_build()
        self.assertEqual(self.env["ar.digest"].search([("company_id", "=", self.company.id)]), digest)
        self.assertEqual(len(self.env["mail.mail"].search([("model", "=", "ar.digest"), ("res_id", "=", digest.id)])), 1)
        # The cron built the other company's digest too, once.
        self.assertEqual(self.env["ar.digest"].search_count([("company_id", "=", self.other_company.id)]), 1)
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["ar.digest"].create({"company_id": self.company.id, "date": self.today})

    def test_broken_promises_reported_once(self):
        yesterday_digest = self._build(self.yesterday)
        self.assertEqual(yesterday_digest.broken_promise_ids, self.env["ar.promise"])
        # Found broken today but dated the day after its deadline (three days ago).
        late = self._promise(self.inv_partial, 50.0, state="broken", broken_date=self.today - timedelta(days=3))
        digest = self._build()
        self.assertEqual(digest.broken_promise_ids, self.promise_broken | late)
        tomorrow = self._build(self.today + timedelta(days=1))
        self.assertEqual(tomorrow.broken_promise_count, 0, "yesterday's digest reported them")

    def test_nothing_to_report(self):
        self.other_company.ar_digest_slack_url = self.slack.url
        digest = self._build(company=self.other_company)
        self.assertEqual((digest.total_count, digest.slack_state, digest.email_state), (0, "nothing", "nothing"))
        self.assertFalse(digest.mail_id)
        self.assertEqual(self.env["ar.digest"]._ar_send_slack_batch(10), 0)
        self.assertEqual(self.slack.received, [])

    # ------------------------------------------------------------------
    # Email
    # ------------------------------------------------------------------

    def test_email_recipients(self):
        company_ctx = {"company_id": self.company.id, "company_ids": [Command.set(self.company.ids)]}
        no_email = new_test_user(self.env, "ar_manager_mute", groups="base.group_user,ar_collections.group_ar_collections_manager",
                                 **company_ctx)
        no_email.email = False
        new_test_user(self.env, "ar_manager_away", groups="base.group_user,ar_collections.group_ar_collections_manager",
                      company_id=self.other_company.id, company_ids=[Command.set(self.other_company.ids)])
        second = new_test_user(self.env, "ar_manager_two", groups="base.group_user,ar_collections.group_ar_collections_manager",
                               email="two@company-one.example.com", **company_ctx)
        digest = self._build()
        mail = digest.mail_id
        # The test user is an accounting administrator, hence a collections manager too.
        managers = self.env.user | self.user_ar_manager | second
        self.assertEqual(mail.recipient_ids, managers.partner_id)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.subject, f"{self.company.name}: collections digest of {self.today}")
        self.assertIn(f'<a href="{BASE_URL}/odoo/ar.dispute/{self.dispute_breached.id}">', mail.body_html)
        self.assertEqual(digest.email_state, "queued")
        self._ar_send_mail_queue()
        self.assertEqual(digest.email_state, "sent")
        self.assertEqual(sorted(email["email_to"][0] for email in self._mails),
                         sorted(managers.partner_id.mapped("email_formatted")))

    def test_email_disabled(self):
        self.company.ar_digest_email = False
        digest = self._build()
        self.assertFalse(digest.mail_id)
        self.assertEqual(digest.email_state, "none")
        self.assertEqual(digest.slack_state, "pending", "Slack does not depend on the email setting")

    # ------------------------------------------------------------------
    # Slack
    # ------------------------------------------------------------------

    def test_slack_success(self):
        digest = self._build()
        self.env["ar.digest"]._cron_send()
        self.assertEqual(self.slack.received, [{"text": digest.body_text}])
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("sent", 1))
        self.assertFalse(digest.slack_next_attempt)
        self.assertFalse(digest.slack_last_error)
        self.assertTrue(digest.slack_sent_date)
        self.env["ar.digest"]._cron_send()
        self.assertEqual(len(self.slack.received), 1, "a sent digest is not posted again")

    def test_slack_error_then_retry(self):
        digest = self._build()
        self.slack.script[:] = ["error", "ok"]
        before = fields.Datetime.now()
        self.assertEqual(self.env["ar.digest"]._ar_send_slack_batch(10), 1)
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("pending", 1))
        self.assertEqual(digest.slack_last_error, "HTTP 500: invalid_token")
        self._assert_next_attempt(digest, before, timedelta(minutes=15))
        # Not due yet ten minutes later.
        self.assertEqual(self.env["ar.digest"]._ar_send_slack_batch(10, now=before + timedelta(minutes=10)), 0)
        self.assertEqual(len(self.slack.received), 1)
        self.assertEqual(self.env["ar.digest"]._ar_send_slack_batch(10, now=digest.slack_next_attempt), 1)
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("sent", 2))
        self.assertEqual(self.slack.received, [{"text": digest.body_text}] * 2)
        self.assertEqual(digest.slack_last_error, "HTTP 500: invalid_token", "the last error stays for the record")

    def test_slack_timeout(self):
        digest = self._build()
        self.slack.script[:] = ["slow"]
        before = fields.Datetime.now()
        with patch.object(ar_digest, "SLACK_TIMEOUT", SHORT_TIMEOUT):
            started = time.monotonic()
            self.env["ar.digest"]._ar_send_slack_batch(10)
            self.assertLess(time.monotonic() - started, SLOW_SECONDS, "the post gave up at the timeout")
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("pending", 1))
        self.assertEqual(digest.slack_last_error, f"No answer from Slack within {SHORT_TIMEOUT} seconds.")
        self._assert_next_attempt(digest, before, timedelta(minutes=15))
        self.assertEqual(len(self.slack.received), 1)

    def test_slack_connection_dropped(self):
        digest = self._build()
        self.slack.script[:] = ["drop"]
        self.env["ar.digest"]._ar_send_slack_batch(10)
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("pending", 1))
        self.assertTrue(digest.slack_last_error.startswith("ConnectionError: "), digest.slack_last_error)
        self.assertIn("Remote end closed connection without response", digest.slack_last_error)
        self.assertEqual(len(self.slack.received), 1)

    def test_slack_max_attempts(self):
        digest = self._build()
        self.slack.script[:] = ["error"] * 5
        delays = [timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4)]
        now = None
        for attempt, delay in enumerate(delays, start=1):
            before = fields.Datetime.now()
            self.assertEqual(self.env["ar.digest"]._ar_send_slack_batch(10, now=now), 1)
            self.assertEqual((digest.slack_state, digest.slack_attempts), ("pending", attempt))
            self._assert_next_attempt(digest, before, delay)
            now = digest.slack_next_attempt
        self.assertEqual(self.env["ar.digest"]._ar_send_slack_batch(10, now=now), 1)
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("failed", 4))
        self.assertFalse(digest.slack_next_attempt)
        self.assertEqual(digest.slack_last_error, "HTTP 500: invalid_token")
        self.assertEqual(self.env["ar.digest"]._ar_send_slack_batch(10, now=now + timedelta(days=1)), 0)
        self.assertEqual(len(self.slack.received), 4)

    def test_slack_retry_after_manual_resend(self):
        digest = self._build()
        digest.write({"slack_state": "failed", "slack_attempts": 4, "slack_last_error": "HTTP 500: x"})
        digest.with_user(self.user_ar_manager).action_send_slack()
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("pending", 0))
        self.env["ar.digest"]._ar_send_slack_batch(10)
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("sent", 1))

    def test_claim_gives_up_after_last_attempt(self):
        # The worker of the 4th attempt died after posting: its lease ran out.
        digest = self._build()
        digest.write({"slack_attempts": 4, "slack_next_attempt": fields.Datetime.now() - timedelta(minutes=1)})
        self.assertFalse(self.env["ar.digest"]._ar_claim_slack(10))
        self.assertEqual(digest.slack_state, "failed")
        self.assertEqual(self.slack.received, [])

    def test_claim_skips_locked(self):
        """Two workers claiming at once: the second does not get the digest the first holds."""
        main_company = self.env.ref("base.main_company")
        date = fields.Date.to_date("2099-01-01")
        with self.registry.cursor() as setup_cr:
            env = api.Environment(setup_cr, SUPERUSER_ID, {})
            digest_id = env["ar.digest"].create({
                "company_id": main_company.id, "date": date, "slack_state": "pending",
                "slack_next_attempt": "2000-01-01 00:00:00",
            }).id
        self.addCleanup(self._delete_committed_digest, digest_id)
        now = fields.Datetime.to_datetime("2000-01-02 00:00:00")
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            cr_b.execute("SET LOCAL lock_timeout = '5s'")  # a blocking claim fails instead of hanging
            claimed_a = env_a["ar.digest"]._ar_claim_slack(100, now=now)
            self.assertIn(digest_id, claimed_a.ids)
            self.assertEqual(claimed_a.browse(digest_id).slack_attempts, 1)
            self.assertNotIn(digest_id, env_b["ar.digest"]._ar_claim_slack(100, now=now).ids)
            cr_a.rollback()  # the first worker let go without posting
            self.assertIn(digest_id, env_b["ar.digest"]._ar_claim_slack(100, now=now).ids)
            cr_b.rollback()

    def _delete_committed_digest(self, digest_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM ar_digest WHERE id = %s", [digest_id])

    # ------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------

    def test_slack_url_validation(self):
        for url in ("http://hooks.slack.com/services/T0/B0/X", "ftp://hooks.slack.com/x",
                    "hooks.slack.com/services/T0/B0/X", "https://", "http://10.0.0.5/hook"):
            with self.subTest(url=url), self.assertRaises(ValidationError), self.cr.savepoint():
                self.company.ar_digest_slack_url = url
        self.company.invalidate_recordset()
        self.assertEqual(self.company.ar_digest_slack_url, self.slack.url, "a refused URL changes nothing")
        settings = self.env["res.config.settings"].with_company(self.company).create(
            {"ar_digest_slack_url": "https://hooks.slack.com/services/T0/B0/X"})
        settings.execute()
        self.assertEqual(self.company.ar_digest_slack_url, "https://hooks.slack.com/services/T0/B0/X")
        for url in ("http://localhost:8069/hook", "http://127.0.0.1/hook"):
            self.company.ar_digest_slack_url = url
            self.assertEqual(self.company.ar_digest_slack_url, url)
