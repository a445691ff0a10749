"""Payment plans from the portal: a customer proposes one for overdue invoices within the
company's limits, follows it on the statement and pays it instalment by instalment.

``PLAN_CASES`` is the portal's hostile-input catalogue of proposals: each is posted as the
logged-in customer and must be refused with its sentence (status 400) and write nothing; the
totals go to the run summary (tried / accepted-bad) when the class ends.
"""

import json
from datetime import timedelta
from urllib.parse import urlsplit

from lxml import html as lxml_html

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections.tests.hostile_catalogue import SCRIPT
from odoo.addons.ar_collections.tests.run_summary import record
from odoo.addons.ar_collections_portal.tests.common import ArPortalHttpCommon
from odoo.addons.ar_collections_portal.tests.pay_common import jsonrpc_error


def day(offset):
    return lambda t: fields.Date.to_string(t.today + timedelta(days=offset))


def ids(*names):
    return lambda t: [str(getattr(t, name).id) for name in names]


OUTSIDE_LIMITS = "at most"
NOT_YOURS = "Only your own invoices"
# A proposal on the customer's 1,000.00 overdue invoice, changed: (label, changes, message shown)
PLAN_CASES = [
    ("13 equal instalments (12 allowed)", {"count": "13"}, "12 instalments at most"),
    ("1,200 typed amounts", {"mode": "amounts", "amounts": "1\n" * 1200}, "12 instalments at most"),
    ("last instalment after 365 days", {"first_date": day(330), "count": "3"}, "365 days at most"),
    ("first instalment on 9999-12-31", {"first_date": "9999-12-31"}, "365 days at most"),
    ("first payment below 10%", {"mode": "amounts", "amounts": "99.99\n900.01"}, "at least 10%"),
    ("negative instalment", {"mode": "amounts", "amounts": "-100\n1100"}, "positive amount"),
    ("instalment of zero", {"mode": "amounts", "amounts": "0\n1000"}, "positive amount"),
    ("amounts above the open amount", {"mode": "amounts", "amounts": "500\n500.01"}, "add up to"),
    ("amount NaN", {"mode": "amounts", "amounts": "NaN\n1000"}, "not a number"),
    ("amount 1e309", {"mode": "amounts", "amounts": "1e309"}, "not a number"),
    ("amount with HTML", {"mode": "amounts", "amounts": SCRIPT}, "not a number"),
    ("no amount typed", {"mode": "amounts", "amounts": " \n "}, "one per line"),
    ("zero instalments", {"count": "0"}, "number of instalments"),
    ("count 'abc'", {"count": "abc"}, "whole number"),
    ("first instalment yesterday", {"first_date": day(-1)}, "today at the earliest"),
    ("first date 2026-13-45", {"first_date": "2026-13-45"}, "as a date"),
    ("unknown frequency", {"frequency": "yearly"}, "how often"),
    ("unknown mode", {"mode": "all-at-once"}, "equal instalments"),
    ("another customer's invoice", {"invoice_ids": ids("inv_other")}, NOT_YOURS),
    ("own invoice plus another customer's", {"invoice_ids": ids("inv_overdue", "inv_other")}, NOT_YOURS),
    ("non-existent invoice id", {"invoice_ids": ["999999999"]}, NOT_YOURS),
    ("draft invoice of the customer", {"invoice_ids": ids("draft_invoice")}, NOT_YOURS),
    ("credit note of the customer", {"invoice_ids": ids("refund")}, NOT_YOURS),
    ("invoice id 'abc'", {"invoice_ids": ["abc"]}, "not valid"),
    ("invoice id beyond the integer range", {"invoice_ids": ["99999999999"]}, "not valid"),
    ("51 invoice ids", {"invoice_ids": lambda t: [str(t.inv_overdue.id)] * 51}, "not valid"),
    ("no invoice", {"invoice_ids": []}, "at least one overdue invoice"),
    ("paid invoice", {"invoice_ids": ids("paid_invoice")}, "Nothing is left to pay"),
    ("invoice not yet due", {"invoice_ids": ids("inv_not_due")}, "Only overdue invoices"),
    ("invoice in EUR", {"invoice_ids": ids("inv_eur")}, "Payment plans are in USD"),
    ("invoice already in a plan", {"invoice_ids": ids("inv_busy")}, "already in a payment plan"),
]
OTHER_CASES = ["without CSRF token", "not logged in", "GET on the submit route"]
RESULTS = []
# The web client's JSON-RPC, as the logged-in portal customer: (label, model, method, args, message)
RPC_CASES = [
    ("create a plan", "ar.payment.plan", "create",
     lambda t: [{"partner_id": t.customer.id, "invoice_ids": [(6, 0, t.inv_overdue.ids)]}], "not allowed"),
    ("propose through the model", "ar.payment.plan", "_ar_portal_propose",
     lambda t: [t.customer_contact.id, t.inv_other.ids, fields.Date.to_string(t.today)], "cannot be called remotely"),
    ("approve a plan", "ar.payment.plan", "action_approve", lambda t: [t.inv_busy_plan.ids],
     "Only a collections manager"),
    ("add an instalment", "ar.payment.plan.line", "create",
     lambda t: [{"plan_id": t.inv_busy_plan.id, "date": fields.Date.to_string(t.today), "amount": 1.0}],
     "not allowed"),
]
RPC_RESULTS = []


@tagged("post_install", "-at_install")
class TestPortalPlan(ArPortalHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._ar_wrong_kind_documents()
        cls.company.ar_manager_user_id = cls.user_ar_manager
        cls.overdue = cls.inv_overdue | cls.inv_partial  # 1,000 + 350 open
        cls.Plan = cls.env["ar.payment.plan"]
        # an overdue invoice already proposed for a plan
        cls.inv_busy = cls._ar_invoice(cls.customer, 120.0, days_overdue=8)
        cls.inv_busy_plan = cls.Plan._ar_portal_propose(cls.customer_contact, cls.inv_busy, cls.today, count=1)

    @classmethod
    def tearDownClass(cls):
        bad = [label for label, accepted_bad in RESULTS if accepted_bad]
        record("portal hostile input: payment plans", inputs=len(RESULTS), accepted_bad=len(bad))
        bad = [label for label, accepted_bad in RPC_RESULTS if accepted_bad]
        record("portal hostile input: payment plans through JSON-RPC", inputs=len(RPC_RESULTS), accepted_bad=len(bad))
        super().tearDownClass()

    def _form(self, **changes):
        data = {"invoice_ids": [str(self.inv_overdue.id)], "mode": "equal", "count": "3",
                "first_date": fields.Date.to_string(self.today + timedelta(days=7)), "frequency": "monthly",
                "amounts": ""}
        data.update({key: value(self) if callable(value) else value for key, value in changes.items()})
        return data

    def _written(self):
        self.env.flush_all()
        self.env.invalidate_all()
        return (self.Plan.search_count([]), self.env["ar.payment.plan.line"].search_count([]),
                self.env["mail.activity"].search_count([]), self.env["mail.message"].search_count([]))

    def test_propose_from_statement(self):
        self._ar_login()
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        button = statement.xpath("//button[contains(@class, 'o_ar_plan_propose')]")
        self.assertEqual(button[0].get("formaction"), "/my/statement/plan", "the ticked invoices go to the plan form")
        page = self.url_open(f"/my/statement/plan?invoice_ids={self.inv_overdue.id}&invoice_ids={self.inv_partial.id}")
        tree = lxml_html.fromstring(page.text)
        self.assertEqual({int(value) for value in tree.xpath("//input[@name='invoice_ids'][@checked]/@value")},
                         set(self.overdue.ids))
        self.assertNotIn(str(self.inv_busy.id), tree.xpath("//input[@name='invoice_ids']/@value"),
                         "an invoice already in a plan is not offered")
        self.assertIn("At most 12 instalments", " ".join(tree.xpath("//div[contains(@class, 'o_ar_plan_limits')]//text()")))
        response = self._ar_post("/my/statement/plan/submit", self._form(
            invoice_ids=[str(i) for i in self.overdue.ids], mode="amounts", amounts="350.00\n500\n500,00",
            frequency="biweekly"))
        location = urlsplit(response.headers["Location"])
        self.assertEqual((response.status_code, location.path, location.query), (303, "/my/statement", "ar_done=plan"))
        plan = self.Plan.search([("invoice_ids", "in", self.inv_overdue.ids)])
        first = self.today + timedelta(days=7)
        self.assertEqual((plan.state, plan.proposer_id, plan.partner_id),
                         ("to_approve", self.customer_contact, self.customer))
        self.assertEqual([(line.date, line.amount) for line in plan.line_ids],
                         [(first, 350.0), (first + timedelta(weeks=2), 500.0), (first + timedelta(weeks=4), 500.0)])
        self.assertEqual(plan.activity_ids.user_id, self.user_ar_manager, "the approval goes to the back office")
        statement = lxml_html.fromstring(self.url_open("/my/statement?ar_done=plan").text)
        self.assertTrue(statement.xpath("//div[contains(@class, 'o_ar_plan_done')]"))
        shown = statement.xpath(f"//div[@data-plan-id='{plan.id}']")[0]
        self.assertEqual(shown.get("data-state"), "to_approve")
        self.assertEqual(len(shown.xpath(".//tr[contains(@class, 'o_ar_plan_line')]")), 3)
        self.assertFalse(shown.xpath(".//a[contains(@class, 'o_ar_plan_pay')]"), "nothing to pay before approval")

    @mute_logger("odoo.http")
    def test_hostile_proposals(self):
        self._ar_login()
        csrf = self._ar_csrf()
        failures = []

        def check(label, ok, detail):
            RESULTS.append((label, not ok))
            if not ok:
                failures.append(f"{label}: {detail}")

        for label, changes, message in PLAN_CASES:
            before = self._written()
            response = self.url_open("/my/statement/plan/submit", data={**self._form(**changes), "csrf_token": csrf},
                                     allow_redirects=False)
            errors = lxml_html.fromstring(response.text).xpath("//div[contains(@class, 'o_ar_plan_error')]//text()") \
                if response.status_code == 400 else []
            check(label, response.status_code == 400 and message in " ".join(errors) and self._written() == before,
                  f"status {response.status_code}, {' '.join(errors)[:200]!r}")
        before = self._written()
        response = self.url_open("/my/statement/plan/submit", data=self._form(), allow_redirects=False)
        check("without CSRF token", response.status_code == 400 and self._written() == before, response.status_code)
        response = self.url_open("/my/statement/plan/submit", allow_redirects=False)
        check("GET on the submit route", response.status_code == 405, response.status_code)
        self.authenticate(None, None)
        response = self.url_open("/my/statement/plan/submit", data=self._form(), allow_redirects=False)
        check("not logged in", response.status_code in (302, 303, 400) and self._written() == before,
              response.status_code)
        self.assertFalse(failures, "hostile proposals accepted:\n" + "\n".join(failures))
        self.assertEqual({label for label, _bad in RESULTS},
                         {label for label, *_rest in PLAN_CASES} | set(OTHER_CASES), "every case tried")
        # the same proposal with valid values is accepted: the refusals above are not a broken form
        self._ar_login()
        response = self._ar_post("/my/statement/plan/submit", self._form())
        self.assertEqual(response.status_code, 303)

    @mute_logger("odoo.http")
    def test_hostile_rpc(self):
        """The portal customer reaches plans through the statement's routes only: the web
        client's JSON-RPC on the models is refused and writes nothing."""
        self._ar_login()
        failures = []
        for label, model, method, args, message in RPC_CASES:
            before = self._written()
            response = self.url_open(f"/web/dataset/call_kw/{model}/{method}", data=json.dumps({
                "jsonrpc": "2.0", "method": "call", "id": 0,
                "params": {"model": model, "method": method, "args": args(self), "kwargs": {}}}),
                headers={"Content-Type": "application/json"})
            error = (response.json().get("error") or {}).get("data", {}).get("message", "")
            ok = message in error and self._written() == before
            RPC_RESULTS.append((label, not ok))
            if not ok:
                failures.append(f"{label}: {error or response.text[:200]!r}")
        self.assertFalse(failures, "JSON-RPC accepted:\n" + "\n".join(failures))
        self.assertEqual(self.inv_busy_plan.state, "to_approve")

    def test_instalment_paid_once(self):
        """An instalment whose payment the provider is processing cannot be paid again until it
        is booked; once all are paid, nothing is left to pay."""
        plan = self.Plan._ar_portal_propose(self.customer_contact, self.inv_overdue, self.today, count=2)
        plan.with_user(self.user_ar_manager).action_approve()
        route = f"/my/statement/plan/{plan.id}/transaction"
        self._ar_login()
        Tx = self.env["payment.transaction"].sudo()
        first = Tx.search([("reference", "=", self.make_jsonrpc_request(route, self._tx_params(500.0))["reference"])])
        self.assertEqual(first.amount, 500.0)
        first._set_pending()  # the customer paid, the provider has not confirmed yet
        before = Tx.search_count([])
        self.assertIn("being processed", jsonrpc_error(self, route, self._tx_params(500.0)))
        self.assertEqual(Tx.search_count([]), before, "the same instalment is not paid twice at once")
        self._ar_provider_confirms(first)
        second = Tx.search([("reference", "=", self.make_jsonrpc_request(route, self._tx_params(500.0))["reference"])])
        self._ar_provider_confirms(second)
        plan.invalidate_recordset()
        self.assertEqual((plan.amount_paid, plan.line_ids.mapped("is_paid")), (1000.0, [True, True]))
        self.assertIn("no instalment to pay here", jsonrpc_error(self, route, self._tx_params(500.0)))
        self.assertEqual(self.url_open(f"/my/statement/plan/{plan.id}/pay").status_code, 400)
        self.assertIn(self.inv_overdue.payment_state, ("paid", "in_payment"))

    def _tx_params(self, amount, **values):
        return {"amount": amount, "provider_id": self.provider.id, "payment_method_id": self.payment_method.id,
                "token_id": None, "flow": "direct", "tokenization_requested": False,
                "landing_route": "https://evil.example.com/", "is_validation": False, **values}

    def test_pay_instalments(self):
        plan = self.Plan._ar_portal_propose(self.customer_contact, self.overdue, self.today, count=3)
        plan.with_user(self.user_ar_manager).action_approve()
        other = self.Plan._ar_portal_propose(self.other_customer, self.inv_other, self.today, count=2)
        other.with_user(self.user_ar_manager).action_approve()
        self._ar_login()
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        shown = statement.xpath(f"//div[@data-plan-id='{plan.id}']")[0]
        self.assertEqual(shown.get("data-state"), "active")
        self.assertFalse(statement.xpath(f"//div[@data-plan-id='{other.id}']"), "another customer's plan is not shown")
        pay_url = shown.xpath(".//a[contains(@class, 'o_ar_plan_pay')]/@href")[0]
        self.assertEqual(pay_url, f"/my/statement/plan/{plan.id}/pay")
        form = lxml_html.fromstring(self.url_open(pay_url).text).xpath("//form[@id='o_payment_form']")[0]
        route = form.get("data-transaction-route")
        self.assertEqual((route, float(form.get("data-amount"))), (f"/my/statement/plan/{plan.id}/transaction", 450.0))

        Tx = self.env["payment.transaction"].sudo()
        for amount, message in [(1350.0, "The instalment to pay is"), (449.99, "The instalment to pay is"),
                                ("abc", "not a number")]:
            before = Tx.search_count([])
            self.assertIn(message, jsonrpc_error(self, route, self._tx_params(amount)))
            self.assertEqual(Tx.search_count([]), before, "a refused payment creates no transaction")
        for forged, message in [(f"/my/statement/plan/{other.id}/transaction", "no instalment to pay here"),
                                (f"/my/statement/plan/{self.Plan.search([('state', '=', 'to_approve')], limit=1).id}"
                                 "/transaction", "no instalment to pay here")]:
            self.assertIn(message, jsonrpc_error(self, forged, self._tx_params(450.0)))
        self.assertIn("not whitelisted", jsonrpc_error(self, route, self._tx_params(
            450.0, invoice_ids=[self.inv_other.id])), "no invoice can be added to the instalment's")
        self.assertEqual(self.url_open(f"/my/statement/plan/{other.id}/pay").status_code, 400)

        processing = self.make_jsonrpc_request(route, self._tx_params("450.00"))
        tx = Tx.search([("reference", "=", processing["reference"])])
        self.assertEqual((tx.amount, tx.invoice_ids, tx.partner_id), (450.0, self.overdue, self.customer_contact))
        self.assertEqual(tx.landing_route, "/my/statement")
        self._ar_provider_confirms(tx)
        self.assertEqual(tx.payment_id.amount, 450.0, "exactly the instalment, nothing more")
        plan.invalidate_recordset()
        self.assertEqual(plan.amount_paid, 450.0)
        self.assertEqual(plan.line_ids.mapped("is_paid"), [True, False, False])
        self.assertEqual(plan._ar_next_line(), plan.line_ids[1])
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        shown = statement.xpath(f"//div[@data-plan-id='{plan.id}']")[0]
        self.assertEqual(len(shown.xpath(".//span[contains(@class, 'o_ar_plan_paid')]")), 1)

    def test_planned_invoices_left_out_of_pay_all_overdue(self):
        plan = self.Plan._ar_portal_propose(self.customer_contact, self.inv_overdue, self.today, count=2)
        plan.with_user(self.user_ar_manager).action_approve()
        self._ar_login()
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        group = statement.xpath(f"//section[@data-currency='{self.company.currency_id.name}']")[0]
        row = group.xpath(f".//tr[@data-move-id='{self.inv_overdue.id}']")[0]
        self.assertEqual(row.get("data-status"), "plan")
        self.assertEqual(" ".join(row.xpath(".//span[contains(@class, 'badge')]//text()")).strip(), "In payment plan")
        self.assertNotIn("table-danger", row.get("class"), "paid by instalments, not shown as plain overdue")
        # a plan waiting for approval changes nothing: its invoice is chased (and paid) as before
        self.assertEqual(group.xpath(f".//tr[@data-move-id='{self.inv_busy.id}']/@data-status"), ["overdue"])
        pay_all = group.xpath(".//a[contains(@class, 'o_ar_pay_overdue')]")[0]
        self.assertIn("470.00", pay_all.text_content(), "120.00 + 350.00, not the plan's 1,000.00")
        pay_page = lxml_html.fromstring(self.url_open(pay_all.get("href")).text)
        self.assertEqual({int(move_id) for move_id in pay_page.xpath("//tr[contains(@class, 'o_ar_pay_invoice')]/@data-move-id")},
                         set((self.inv_busy | self.inv_partial).ids))
        form = pay_page.xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(float(form.get("data-amount")), 470.0)
        # the plan's invoice is paid by its instalments
        pay_url = statement.xpath(f"//div[@data-plan-id='{plan.id}']//a[contains(@class, 'o_ar_plan_pay')]/@href")[0]
        form = lxml_html.fromstring(self.url_open(pay_url).text).xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(float(form.get("data-amount")), 500.0)
        # the PDF statement says the same
        report = lxml_html.fromstring(self.env["ir.actions.report"]._render_qweb_html(
            "ar_collections_portal.action_report_ar_statement", self.customer.ids)[0])
        self.assertEqual(report.xpath(f"//tr[@data-move-id='{self.inv_overdue.id}']/@data-status"), ["plan"])
