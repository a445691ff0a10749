"""Credit releases in Slack: the request is announced with buttons, and a Credit Manager
other than the requester approves or declines it there, as in the back office."""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.ar_collections.tests.hostile_catalogue import ArHostileCatalogue
from odoo.addons.ar_collections_credit.tests.common import ArCreditCommon
from odoo.addons.ar_collections_slack.tests.common import ArSlackCommon

ACTIONS = "/ar_collections/slack/interactivity"
U_CREDIT = "U0CREDIT"
U_CREDIT_2 = "U0CREDIT2"
U_SALES = "U0SALES"
U_CREDIT_B = "U0CREDITB"
HOSTILE_CASES = [
    "Slack: requester approves own release",
    "Slack: salesperson approves a release",
    "Slack: release already approved declined",
    "Slack: release approved twice",
    "Slack: release approved after its decline",
    "Slack: release of a company the manager may not access",
]
RESULTS = []


@tagged("post_install", "-at_install")
class TestSlackCreditRelease(ArHostileCatalogue, ArCreditCommon, ArSlackCommon, HttpCase):
    catalogue_source = "Slack requests: ar_collections_credit_slack"
    catalogue_results = RESULTS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.credit_manager.ar_slack_user_id = U_CREDIT
        cls.credit_manager_2.ar_slack_user_id = U_CREDIT_2
        cls.salesman.ar_slack_user_id = U_SALES
        # a Credit Manager of another company only
        company_b = cls.env["res.company"].create({"name": "Credit Slack B"})
        cls.credit_manager_b = new_test_user(
            cls.env, "ar_credit_slack_b", name="Cora Credit",
            groups="base.group_user,ar_collections_credit.group_ar_credit_manager",
            company_id=company_b.id, company_ids=[Command.set(company_b.ids)])
        cls.credit_manager_b.ar_slack_user_id = U_CREDIT_B

    def _read_counts(self, env):
        return {"releases": env["ar.credit.release"].search([]).read(["state", "approved_by_id"])}

    def _requested(self, requested_by=None):
        release = self.env["ar.credit.release"].with_user(requested_by or self.salesman).create({
            "partner_id": self.customer.id, "amount": 800.0, "reason": "Seasonal order, paid by transfer",
        })
        release.action_request()
        return release

    def _click(self, action_id, release, slack_user, alert=None):
        body, headers = self.slack.signed(self.slack.click_form(
            action_id, release.id, slack_user, message_ts=alert.slack_ts if alert else None))
        self.env.flush_all()
        response = self.url_open(ACTIONS, data=body, headers=headers)
        self.env.invalidate_all()
        return response

    def test_request_announced_and_approved_from_slack(self):
        release = self._requested()
        alert = self._alerts("credit_release")
        self.assertEqual((len(alert), alert.res_id), (1, release.id))
        actions = [block for block in alert.blocks if block["type"] == "actions"][0]["elements"]
        self.assertEqual([button["action_id"] for button in actions],
                         ["ar_release_approve", "ar_release_decline", "ar_open"])
        self.assertIn("Sam Sales", str(alert.blocks), "the requester is shown")
        self._send_alerts()
        self.slack.reset()
        self.assertEqual(self._click("ar_release_approve", release, U_CREDIT, alert).status_code, 200)
        self.assertEqual((release.state, release.approved_by_id), ("approved", self.credit_manager))
        [update] = self.slack.responses()
        self.assertIn("approved by Carla Credit", str(update["blocks"]))

    def test_declined_from_slack(self):
        release = self._requested()
        self._click("ar_release_decline", release, U_CREDIT_2)
        self.assertEqual(release.state, "refused")
        self.assertIn("declined by Chris Credit", self.slack.responses()[0]["text"])

    def test_approved_in_odoo_shown_in_slack(self):
        release = self._requested()
        self._send_alerts()
        alert = self._alerts("credit_release")
        release.with_user(self.credit_manager).action_approve()
        self.assertEqual((alert.outcome, alert.outcome_pending),
                         (f"✅ Credit release {release.name} approved by Carla Credit", True))
        self._send_alerts()
        [update] = self.slack.api_calls("chat.update")
        self.assertEqual(update["ts"], alert.slack_ts)

    def test_requester_cannot_approve_from_slack(self):
        release = self._requested(requested_by=self.credit_manager)
        self._http_attack("Slack: requester approves own release",
                          lambda: self._click("ar_release_approve", release, U_CREDIT),
                          200, "another Credit Manager must approve it (segregation of duties)")
        self._assert_no_failures()

    def test_salesperson_cannot_approve_from_slack(self):
        release = self._requested(requested_by=self.salesman_2)
        self._http_attack("Slack: salesperson approves a release",
                          lambda: self._click("ar_release_approve", release, U_SALES),
                          200, "Sam Sales does not have the rights for this in Odoo")
        self._assert_no_failures()

    def test_approved_release_not_declined_from_slack(self):
        release = self._requested()
        release.with_user(self.credit_manager).action_approve()
        self._http_attack("Slack: release already approved declined",
                          lambda: self._click("ar_release_decline", release, U_CREDIT_2),
                          200, "no longer waiting for approval")
        self._assert_no_failures()

    def test_release_decided_once(self):
        """A second click (another signed request, not a replay) finds the release decided."""
        release = self._requested()
        self._click("ar_release_approve", release, U_CREDIT)
        self.assertEqual(release.state, "approved")
        self._http_attack("Slack: release approved twice",
                          lambda: self._click("ar_release_approve", release, U_CREDIT_2),
                          200, "is approved: it cannot be approved")
        declined = self._requested()
        self._click("ar_release_decline", declined, U_CREDIT)
        self.assertEqual(declined.state, "refused")
        self._http_attack("Slack: release approved after its decline",
                          lambda: self._click("ar_release_approve", declined, U_CREDIT_2),
                          200, "is refused: it cannot be approved")
        self._assert_no_failures()
        self.assertEqual(release.approved_by_id, self.credit_manager)

    def test_release_of_another_company(self):
        release = self._requested()
        self._http_attack("Slack: release of a company the manager may not access",
                          lambda: self._click("ar_release_approve", release, U_CREDIT_B),
                          200, "Cora Credit cannot change this record")
        self._assert_no_failures()
        self.assertEqual(release.state, "requested")

    def test_zz_catalogue_is_complete(self):
        self._assert_catalogue_complete(HOSTILE_CASES)
