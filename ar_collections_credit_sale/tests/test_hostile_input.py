"""Hostile inputs on the back office of ar_collections_credit: credit releases (amount,
expiry, order, reason, who requests and who approves), credit limits and holds of
customers, and the company's credit settings.

Each case is what a careless user, a user of another company or a crafted JSON-RPC call
could send. A case passes when it is refused with an error a user understands (its class
and part of its sentence are checked) AND nothing was written: each case runs the way
one request does (undone when it fails) inside a savepoint of its own, and the records it
could touch are compared before and after. ``HOSTILE_CASES`` lists every case by label;
``RESULTS`` collects what each run saw; the totals go to the run summary (tried /
accepted-bad) when the class ends.
"""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections.tests.hostile_catalogue import (
    FAR_FUTURE,
    INF,
    NAN,
    NOT_A_NUMBER,
    SCRIPT,
    SCRIPT_ESCAPED,
    ArHostileCatalogue,
)

from .common import ArCreditSaleCommon


def days(offset):
    return lambda t: t.today + timedelta(days=offset)


# Credit releases a salesperson creates and requests for Overdue Industries: (label, changes, error, message)
RELEASE_CASES = [
    ("amount zero", {"amount": 0.0}, ValidationError, "needs a positive amount"),
    ("negative amount", {"amount": -500.0}, ValidationError, "needs a positive amount"),
    # refused by Odoo's conversion of the typed amount (rounded to the currency), before any constraint
    ("amount NaN", {"amount": NAN}, ValueError, "cannot convert float NaN"),
    ("amount infinite", {"amount": INF}, OverflowError, "cannot convert float infinity"),
    ("valid until yesterday", {"expiry_date": days(-1)}, ValidationError, "that date is past"),
    ("valid for two years", {"expiry_date": days(730)}, ValidationError, "a year at most"),
    ("valid until 9999-12-31", {"expiry_date": lambda t: FAR_FUTURE}, ValidationError, "a year at most"),
    ("no reason", {"reason": False}, ValidationError, "Say why"),
    ("reason of spaces", {"reason": "  \n "}, ValidationError, "Say why"),
    ("contact instead of the customer's company", {"partner_id": lambda t: t.customer_contact.id},
     ValidationError, "for the customer's company"),
    ("customer of company B only", {"partner_id": lambda t: t.customer_b.id}, AccessError,
     "Contact (res.partner)"),
    ("release in company B", {"company_id": lambda t: t.company_b.id}, AccessError, "Credit Release"),
    ("order of another customer", {"sale_order_id": lambda t: t.other_order.id}, ValidationError,
     "is an order of Punctual Partners"),
    ("cancelled order", {"sale_order_id": lambda t: t.cancelled_order.id}, ValidationError,
     "is cancelled"),
]
# Who moves a release on, and how
WORKFLOW_CASES = [
    "approved by the Credit Manager who requested it",
    "approved by a salesperson",
    "approved by a collections user",
    "approved by a Credit Manager of company B",
    "approved while still a draft",
    "approved after it expired",
    "created already approved by a salesperson",
    "state written by the salesperson",
    "approver written by the salesperson",
    "amount of an approved release raised by its requester",
    "request of another salesperson changed",
    "refused by a salesperson",
    "cancelled by another salesperson",
]

# Credit limits a Credit Manager types for Overdue Industries (the ORM's typed write): (label, value, error, message)
LIMIT_CASES = [
    ("negative", -1.0, ValidationError, "cannot be negative"),
    ("NaN", NAN, ValidationError, NOT_A_NUMBER),
    ("infinite", INF, ValidationError, NOT_A_NUMBER),
    ("'abc'", "abc", ValueError, "could not convert string to float"),
    ("'1e309'", "1e309", ValidationError, NOT_A_NUMBER),
    ("a list", [1000.0], TypeError, "float() argument must be"),
]
# Who may change limits and holds
LIMIT_ACCESS_CASES = [
    "credit limit changed by a salesperson",
    "credit limit changed by a collections user",
    "credit limit of company B changed by a Credit Manager of company A",
    "credit hold without a reason",
    "credit hold set by a salesperson",
    "credit hold lifted by a collections user",
]

# Limits per risk type and overdue tolerance a Credit Manager types for Overdue Industries:
# (label, values, error, message)
TERMS_CASES = [
    ("negative limit on open invoices", {"ar_credit_limit_open": -1.0}, ValidationError,
     "must be a positive amount or 0"),
    ("limit on draft invoices NaN", {"ar_credit_limit_draft": NAN}, ValidationError, "must be a positive amount or 0"),
    ("infinite limit on orders", {"ar_credit_limit_orders": INF}, ValidationError, "must be a positive amount or 0"),
    ("limit on overdue invoices -1e308", {"ar_credit_limit_overdue": -1e308}, ValidationError,
     "must be a positive amount or 0"),
    ("overdue tolerance of -5 days", {"ar_credit_overdue_tolerance_days": -5}, ValidationError, "between 0 and"),
    ("overdue tolerance of a million days", {"ar_credit_overdue_tolerance_days": 1_000_000}, ValidationError,
     "between 0 and"),
    ("overdue tolerance of days beyond 32 bits", {"ar_credit_overdue_tolerance_days": 10**10}, ValidationError,
     "between 0 and"),
    ("negative overdue tolerance amount", {"ar_credit_overdue_tolerance_amount": -100.0}, ValidationError,
     "must be a positive amount or 0"),
    ("overdue tolerance amount NaN", {"ar_credit_overdue_tolerance_amount": NAN}, ValidationError,
     "must be a positive amount or 0"),
]
# Who may change the limits per risk type and the tolerance, and approve suggested limits
TERMS_ACCESS_CASES = [
    "limit per risk type changed by a salesperson",
    "overdue tolerance changed by a collections user",
    "limit per risk type of company B changed by a Credit Manager of company A",
    "suggested limits reviewed by a salesperson",
    "suggested limits approved by a collections user",
    "suggested limit applied by a salesperson from the customer",
    "suggested limit of 0 (no limit) approved for a customer never scored",
]

# Credit settings of the company saved by an administrator: (label, values, error, message)
SETTINGS_CASES = [
    ("hold after -1 day overdue", {"ar_credit_overdue_days": -1}, ValidationError, "cannot be negative"),
    ("hold after a million days overdue", {"ar_credit_overdue_days": 1_000_000}, ValidationError, "at most"),
    ("hold after days overdue beyond 32 bits", {"ar_credit_overdue_days": 10**10}, ValidationError, "at most"),
    ("review every 0 months", {"ar_credit_review_months": 0}, ValidationError, "every month"),
    ("review every million months", {"ar_credit_review_months": 1_000_000}, ValidationError, "at most"),
    ("review when the score drops by 0", {"ar_credit_review_drop": 0}, ValidationError, "between 1 and 100"),
    ("review when the score drops by 101", {"ar_credit_review_drop": 101}, ValidationError, "between 1 and 100"),
    ("negative default credit limit", {"account_default_credit_limit": -1.0}, ValidationError,
     "cannot be negative"),
    ("default credit limit NaN", {"account_default_credit_limit": NAN}, ValueError, "cannot convert float NaN"),
    ("credit manager who is a portal user", {"ar_credit_manager_id": lambda t: t.portal_user.id},
     ValidationError, "not a Credit Manager"),
    ("credit manager who is a salesperson", {"ar_credit_manager_id": lambda t: t.salesman.id},
     ValidationError, "not a Credit Manager"),
]

# Through JSON-RPC (/web/dataset/call_kw): (label, login, model, method, args, error name, message)
RPC_CASES = [
    ("portal user requests a credit release", "ar_portal", "ar.credit.release", "create",
     lambda t: [t._rpc_release()], "AccessError", "not allowed to create"),
    ("portal user raises their credit limit", "ar_portal", "res.partner", "write",
     lambda t: [t.customer.ids, {"credit_limit": 1e9}], "AccessError", "Only a Credit Manager"),
    ("billing clerk requests a credit release", "ar_billing", "ar.credit.release", "create",
     lambda t: [t._rpc_release()], "AccessError", "not allowed to create"),
    ("billing clerk raises a credit limit", "ar_billing", "res.partner", "write",
     lambda t: [t.customer.ids, {"credit_limit": 1e9}], "AccessError", "Only a Credit Manager"),
    ("billing clerk lifts a credit hold", "ar_billing", "res.partner", "action_ar_lift_credit_hold",
     lambda t: [t.customer.ids], "AccessError", "Only a Credit Manager"),
    ("salesperson approves their request", "ar_salesman", "ar.credit.release", "action_approve",
     lambda t: [t.requested.ids], "AccessError", "Only a Credit Manager"),
    ("salesperson writes their request approved", "ar_salesman", "ar.credit.release", "write",
     lambda t: [t.requested.ids, {"state": "approved"}], "AccessError", "Use the release's buttons"),
    ("salesperson saves the credit settings", "ar_salesman", "res.config.settings", "create",
     lambda t: [{"ar_credit_overdue_days": 0}], "AccessError", "not allowed to create"),
    ("release amount 'abc'", "ar_salesman", "ar.credit.release", "create",
     lambda t: [t._rpc_release(amount="abc")], "ValueError", "could not convert string to float"),
    # refused by Odoo's conversion of the typed amount (rounded to the currency), before any constraint
    ("release amount '1e309'", "ar_salesman", "ar.credit.release", "create",
     lambda t: [t._rpc_release(amount="1e309")], "OverflowError", "cannot convert float infinity"),
    ("release amount 'NaN'", "ar_salesman", "ar.credit.release", "create",
     lambda t: [t._rpc_release(amount="NaN")], "ValueError", "cannot convert float NaN"),
    # create() hands date strings to PostgreSQL as they are, which refuses them
    ("release valid until 2026-13-45", "ar_salesman", "ar.credit.release", "create",
     lambda t: [t._rpc_release(expiry_date="2026-13-45")], "DatetimeFieldOverflow", "out of range"),
    ("release valid until a list", "ar_salesman", "ar.credit.release", "create",
     lambda t: [t._rpc_release(expiry_date=["2026-01-01"])], "TypeError", "must be str"),
    ("credit limit 'abc'", "ar_credit_mgr", "res.partner", "write",
     lambda t: [t.customer.ids, {"credit_limit": "abc"}], "ValueError", "could not convert string to float"),
    ("credit limit 'NaN'", "ar_credit_mgr", "res.partner", "write",
     lambda t: [t.customer.ids, {"credit_limit": "NaN"}], "ValidationError", NOT_A_NUMBER),
    ("credit limit '1e309'", "ar_credit_mgr", "res.partner", "write",
     lambda t: [t.customer.ids, {"credit_limit": "1e309"}], "ValidationError", NOT_A_NUMBER),
    ("billing clerk sets a limit per risk type", "ar_billing", "res.partner", "write",
     lambda t: [t.customer.ids, {"ar_credit_limit_open": 1e9}], "AccessError", "Only a Credit Manager"),
    ("salesperson applies a suggested limit", "ar_salesman", "res.partner", "action_ar_credit_apply_suggested_limit",
     lambda t: [t.customer.ids], "AccessError", "Only a Credit Manager"),
    ("salesperson opens the review of suggested limits", "ar_salesman", "ar.credit.limit.review", "create",
     lambda t: [{}], "AccessError", "not allowed to create"),
    ("overdue tolerance 'abc' days", "ar_credit_mgr", "res.partner", "write",
     lambda t: [t.customer.ids, {"ar_credit_overdue_tolerance_days": "abc"}], "ValueError", "invalid literal"),
    ("limit on open invoices 'NaN'", "ar_credit_mgr", "res.partner", "write",
     lambda t: [t.customer.ids, {"ar_credit_limit_open": "NaN"}], "ValidationError",
     "must be a positive amount or 0"),
]

# Accepted inputs that must come out harmless
SAFE_CASES = [
    "credit limit of 10^300: stored, an order is checked against it",
    "script in the release reason: escaped in the approval request and on the customer's chatter",
    "script in the credit hold reason: plain text in the message that blocks an order",
    "release reason of 10,000 characters: stored whole and in the approval request",
]

HOSTILE_CASES = (
    [f"credit release: {label}" for label, *_rest in RELEASE_CASES]
    + [f"credit release: {label}" for label in WORKFLOW_CASES]
    + [f"credit limit: {label}" for label, *_rest in LIMIT_CASES]
    + [f"credit limit: {label}" for label in LIMIT_ACCESS_CASES]
    + [f"credit terms: {label}" for label, *_rest in TERMS_CASES]
    + [f"credit terms: {label}" for label in TERMS_ACCESS_CASES]
    + [f"credit settings: {label}" for label, *_rest in SETTINGS_CASES]
    + [f"JSON-RPC: {label}" for label, *_rest in RPC_CASES]
    + SAFE_CASES
)
# Per customer and company, what the forms above could change
TERMS_FIELDS = ("credit_limit", "ar_credit_limit_open", "ar_credit_limit_draft", "ar_credit_limit_orders",
                "ar_credit_limit_overdue", "ar_credit_overdue_tolerance_days", "ar_credit_overdue_tolerance_amount")
# (label, accepted-bad) of every hostile input tried, in order
RESULTS = []


@tagged("post_install", "-at_install")
class TestCreditHostileInput(ArHostileCatalogue, ArCreditSaleCommon, HttpCase):
    """The hostile-input catalogue of the credit back office: each case is refused with a
    clear error and writes nothing."""

    catalogue_source = "back-office hostile input: ar_collections_credit"
    catalogue_results = RESULTS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="AR Credit Hostile B")["company"]
        cls.customer_b = cls.env["res.partner"].create({
            "name": "Company B Only Ltd", "is_company": True, "company_id": cls.company_b.id})
        cls.credit_manager_b = new_test_user(
            cls.env, "ar_credit_mgr_b", groups="base.group_user,ar_collections_credit.group_ar_credit_manager",
            company_id=cls.company_b.id, company_ids=[Command.set(cls.company_b.ids)])
        cls.unscored = cls.env["res.partner"].create({"name": "Never Scored Ltd", "is_company": True})
        cls._set_limit(cls.unscored, 800.0)
        cls.other_order = cls._order(cls.other_customer)
        cls.cancelled_order = cls._order(cls.customer)
        cls.cancelled_order._action_cancel()
        # requested by the salesperson and by the first Credit Manager, waiting for approval
        cls.requested = cls.env["ar.credit.release"].with_user(cls.salesman).create(cls._release_values())
        cls.requested.action_request()
        cls.requested_by_manager = cls.env["ar.credit.release"].with_user(cls.credit_manager).create(
            cls._release_values())
        cls.requested_by_manager.action_request()

    @classmethod
    def _release_values(cls, **values):
        return {"partner_id": cls.customer.id, "amount": 500.0, "reason": "Big seasonal order, paid by transfer",
                "expiry_date": cls.today + timedelta(days=7), **values}

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _read_counts(self, env):
        partners = env["res.partner"].browse(
            (self.customer | self.other_customer | self.customer_b | self.unscored).ids)
        companies = env["res.company"].browse((self.company | self.company_b).ids)
        default_limit = env["res.partner"]._fields["credit_limit"].get_company_dependent_fallback(env["res.partner"])
        return {
            "releases": [(r.id, r.state, r.amount, r.expiry_date, r.approved_by_id.id, r.partner_id.id,
                          r.sale_order_id.id, r.reason) for r in env["ar.credit.release"].search([])],
            "customers": [(p.id, p.ar_credit_hold, p.ar_credit_hold_reason, p.ar_dunning_hold,
                           *[tuple(p.with_company(c)[field] for field in TERMS_FIELDS) for c in companies])
                          for p in partners],
            "companies": [(c.id, c.ar_credit_overdue_days, c.ar_credit_review_months, c.ar_credit_review_drop,
                           c.ar_credit_manager_id.id) for c in companies],
            "default credit limit": default_limit,
            "messages": env["mail.message"].search_count([]),
            "activities": env["mail.activity"].search_count([]),
        }

    def _rpc_release(self, **values):
        return {"partner_id": self.customer.id, "amount": 500, "reason": "Big order",
                "expiry_date": fields.Date.to_string(self.today + timedelta(days=7)), **values}

    # ------------------------------------------------------------------
    # Credit releases
    # ------------------------------------------------------------------

    def _request(self, values, user=None):
        release = self.env["ar.credit.release"].with_user(user or self.salesman).create(values)
        release.action_request()
        return release

    def test_release_values(self):
        for label, changes, error, message in RELEASE_CASES:
            values = {**self._release_values(), **{key: self._resolve(value) for key, value in changes.items()}}
            self._attack(f"credit release: {label}", lambda v=values: self._request(v), error, message)
        self._assert_no_failures()
        # the same request with valid values goes through: the refusals above are not a broken form
        order = self._order(self.customer)
        self.assertEqual(self._request(self._release_values(sale_order_id=order.id)).state, "requested")

    def test_release_workflow(self):
        Release = self.env["ar.credit.release"]
        segregation, only_managers = "segregation of duties", "Only a Credit Manager"
        self._attack("credit release: approved by the Credit Manager who requested it",
                     self.requested_by_manager.with_user(self.credit_manager).action_approve, AccessError,
                     segregation)
        self._attack("credit release: approved by a salesperson",
                     self.requested.with_user(self.salesman_2).action_approve, AccessError, only_managers)
        self._attack("credit release: approved by a collections user",
                     self.requested.with_user(self.user_collector).action_approve, AccessError, only_managers)
        self._attack("credit release: approved by a Credit Manager of company B",
                     self.requested.with_user(self.credit_manager_b).action_approve, AccessError,
                     "multi-company issue")
        draft = Release.with_user(self.salesman).create(self._release_values())
        self._attack("credit release: approved while still a draft",
                     draft.with_user(self.credit_manager).action_approve, UserError, "cannot be approved")

        def approve_next_week():
            with freeze_time(self.today + timedelta(days=8)):
                self.requested.with_user(self.credit_manager).action_approve()
        self._attack("credit release: approved after it expired", approve_next_week, UserError, "expired on")
        self._attack("credit release: created already approved by a salesperson",
                     lambda: Release.with_user(self.salesman).create(self._release_values(
                         state="approved", approved_by_id=self.credit_manager.id)),
                     AccessError, "starts as a draft")
        mine = self.requested.with_user(self.salesman)
        self._attack("credit release: state written by the salesperson", lambda: mine.write({"state": "approved"}),
                     AccessError, "Use the release's buttons")
        self._attack("credit release: approver written by the salesperson",
                     lambda: mine.write({"approved_by_id": self.credit_manager.id}), AccessError,
                     "Use the release's buttons")
        approved = self._release(self.customer, 300.0)
        self._attack("credit release: amount of an approved release raised by its requester",
                     lambda: approved.with_user(self.salesman).write({"amount": 30000.0}), UserError,
                     "can no longer be changed")
        self._attack("credit release: request of another salesperson changed",
                     lambda: self.requested.with_user(self.salesman_2).write({"amount": 30000.0}), AccessError,
                     "Credit Release")
        self._attack("credit release: refused by a salesperson",
                     self.requested.with_user(self.salesman_2).action_refuse, AccessError, only_managers)
        self._attack("credit release: cancelled by another salesperson",
                     self.requested.with_user(self.salesman_2).action_cancel, AccessError,
                     "Only the requester or a Credit Manager")
        self._assert_no_failures()
        # the right people do move it on
        self.requested.with_user(self.credit_manager_2).action_approve()
        self.assertEqual(self.requested.state, "approved")

    # ------------------------------------------------------------------
    # Credit limits and holds
    # ------------------------------------------------------------------

    def test_credit_limits_and_holds(self):
        customer = self.customer.with_user(self.credit_manager)
        for label, value, error, message in LIMIT_CASES:
            self._attack(f"credit limit: {label}", lambda v=value: customer.write({"credit_limit": v}),
                         error, message)
        only_managers = "Only a Credit Manager"
        self._attack("credit limit: credit limit changed by a salesperson",
                     lambda: self.customer.with_user(self.salesman).write({"credit_limit": 1e6}), AccessError,
                     only_managers)
        self._attack("credit limit: credit limit changed by a collections user",
                     lambda: self.customer.with_user(self.user_collector).write({"credit_limit": 1e6}), AccessError,
                     only_managers)
        self._attack("credit limit: credit limit of company B changed by a Credit Manager of company A",
                     lambda: self.customer.with_user(self.credit_manager).with_company(self.company_b).write(
                         {"credit_limit": 1e6}), AccessError, "unauthorized or invalid companies")
        self._attack("credit limit: credit hold without a reason",
                     lambda: customer.write({"ar_credit_hold": True, "ar_credit_hold_reason": " "}), ValidationError,
                     "Say why")
        self._attack("credit limit: credit hold set by a salesperson",
                     lambda: self.customer.with_user(self.salesman).write({
                         "ar_credit_hold": True, "ar_credit_hold_reason": "Competitor"}), AccessError, only_managers)
        customer.write({"ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filing"})
        self._attack("credit limit: credit hold lifted by a collections user",
                     self.customer.with_user(self.user_collector).action_ar_lift_credit_hold, AccessError,
                     only_managers)
        self._assert_no_failures()
        customer.write({"credit_limit": 2500.0})
        self.assertEqual(self.customer.credit_limit, 2500.0)

    def test_huge_credit_limit(self):
        # a finite limit, however large, is a limit: stored as typed, orders are checked against it
        self.customer.with_user(self.credit_manager).write({"credit_limit": 1e300})
        order = self._order(self.customer, qty=1000)
        order.with_user(self.salesman).action_confirm()
        self.env.invalidate_all()
        self._record("credit limit of 10^300: stored, an order is checked against it",
                     self.customer.credit_limit == 1e300 and order.state == "sale"
                     and self.customer.ar_credit_available > 0, f"{self.customer.credit_limit} {order.state}")
        self._assert_no_failures()

    # ------------------------------------------------------------------
    # Limits per risk type, overdue tolerance, suggested limits
    # ------------------------------------------------------------------

    def test_credit_terms(self):
        customer = self.customer.with_user(self.credit_manager)
        for label, values, error, message in TERMS_CASES:
            self._attack(f"credit terms: {label}", lambda v=values: customer.write(v), error, message)
        only_managers = "Only a Credit Manager"
        self._attack("credit terms: limit per risk type changed by a salesperson",
                     lambda: self.customer.with_user(self.salesman).write({"ar_credit_limit_orders": 1e6}),
                     AccessError, only_managers)
        self._attack("credit terms: overdue tolerance changed by a collections user",
                     lambda: self.customer.with_user(self.user_collector).write(
                         {"ar_credit_overdue_tolerance_days": 365}), AccessError, only_managers)
        self._attack("credit terms: limit per risk type of company B changed by a Credit Manager of company A",
                     lambda: self.customer.with_user(self.credit_manager).with_company(self.company_b).write(
                         {"ar_credit_limit_open": 1e6}), AccessError, "unauthorized or invalid companies")
        Review = self.env["ar.credit.limit.review"]
        self._attack("credit terms: suggested limits reviewed by a salesperson",
                     lambda: Review.with_user(self.salesman).create({}), AccessError, "not allowed to create")
        review = Review.with_user(self.credit_manager).with_context(
            active_model="res.partner", active_ids=self.customer.ids).create({})
        self._attack("credit terms: suggested limits approved by a collections user",
                     review.with_user(self.user_collector).action_apply, AccessError, "not allowed to access")
        self._attack("credit terms: suggested limit applied by a salesperson from the customer",
                     self.customer.with_user(self.salesman).action_ar_credit_apply_suggested_limit, AccessError,
                     only_managers)
        unscored = Review.with_user(self.credit_manager).with_context(
            active_model="res.partner", active_ids=self.unscored.ids).create({})
        unscored.line_ids.selected = True
        self._attack("credit terms: suggested limit of 0 (no limit) approved for a customer never scored",
                     unscored.action_apply, UserError, "no suggested limit for Never Scored Ltd")
        self._assert_no_failures()
        # a Credit Manager's valid terms go through
        customer.write({"ar_credit_limit_open": 5000.0, "ar_credit_overdue_tolerance_days": 15})
        self.assertEqual((self.customer.ar_credit_limit_open, self.customer.ar_credit_overdue_tolerance_days),
                         (5000.0, 15))

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------

    def test_settings(self):
        admin = self.env.ref("base.user_admin")
        admin.company_ids = [Command.link(self.company.id)]
        Settings = self.env["res.config.settings"].with_user(admin).with_company(self.company)
        for label, values, error, message in SETTINGS_CASES:
            values = {key: self._resolve(value) for key, value in values.items()}
            self._attack(f"credit settings: {label}", lambda v=values: Settings.create(v).execute(), error, message)
        self._assert_no_failures()
        Settings.create({"ar_credit_overdue_days": 90, "ar_credit_manager_id": self.credit_manager_2.id}).execute()
        self.assertEqual((self.company.ar_credit_overdue_days, self.company.ar_credit_manager_id),
                         (90, self.credit_manager_2))

    # ------------------------------------------------------------------
    # JSON-RPC
    # ------------------------------------------------------------------

    @mute_logger("odoo.http", "odoo.sql_db")
    def test_json_rpc(self):
        for label, login, model, method, args, error, message in RPC_CASES:
            self._rpc_attack(label, login, model, method, args(self), error, message)
        self._assert_no_failures()
        # a salesperson's valid request goes through: the refusals above are not a broken route
        self.authenticate("ar_salesman", "ar_salesman")
        release_id = self.make_jsonrpc_request("/web/dataset/call_kw/ar.credit.release/create", {
            "model": "ar.credit.release", "method": "create", "args": [self._rpc_release()], "kwargs": {}})
        self.assertEqual(self.env["ar.credit.release"].browse(release_id).state, "draft")

    # ------------------------------------------------------------------
    # Accepted inputs that must come out harmless
    # ------------------------------------------------------------------

    def test_text_is_stored_as_text_and_escaped(self):
        release = self._request(self._release_values(reason=SCRIPT))
        note = release.activity_ids[:1].note or ""  # the approval request (done once approved)
        request_safe = release.reason == SCRIPT and SCRIPT_ESCAPED in note and "<script" not in note
        release.with_user(self.credit_manager).action_approve()
        message = self.customer.message_ids[:1]
        safe = request_safe and SCRIPT_ESCAPED in message.body and "<script" not in message.body
        self._record("script in the release reason: escaped in the approval request and on the customer's chatter",
                     safe, f"{note!r} / {message.body!r}")
        self.customer.with_user(self.credit_manager).write({"ar_credit_hold": True, "ar_credit_hold_reason": SCRIPT})
        order = self._order(self.customer)
        try:
            order.with_user(self.salesman).action_confirm()
            error = ""
        except UserError as exc:
            error = str(exc)
        self._record("script in the credit hold reason: plain text in the message that blocks an order",
                     f"on credit hold ({SCRIPT})" in error and order.state == "draft", error)
        # the reason is the requester's argument: no length limit, kept whole for the Credit Manager
        long_reason = "Seasonal order, paid by transfer. " * 300
        long_release = self._request(self._release_values(reason=long_reason))
        self._record("release reason of 10,000 characters: stored whole and in the approval request",
                     long_release.reason == long_reason and long_reason in long_release.activity_ids[:1].note,
                     len(long_release.reason or ""))
        self._assert_no_failures()

    def test_zz_catalogue_is_complete(self):
        """Every case of HOSTILE_CASES was tried by the tests above (named to run last)."""
        self._assert_catalogue_complete(HOSTILE_CASES)
