"""Slack's buttons and the /ar command, posted to the real routes signed as Slack signs them.

Each action is run as the Odoo user linked to the clicking Slack user, and its outcome
replaces the buttons of the alert. The refusals are the Slack part of the hostile-input
catalogue: each is refused with a clear message and writes nothing (``_http_attack``).
"""

import json
import time
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections.tests.hostile_catalogue import ArHostileCatalogue

from .common import U_BILLING, U_COLLECTOR, U_MANAGER, ArSlackCommon
from .test_slack_alerts import SlackAlertCases

U_MANAGER_B = "U0MANAGERB"
ACTIONS = "/ar_collections/slack/interactivity"
COMMAND = "/ar_collections/slack/command"
HOSTILE_CASES = [
    "Slack: bad signature",
    "Slack: stale timestamp",
    "Slack: replayed request",
    "Slack: unmapped Slack user",
    "Slack: user without the group",
    "Slack: unknown action",
    "Slack: unknown record",
    "Slack: record of another company",
    "Slack: plan no longer waiting for approval",
    "Slack: command of an unmapped user",
    "Slack: request without a timestamp",
    "Slack: plan of a company the user may not access",
    "Slack: plan approved twice",
    "Slack: plan approved after its decline",
    "Slack: dispute assigned once closed",
    "Slack: snooze cutting a longer do-not-chase short",
    "Slack: command of a user without the group",
    "Slack: command for a customer of another company",
    "Slack: payload of the wrong shape",
    "Slack: archived user",
    "Slack: portal user linked",
]
RESULTS = []


@tagged("post_install", "-at_install")
class TestSlack(SlackAlertCases, ArHostileCatalogue, ArSlackCommon, HttpCase):
    catalogue_source = "Slack requests: ar_collections_slack"
    catalogue_results = RESULTS
    # Odoo's runner runs only the methods a class defines itself unless told: the alerts' tests
    # (SlackAlertCases) are inherited
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # snoozing writes the customer: collectors who may edit contacts, as in the back office
        cls.user_collector.groups_id = [Command.link(cls.env.ref("base.group_partner_manager").id)]
        cls.company_b = cls.env["res.company"].create({"name": "Slack B"})
        cls.customer_b = cls.env["res.partner"].create({
            "name": "Company B Only Ltd", "is_company": True, "company_id": cls.company_b.id})
        # a collections manager of company B only, linked to Slack
        cls.manager_b = new_test_user(
            cls.env, "ar_slack_manager_b", name="Bea Manager",
            groups="base.group_user,ar_collections.group_ar_collections_manager",
            company_id=cls.company_b.id, company_ids=[Command.set(cls.company_b.ids)])
        cls.manager_b.ar_slack_user_id = U_MANAGER_B

    def _read_counts(self, env):
        plans = env["ar.payment.plan"].search([])
        disputes = env["ar.dispute"].search([])
        partners = env["res.partner"].browse((self.customer | self.customer_b).ids)
        return {
            "plans": plans.read(["state", "approved_by_id"]),
            "disputes": disputes.read(["user_id", "stage"]),
            "partners": partners.read(["ar_no_chase", "ar_no_chase_until", "ar_no_chase_reason"]),
            "alerts": env["ar.slack.message"].search([]).read(["state", "outcome", "outcome_user_id"]),
        }

    def _post(self, path, form, **sign):
        body, headers = self.slack.signed(form, **sign)
        self.env.flush_all()
        response = self.url_open(path, data=body, headers=headers)
        self.env.invalidate_all()
        return response

    def _click(self, action_id, record, slack_user, alert=None, **sign):
        form = self.slack.click_form(action_id, record if isinstance(record, int | str) else record.id,
                                     slack_user, message_ts=alert.slack_ts if alert else None)
        return self._post(ACTIONS, form, **sign)

    def _posted_alert(self, kind):
        self._send_alerts()
        alert = self._alerts(kind)[-1:]
        self.assertEqual(alert.state, "sent")
        self.slack.reset()
        return alert

    def _assert_outcome(self, alert, text):
        """The alert's buttons were replaced by ``text`` through the click's response_url."""
        [update] = self.slack.responses()
        self.assertTrue(update["replace_original"])
        self.assertIn(text, json.dumps(update["blocks"], ensure_ascii=False))
        elements = [element for block in update["blocks"] if block["type"] == "actions"
                    for element in block["elements"]]
        self.assertEqual([element["action_id"] for element in elements], ["ar_open"], "only the link is left")
        self.assertIn(text, alert.outcome)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def test_plan_approved_from_slack(self):
        plan = self._plan()
        alert = self._posted_alert("plan_submitted")
        response = self._click("ar_plan_approve", plan, U_MANAGER, alert)
        self.assertEqual(response.status_code, 200)
        self.assertEqual((plan.state, plan.approved_by_id), ("active", self.user_ar_manager))
        self._assert_outcome(alert, "Plan approved by Mia Manager")
        self.assertEqual(alert.outcome_user_id, self.user_ar_manager)
        self.assertFalse(alert.outcome_pending, "shown by the click, not again by the send cron")

    def test_portal_proposal_approved_from_slack(self):
        """The plan a customer proposes from the portal is announced and approved in Slack."""
        plan = self.env["ar.payment.plan"]._ar_portal_propose(
            self.customer_contact, self.inv_overdue, self.today, count=2)
        alert = self._posted_alert("plan_submitted")
        self.assertEqual(alert.res_id, plan.id)
        self.assertIn("Payment plan to approve: Overdue Industries", alert.text)
        self._click("ar_plan_approve", plan, U_MANAGER, alert)
        self.assertEqual((plan.state, plan.approved_by_id), ("active", self.user_ar_manager))
        self.assertFalse(plan.activity_ids, "the back office's approval activity is done too")

    def test_plan_declined_from_slack(self):
        plan = self._plan()
        alert = self._posted_alert("plan_submitted")
        self._click("ar_plan_decline", plan, U_MANAGER, alert)
        self.assertNotIn(plan.state, ("to_approve", "active"))
        self.assertEqual(plan.write_uid, self.user_ar_manager, "declined as the manager, not as superuser")
        self._assert_outcome(alert, "Plan declined by Mia Manager")

    def test_dispute_assigned_from_slack(self):
        dispute = self._dispute()
        self.assertEqual(dispute.user_id, self.user_collector)
        self._click("ar_dispute_assign", dispute, U_MANAGER)
        self.assertEqual((dispute.user_id, dispute.write_uid), (self.user_ar_manager, self.user_ar_manager))
        [update] = self.slack.responses()
        self.assertIn("Dispute assigned to Mia Manager", update["text"])

    def test_customer_snoozed_from_slack(self):
        self._click("ar_partner_snooze", self.customer_contact, U_COLLECTOR)
        self.assertTrue(self.customer.ar_no_chase, "the customer's company is snoozed")
        self.assertEqual(self.customer.ar_no_chase_until, self.today + timedelta(days=7))
        self.assertEqual(self.customer.ar_no_chase_reason, "Snoozed from Slack by Colin Collector")
        self.assertTrue(self.customer.ar_pause_reason)

    def test_command_customer(self):
        response = self._post(COMMAND, self.slack.command_form("customer overdue industries", U_COLLECTOR))
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        self.assertEqual(answer["response_type"], "ephemeral", "only the asking user sees it")
        facts = dict(line.strip("*").split("*\n") for block in answer["blocks"] if block["type"] == "section"
                     for line in (field["text"] for field in block["fields"]))
        self.assertEqual(set(facts), {"Balance", "Overdue", "Last contact", "Next step"})
        self.assertIn("1,650.00", facts["Balance"])
        self.assertIn("1,350.00", facts["Overdue"])
        self.assertEqual(facts["Last contact"], "-")
        self.assertEqual(facts["Next step"].split(" · ")[0], "Needs action")
        answer = self._post(COMMAND, self.slack.command_form("customer Nobody Inc", U_COLLECTOR)).json()
        self.assertEqual(answer["text"], "No customer matches Nobody Inc.")
        answer = self._post(COMMAND, self.slack.command_form("", U_COLLECTOR)).json()
        self.assertIn("Usage: /ar customer", answer["text"])

    def test_command_last_contact_and_next_step(self):
        """After a reminder, the card gives its day as the last contact, and the next step."""
        self._ar_run()
        self._ar_dispatch()
        self._ar_send_mail_queue()
        sent = self.env["ar.dunning.message"].sudo().search([
            ("partner_id", "=", self.customer.id), ("state", "=", "sent")])
        self.assertTrue(sent)
        answer = self._post(COMMAND, self.slack.command_form("customer Overdue Industries", U_COLLECTOR)).json()
        facts = dict(line.strip("*").split("*\n") for block in answer["blocks"] if block["type"] == "section"
                     for line in (field["text"] for field in block["fields"]))
        self.assertEqual(facts["Last contact"], fields.Date.to_string(max(sent.mapped("dispatch_date")).date()))
        self.assertNotEqual(facts["Next step"], "-")

    def test_slack_user_linked_by_administrators_once_per_company(self):
        with self.assertRaises(AccessError):  # else a user could act as another Slack user
            self.user_collector.with_user(self.user_collector).write({"ar_slack_user_id": U_MANAGER})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.user_billing.ar_slack_user_id = U_MANAGER
            self.env.flush_all()

    # ------------------------------------------------------------------
    # Refusals (hostile-input catalogue)
    # ------------------------------------------------------------------

    def test_bad_signature(self):
        plan = self._plan()
        self._http_attack("Slack: bad signature", lambda: self._click(
            "ar_plan_approve", plan, U_MANAGER, secret="not-the-signing-secret"), 401, "signature is wrong")
        self._assert_no_failures()
        self.assertFalse(self.slack.responses(), "nothing is sent to a response_url of a forged request")

    def test_stale_timestamp(self):
        plan = self._plan()
        self._http_attack("Slack: stale timestamp", lambda: self._click(
            "ar_plan_approve", plan, U_MANAGER, timestamp=int(time.time()) - 301), 401, "more than 5 minutes")
        self._assert_no_failures()

    def test_replayed_request(self):
        plan = self._plan()
        body, headers = self.slack.signed(self.slack.click_form("ar_dispute_assign", self._dispute().id, U_MANAGER))
        self.assertEqual(self.url_open(ACTIONS, data=body, headers=headers).status_code, 200)
        self.assertEqual(self._click("ar_plan_approve", plan, U_MANAGER, secret="x").status_code, 401)
        self._http_attack("Slack: replayed request", lambda: self.url_open(ACTIONS, data=body, headers=headers),
                          409, "already received")
        self._assert_no_failures()

    def test_unmapped_user(self):
        plan = self._plan()
        self._http_attack("Slack: unmapped Slack user", lambda: self._click("ar_plan_approve", plan, "U0STRANGER"),
                          200, "not linked to one Odoo user")
        self._assert_no_failures()
        [refusal] = self.slack.responses()
        self.assertEqual((refusal["response_type"], refusal["replace_original"]), ("ephemeral", False))

    def test_user_without_group(self):
        plan = self._plan()
        # the collector may not approve plans in the back office either
        self._http_attack("Slack: user without the group", lambda: self._click("ar_plan_approve", plan, U_COLLECTOR),
                          200, "Colin Collector does not have the rights for this in Odoo")
        self._assert_no_failures()

    def test_unknown_action(self):
        plan = self._plan()
        self._http_attack("Slack: unknown action", lambda: self._click("ar_unlink_everything", plan, U_MANAGER),
                          200, "Unknown action ar_unlink_everything")
        self._assert_no_failures()

    def test_unknown_record(self):
        self._http_attack("Slack: unknown record", lambda: self._click("ar_plan_approve", 999999999, U_MANAGER),
                          200, "no longer exists")
        self._assert_no_failures()

    def test_record_of_another_company(self):
        self._http_attack("Slack: record of another company",
                          lambda: self._click("ar_partner_snooze", self.customer_b, U_COLLECTOR),
                          200, "Colin Collector cannot change this record")
        self._assert_no_failures()

    def test_plan_no_longer_waiting(self):
        plan = self._plan()
        plan.with_user(self.user_ar_manager).action_approve()
        self._http_attack("Slack: plan no longer waiting for approval",
                          lambda: self._click("ar_plan_decline", plan, U_MANAGER), 200, "no longer waiting")
        self._assert_no_failures()

    def test_command_of_unmapped_user(self):
        self._http_attack("Slack: command of an unmapped user", lambda: self._post(
            COMMAND, self.slack.command_form("customer Overdue Industries", U_BILLING + "X")),
            200, "not linked to one Odoo user")
        self._assert_no_failures()

    def test_request_without_timestamp(self):
        plan = self._plan()
        body, headers = self.slack.signed(self.slack.click_form("ar_plan_approve", plan.id, U_MANAGER))
        del headers["X-Slack-Request-Timestamp"]
        self.env.flush_all()
        self._http_attack("Slack: request without a timestamp", lambda: self.url_open(ACTIONS, data=body, headers=headers),
                          401, "no valid Slack timestamp")
        self._assert_no_failures()

    def test_plan_of_a_company_the_user_may_not_access(self):
        """A manager of company B only, linked to Slack, clicks the button of a plan of company A."""
        plan = self._plan()
        self._http_attack("Slack: plan of a company the user may not access",
                          lambda: self._click("ar_plan_approve", plan, U_MANAGER_B),
                          200, "Bea Manager cannot change this record")
        self._assert_no_failures()
        self.assertEqual(plan.state, "to_approve")

    def test_plan_decided_once(self):
        """A second click (another signed request, not a replay) finds the plan decided."""
        plan = self._plan()
        alert = self._posted_alert("plan_submitted")
        self._click("ar_plan_approve", plan, U_MANAGER, alert)
        self.assertEqual(plan.state, "active")
        self._http_attack("Slack: plan approved twice", lambda: self._click("ar_plan_approve", plan, U_MANAGER, alert),
                          200, "Only a plan waiting for approval can be approved")
        declined = self._plan(invoice=self.inv_partial)
        self._click("ar_plan_decline", declined, U_MANAGER)
        self.assertEqual(declined.state, "refused")
        self._http_attack("Slack: plan approved after its decline",
                          lambda: self._click("ar_plan_approve", declined, U_MANAGER),
                          200, "Only a plan waiting for approval can be approved")
        self._assert_no_failures()
        self.assertEqual(alert.outcome, "✅ Plan approved by Mia Manager", "the refused click left the outcome")

    def test_closed_dispute_not_assigned(self):
        dispute = self._dispute()
        dispute.with_user(self.user_ar_manager).action_reject()
        self._http_attack("Slack: dispute assigned once closed",
                          lambda: self._click("ar_dispute_assign", dispute, U_MANAGER), 200, "This dispute is closed")
        self._assert_no_failures()

    def test_snooze_never_shortens_do_not_chase(self):
        """A customer not chased for good (or longer than the snooze) stays so, with its reason."""
        self.customer.write({"ar_no_chase": True, "ar_no_chase_reason": "Insolvency proceedings"})
        self._http_attack("Slack: snooze cutting a longer do-not-chase short",
                          lambda: self._click("ar_partner_snooze", self.customer, U_COLLECTOR),
                          200, "Overdue Industries is not chased already (Insolvency proceedings)")
        self._assert_no_failures()
        self.customer.ar_no_chase_until = self.today + timedelta(days=30)
        response = self._click("ar_partner_snooze", self.customer, U_COLLECTOR)
        self.assertIn(f"not chased until {self.today + timedelta(days=30)} already", response.text)
        self.assertEqual((self.customer.ar_no_chase_until, self.customer.ar_no_chase_reason),
                         (self.today + timedelta(days=30), "Insolvency proceedings"))
        # a snooze ending sooner is extended
        self.customer.ar_no_chase_until = self.today + timedelta(days=2)
        self._click("ar_partner_snooze", self.customer, U_COLLECTOR)
        self.assertEqual((self.customer.ar_no_chase_until, self.customer.ar_no_chase_reason),
                         (self.today + timedelta(days=7), "Snoozed from Slack by Colin Collector"))

    def test_command_of_user_without_group(self):
        self._http_attack("Slack: command of a user without the group", lambda: self._post(
            COMMAND, self.slack.command_form("customer Overdue Industries", U_BILLING)),
            200, "Bill Clerk does not have the rights for this in Odoo")
        self._assert_no_failures()

    def test_command_answers_for_the_users_company(self):
        self._http_attack("Slack: command for a customer of another company", lambda: self._post(
            COMMAND, self.slack.command_form("customer Company B Only Ltd", U_COLLECTOR)),
            200, "No customer matches Company B Only Ltd.")
        self._assert_no_failures()
        # a customer of every company: company B's manager sees company B's figures, not company A's
        answer = self._post(COMMAND, self.slack.command_form("customer Overdue Industries", U_MANAGER_B)).json()
        self.assertEqual(answer["blocks"][0]["text"]["text"], "Overdue Industries")
        self.assertNotIn("1,650.00", answer["text"])
        self.assertNotIn("1,350.00", answer["text"])

    def test_payload_of_the_wrong_shape(self):
        """Signed, but not what Slack sends: refused with a clear answer, not a server error."""
        plan = self._plan()
        click = json.loads(self.slack.click_form("ar_plan_approve", plan.id, U_MANAGER)["payload"])
        shapes = [
            {**click, "user": U_MANAGER},
            {**click, "user": {"id": [U_MANAGER]}},
            {**click, "container": "message"},
            {**click, "actions": [{**click["actions"][0], "value": [plan.id]}]},
            {**click, "actions": {"0": click["actions"][0]}},
            {**click, "message": {"ts": "1.2", "blocks": ["not a block"]}},
            {**click, "response_url": ["https://hooks.slack.com/x"]},
            [click],
        ]
        for shape in shapes:
            self._http_attack("Slack: payload of the wrong shape", lambda s=shape: self._post(
                ACTIONS, {"payload": json.dumps(s)}), 400, "not a Slack button click")
        self._assert_no_failures()
        self.assertEqual(plan.state, "to_approve")

    def test_only_active_internal_users_act(self):
        plan = self._plan()
        self.user_ar_manager.active = False
        self._http_attack("Slack: archived user", lambda: self._click("ar_plan_approve", plan, U_MANAGER),
                          200, "not linked to one Odoo user")
        self.portal_user.ar_slack_user_id = "U0PORTAL"
        self._http_attack("Slack: portal user linked", lambda: self._post(
            COMMAND, self.slack.command_form("customer Overdue Industries", "U0PORTAL")),
            200, "not linked to one Odoo user")
        self._assert_no_failures()

    def test_zz_catalogue_is_complete(self):
        self._assert_catalogue_complete(HOSTILE_CASES)
