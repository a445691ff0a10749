from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestPortalStatement(ArCollectionsCommon, HttpCase):

    def test_statement_lists_own_open_documents(self):
        refund = self._ar_credit_note(self.inv_not_due, 300.0)  # closes inv_not_due entirely
        self.assertEqual(self.inv_not_due.payment_state, "reversed")
        self.authenticate("ar_portal", "ar_portal")
        response = self.url_open("/my/statement")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn(self.inv_overdue.name, html)
        self.assertIn(self.inv_partial.name, html)
        self.assertNotIn(self.inv_not_due.name, html, "a fully credited invoice is not open")
        self.assertNotIn(refund.name, html, "a fully used credit note is not open")
        self.assertNotIn(self.inv_other.name, html, "another customer's invoice leaked")
        self.assertIn("350.00", html, "open amount after the partial payment")
        self.assertIn("1,350.00", html, "overdue total")
        self.assertIn(f"/my/invoices/{self.inv_overdue.id}", html)

    def test_statement_open_credit_note_reduces_total(self):
        self._ar_credit_note(self.inv_overdue, 100.0)
        refund = self.env["account.move"].create({
            "move_type": "out_refund",
            "partner_id": self.customer.id,
            "invoice_date": self.today,
            "invoice_line_ids": [(0, 0, {"name": "Goodwill", "price_unit": 50.0, "tax_ids": [(5,)]})],
        })
        refund.action_post()
        self.authenticate("ar_portal", "ar_portal")
        html = self.url_open("/my/statement").text
        self.assertIn(refund.name, html)
        # 900 + 350 + 300 - 50
        self.assertIn("1,500.00", html)

    def test_statement_requires_login(self):
        response = self.url_open("/my/statement", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_home_counter(self):
        self.authenticate("ar_portal", "ar_portal")
        response = self.make_jsonrpc_request("/my/counters", {"counters": ["ar_statement_count"]})
        self.assertEqual(response["ar_statement_count"], 3)

    def test_back_office_closed_to_portal_user(self):
        self.authenticate("ar_portal", "ar_portal")
        response = self.url_open("/odoo/action-ar_collections.action_ar_dunning_policy", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 403))
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.make_jsonrpc_request("/web/dataset/call_kw/ar.dunning.policy/search_read", {
                "model": "ar.dunning.policy", "method": "search_read", "args": [], "kwargs": {"fields": ["name"]},
            })
