"""Hostile inputs on the back office of ar_collections: every wizard (log a call, assign
collectors, aging as of a date, preview of a reminder run) and every record users create
from buttons (disputes, promises to pay, payment plans and their instalments, dunning
policies and levels, the company's settings, a customer's "do not chase" fields).

Each case is what a careless user, a user of another company or a crafted JSON-RPC call
could send. A case passes when it is refused with an error a user understands (its class
and part of its sentence are checked) AND nothing was written: each case runs the way
one request does (undone when it fails) inside a savepoint of its own, and the records it
could touch are compared before and after. ``HOSTILE_CASES`` lists every case by label;
``RESULTS`` collects what each run saw; the totals go to the run summary (tried /
accepted-bad) when the class ends.
"""

from datetime import date, timedelta

from psycopg2.errors import NumericValueOutOfRange

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon
from odoo.addons.ar_collections.tests.hostile_catalogue import (
    FAR_FUTURE,
    INF,
    NAN,
    NOT_A_NUMBER,
    PDF,
    SCRIPT,
    SCRIPT_ESCAPED,
    ArHostileCatalogue,
)


def invoices(*names):
    """``invoice_ids`` of the test's invoices ``names`` (attributes of the test)."""
    return lambda t: [Command.set([getattr(t, name).id for name in names])]


def days(offset):
    return lambda t: t.today + timedelta(days=offset)


# Invoices that are not open customer invoices of the customer: (label, invoices, error class, message)
WRONG_INVOICES = [
    ("vendor bill of the customer", invoices("vendor_bill"), ValidationError, "Only posted customer invoices"),
    ("draft invoice of the customer", invoices("draft_invoice"), ValidationError, "Only posted customer invoices"),
    ("cancelled invoice of the customer", invoices("cancelled_invoice"), ValidationError,
     "Only posted customer invoices"),
    ("credit note of the customer", invoices("refund"), ValidationError, "Only posted customer invoices"),
    ("another customer's invoice", invoices("inv_other"), ValidationError, "are not invoices of Overdue Industries"),
    ("own invoice plus another customer's", invoices("inv_overdue", "inv_other"), ValidationError,
     "are not invoices of Overdue Industries"),
    ("no invoice", lambda t: [Command.clear()], ValidationError, "Choose at least one invoice"),
]
# Refused by Odoo's conversion of the typed value, before any constraint (JSON-RPC only: the
# web client cannot send them)
NAN_ERROR = (ValueError, "cannot convert float NaN")
INF_ERROR = (OverflowError, "cannot convert float infinity")

# Disputes the collector opens on the customer's 1,000.00 overdue invoice: (label, changes, error, message)
DISPUTE_CASES = [
    ("amount zero", {"amount": 0.0}, ValidationError, "must be positive"),
    ("negative amount", {"amount": -5.0}, ValidationError, "must be positive"),
    ("amount NaN", {"amount": NAN}, *NAN_ERROR),
    ("amount infinite", {"amount": INF}, *INF_ERROR),
    ("amount above the open amount", {"amount": 1000.01}, ValidationError, "more than the invoices still have open"),
    ("amount of 10^15", {"amount": 1e15}, ValidationError, "more than the invoices still have open"),
    ("invoices in two currencies", {"invoice_ids": invoices("inv_overdue", "inv_eur"), "amount": 100.0},
     ValidationError, "one currency"),
    ("paid invoice", {"invoice_ids": invoices("paid_invoice"), "amount": 100.0}, ValidationError,
     "more than the invoices still have open"),
    *[(label, {"invoice_ids": value}, error, message) for label, value, error, message in WRONG_INVOICES],
    ("invoice of the customer in company B", {"invoice_ids": invoices("inv_b")}, UserError,
     "belongs to another company"),
    ("filed in company B", {"company_id": lambda t: t.company_b.id, "invoice_ids": invoices("inv_b")},
     AccessError, "Companies (res.company)"),
    ("evidence of an invoice of company B", {"attachment_ids": lambda t: [Command.set(t.attachment_b.ids)]},
     AccessError, "only attach documents you can open yourself"),
]

# Promises the collector records on the customer's 1,000.00 overdue invoice
PROMISE_CASES = [
    ("amount zero", {"amount": 0.0}, ValidationError, "positive amount"),
    ("negative amount", {"amount": -5.0}, ValidationError, "positive amount"),
    ("amount NaN", {"amount": NAN}, *NAN_ERROR),
    ("amount infinite", {"amount": INF}, *INF_ERROR),
    ("amount above the open amount", {"amount": 1000.01}, ValidationError, "more than the invoices have open"),
    ("amount of 10^15", {"amount": 1e15}, ValidationError, "more than the invoices have open"),
    ("negative grace period", {"grace_days": -1}, ValidationError, "grace period cannot be negative"),
    ("grace period of a million days", {"grace_days": 1_000_000}, ValidationError, "at most"),
    ("promised for 9999-12-31", {"promised_date": lambda t: FAR_FUTURE}, ValidationError, "within a year"),
    ("promised in 2 years", {"promised_date": days(730)}, ValidationError, "within a year"),
    *[(label, {"invoice_ids": value, "amount": 50.0}, error, message)
      for label, value, error, message in WRONG_INVOICES],
    ("invoice of the customer in company B", {"invoice_ids": invoices("inv_b")}, AccessError,
     "multi-company issue"),
    ("recorded in company B", {"company_id": lambda t: t.company_b.id, "invoice_ids": invoices("inv_b")},
     AccessError, "multi-company issue"),
]

# Payment plans of the customer's 1,000.00 overdue invoice (instalments: (days from today, amount)),
# created then submitted by the collector
PLAN_CASES = [
    ("instalment of zero", {"line_ids": [(10, 0.0), (40, 1000.0)]}, ValidationError, "positive amount"),
    ("negative instalment", {"line_ids": [(10, -500.0), (40, 1500.0)]}, ValidationError, "positive amount"),
    ("instalment NaN", {"line_ids": [(10, NAN), (40, 500.0)]}, *NAN_ERROR),
    ("instalment infinite", {"line_ids": [(10, INF), (40, 500.0)]}, *INF_ERROR),
    ("instalments above the open amount", {"line_ids": [(10, 500.0), (40, 500.01)]}, UserError, "make them equal"),
    ("instalment of 10^15", {"line_ids": [(10, 1e15)]}, UserError, "make them equal"),
    ("instalment dated yesterday", {"line_ids": [(-1, 500.0), (40, 500.0)]}, UserError, "is in the past"),
    ("instalment dated 9999-12-31", {"line_ids": [(10, 500.0), (FAR_FUTURE, 500.0)]}, ValidationError,
     "at the latest"),
    ("no instalment", {"line_ids": []}, UserError, "Add the instalments"),
    # the company's limits (defaults: 12 instalments, 365 days, a first payment of 10% at least)
    ("13 instalments (12 allowed)", {"line_ids": [(10 + offset, 1000.0 / 13) for offset in range(12)]
                                     + [(30, 1000.0 - 12 * round(1000.0 / 13, 2))]},
     ValidationError, "12 instalments at most"),
    ("last instalment after 365 days", {"line_ids": [(10, 500.0), (366, 500.0)]}, ValidationError,
     "365 days at most"),
    ("first payment below 10%", {"line_ids": [(10, 99.99), (40, 900.01)]}, ValidationError, "at least 10%"),
    ("negative grace period", {"grace_days": -1}, ValidationError, "grace period cannot be negative"),
    ("grace period of a million days", {"grace_days": 1_000_000}, ValidationError, "at most"),
    *[(label, {"invoice_ids": value}, error, message) for label, value, error, message in WRONG_INVOICES],
    ("invoice of the customer in company B", {"invoice_ids": invoices("inv_b")}, AccessError,
     "multi-company issue"),
    ("made in company B", {"company_id": lambda t: t.company_b.id, "invoice_ids": invoices("inv_b")},
     AccessError, "Payment Plan"),
]
# The workflow of a plan, by the collector who made it
PLAN_WORKFLOW_CASES = [
    "approved by the collector who submitted it",
    "created already active",
    "activated by writing its state",
    "approver written by the collector",
    "instalment of an approved plan moved a year later",
    "instalment added to an approved plan",
    "instalment of an approved plan deleted",
    "invoice added to an approved plan",
]

# Dunning levels a collections manager adds to the company's policy: (label, changes, error, message)
EMAIL_AND_SMS = [Command.create({"channel": "email"}), Command.create({"channel": "sms"})]
LEVEL_CASES = [
    ("offset of -366 days", {"offset_days": -366}, ValidationError, "out of range"),
    ("offset of 3,651 days", {"offset_days": 3651}, ValidationError, "out of range"),
    ("offset beyond 32 bits", {"offset_days": 10**10}, NumericValueOutOfRange, "integer out of range"),
    ("offset of an existing level", {"offset_days": 3}, ValidationError, "give each level its own day"),
    ("no channel", {"channel_ids": []}, ValidationError, "sends nothing"),
    ("email without template", {"mail_template_id": False}, ValidationError, "has no email template"),
    ("SMS without template", {"channel_ids": EMAIL_AND_SMS}, ValidationError, "has no SMS template"),
    ("email template of invoices", {"mail_template_id": lambda t: t.move_template.id}, ValidationError,
     "customers (res.partner)"),
    ("SMS template of invoices", {"channel_ids": EMAIL_AND_SMS, "sms_template_id": lambda t: t.move_sms_template.id},
     ValidationError, "customers (res.partner)"),
    ("negative minimum amount", {"min_amount": -1.0}, ValidationError, "cannot be negative"),
    ("minimum amount NaN", {"min_amount": NAN}, ValidationError, NOT_A_NUMBER),
    ("minimum amount infinite", {"min_amount": INF}, ValidationError, NOT_A_NUMBER),
    ("level of company B's policy", {"policy_id": lambda t: t.policy_b.id}, AccessError, "Dunning Policy"),
]
POLICY_CASES = [
    ("policy of company B", {"company_id": lambda t: t.company_b.id}, AccessError, "Dunning Policy"),
]

# Settings of the company saved by an administrator: (label, values, error, message)
SETTINGS_CASES = [
    ("dispute resolution time of 0 days", {"ar_dispute_sla_days": 0}, ValidationError, "at least one day"),
    ("dispute resolution time of a million days", {"ar_dispute_sla_days": 1_000_000}, ValidationError, "at most"),
    ("dispute resolution time beyond 32 bits", {"ar_dispute_sla_days": 10**10}, ValidationError, "at most"),
    ("second escalation after 0 days", {"ar_dispute_escalation_days": 0}, ValidationError, "at least one day"),
    ("second escalation after a million days", {"ar_dispute_escalation_days": 1_000_000}, ValidationError,
     "at most"),
    ("instalment reminder -1 day before", {"ar_plan_reminder_days": -1}, ValidationError, "cannot be a negative"),
    ("instalment reminder a million days before", {"ar_plan_reminder_days": 1_000_000}, ValidationError, "at most"),
    ("payment plans of 0 instalments", {"ar_plan_max_instalments": 0}, ValidationError, "from 1 to 120"),
    ("payment plans of a million instalments", {"ar_plan_max_instalments": 1_000_000}, ValidationError,
     "from 1 to 120"),
    ("payment plans of 0 days", {"ar_plan_max_days": 0}, ValidationError, "from 1 to 3660"),
    ("payment plans of a million days", {"ar_plan_max_days": 1_000_000}, ValidationError, "from 1 to 3660"),
    ("first payment of -1%", {"ar_plan_min_first_percent": -1.0}, ValidationError, "from 0 to 100"),
    ("first payment of 101%", {"ar_plan_min_first_percent": 101.0}, ValidationError, "from 0 to 100"),
    ("pause after a reply of -1 day", {"ar_reply_pause_days": -1}, ValidationError, "cannot be negative"),
    ("pause after a reply of a million days", {"ar_reply_pause_days": 1_000_000}, ValidationError, "at most"),
    ("Slack URL javascript:", {"ar_digest_slack_url": "javascript:alert(1)"}, ValidationError, "https://"),
    ("Slack URL in plain http", {"ar_digest_slack_url": "http://hooks.slack.com/services/T0/B0/x"},
     ValidationError, "https://"),
    ("Slack URL ftp://", {"ar_digest_slack_url": "ftp://hooks.slack.com/services/T0/B0/x"}, ValidationError,
     "https://"),
    ("Slack URL without host", {"ar_digest_slack_url": "https://"}, ValidationError, "https://"),
    ("Slack URL with a line break", {"ar_digest_slack_url": "https://hooks.slack.com/services/T0\r\nX-Evil: 1"},
     ValidationError, "spaces or line breaks"),
    ("Slack URL of 10,000 characters", {"ar_digest_slack_url": "https://hooks.slack.com/" + "x" * 9_976},
     ValidationError, "too long"),
    ("default dunning policy of company B", {"ar_dunning_policy_id": lambda t: t.policy_b.id}, ValidationError,
     "of another company"),
    ("collections manager who is a portal user", {"ar_manager_user_id": lambda t: t.portal_user.id},
     ValidationError, "internal user"),
    ("second escalation to a portal user", {"ar_dispute_escalation_user_id": lambda t: t.portal_user.id},
     ValidationError, "internal user"),
]

# "Do not chase" on the customer, set by the collector: (label, values, error, message)
NO_CHASE_CASES = [
    ("ticked without reason", {"ar_no_chase": True}, ValidationError, "Say why"),
    ("reason of spaces", {"ar_no_chase": True, "ar_no_chase_reason": "   "}, ValidationError, "Say why"),
    ("until yesterday", {"ar_no_chase": True, "ar_no_chase_reason": "Bankrupt", "ar_no_chase_until": days(-1)},
     ValidationError, "is past"),
    ("dunning policy of company B", {"ar_dunning_policy_id": lambda t: t.policy_b.id}, ValidationError,
     "of another company"),
]
NO_CHASE_OTHER_CASES = [
    "customer of company B excluded by a collector of company A",
]

# The "Log a call" wizard of the collector on the customer: (label, values, error, message)
CALL_CASES = [
    ("promised without a date", {"outcome": "promised", "promised_date": False}, UserError, "Enter the date"),
    ("promised for yesterday", {"outcome": "promised", "promised_date": days(-1)}, UserError, "in the past"),
    ("promised for 9999-12-31", {"outcome": "promised", "promised_date": lambda t: FAR_FUTURE}, UserError,
     "within a year"),
    ("promised without invoice", {"outcome": "promised", "promised_date": days(3), "invoice_ids": [Command.clear()]},
     UserError, "no open invoice"),
    ("disputed without invoice", {"outcome": "disputed", "invoice_ids": [Command.clear()]}, UserError,
     "no open invoice"),
    ("another customer's invoice", {"invoice_ids": invoices("inv_other")}, UserError, "are not invoices of"),
    ("vendor bill of the customer", {"invoice_ids": invoices("vendor_bill")}, UserError, "not open customer invoices"),
    ("draft invoice of the customer", {"invoice_ids": invoices("draft_invoice")}, UserError,
     "not open customer invoices"),
    ("credit note of the customer", {"invoice_ids": invoices("refund")}, UserError, "not open customer invoices"),
    ("paid invoice of the customer", {"invoice_ids": invoices("paid_invoice")}, UserError,
     "not open customer invoices"),
    ("invoice of the customer in company B", {"invoice_ids": invoices("inv_b")}, AccessError, ""),
    ("call logged in company B", {"company_id": lambda t: t.company_b.id, "invoice_ids": [Command.clear()]},
     AccessError, "unauthorized or invalid companies"),
    ("customer of company B only", {"partner_id": lambda t: t.customer_b.id, "invoice_ids": [Command.clear()]},
     AccessError, ""),
]

# Collectors assigned by a collections manager: (label, values, error, message)
ASSIGN_CASES = [
    ("no customer", {"line_ids": []}, UserError, "Select the customers"),
    ("collector of company B only", {"user_id": lambda t: t.collector_b.id}, UserError, "cannot work in"),
    ("portal user as collector", {"user_id": lambda t: t.portal_user.id}, UserError, "internal user"),
    ("customer in company B, where the manager does not work",
     {"user_id": lambda t: t.collector_ab.id,
      "line_ids": lambda t: [Command.create({"partner_id": t.customer.id, "company_id": t.company_b.id})]},
     AccessError, "You do not work in AR Hostile B"),
]
AGING_CASES = [
    ("aging as of tomorrow", days(1), UserError, "today or a past date"),
    ("aging as of 9999-12-31", lambda t: FAR_FUTURE, UserError, "today or a past date"),
]
PREVIEW_CASES = [
    "preview of company B by a manager of company A",
    "run of company B started by a manager of company A",
    "preview opened by a collector",
]
# A run to review: started, edited and sent by collectors (each a method of test_review_run)
REVIEW_CASES = [
    "review run of company B by a collector of company A",
    "review run dated 9999-12-31",
    "proposal moved to a level of company B's policy",
    "proposal's invoice changed to another customer's",
    "proposal added through the run's form",
    "run's date changed through its form",
    "proposal of company B's run excluded by a collector of company A",
    "forward-looking run sent",
    "sent run sent again",
    "JSON-RPC: billing clerk sends a review run",
    "JSON-RPC: billing clerk sends a reminder now",
]

# Through JSON-RPC (/web/dataset/call_kw): (label, login, model, method, args, kwargs, error name, message)
RPC_CASES = [
    ("portal user opens a dispute", "ar_portal", "ar.dispute", "create",
     lambda t: [{"partner_id": t.customer.id, "invoice_ids": [[6, 0, t.inv_overdue.ids]], "reason": "pricing"}],
     "AccessError", "not allowed to create"),
    ("portal user excludes their company from reminders", "ar_portal", "res.partner", "write",
     lambda t: [t.customer.ids, {"ar_no_chase": True, "ar_no_chase_reason": "We never pay"}],
     "AccessError", "not allowed to modify"),
    ("portal user reads the dunning policies", "ar_portal", "ar.dunning.policy", "search_read",
     lambda t: [[], ["name"]], "AccessError", "not allowed to access"),
    ("billing clerk records a promise", "ar_billing", "ar.promise", "create",
     lambda t: [{"partner_id": t.customer.id, "invoice_ids": [[6, 0, t.inv_overdue.ids]], "amount": 100,
                 "promised_date": fields.Date.to_string(t.today + timedelta(days=5))}],
     "AccessError", "not allowed to create"),
    ("billing clerk renames the dunning policy", "ar_billing", "ar.dunning.policy", "write",
     lambda t: [t.policy.ids, {"name": "Never chase"}], "AccessError", "not allowed to modify"),
    ("billing clerk assigns a collector", "ar_billing", "ar.assign.collector", "create",
     lambda t: [{"user_id": t.user_billing.id}], "AccessError", "not allowed to create"),
    ("billing clerk opens the run preview", "ar_billing", "ar.dunning.preview", "action_open_preview",
     lambda t: [], "AccessError", "not allowed to create"),
    ("billing clerk logs a call", "ar_billing", "ar.call.outcome", "create",
     lambda t: [{"partner_id": t.customer.id, "company_id": t.company.id, "outcome": "reached"}],
     "AccessError", "not allowed to create"),
    ("collections manager saves the company settings", "ar_manager", "res.config.settings", "create",
     lambda t: [{"ar_reply_pause_days": 1}], "AccessError", "not allowed to create"),
    ("collector reads company B's disputes", "ar_collector", "ar.dispute", "search_read",
     lambda t: [[], ["amount"]], "AccessError", "Access to unauthorized or invalid companies"),
    ("collector activates a plan by writing its state", "ar_collector", "ar.payment.plan", "write",
     lambda t: [t.submitted_plan.ids, {"state": "active"}], "AccessError", "Use the plan's buttons"),
    ("collector approves a plan", "ar_collector", "ar.payment.plan", "action_approve",
     lambda t: [t.submitted_plan.ids], "AccessError", "Only a collections manager"),
    ("promise amount 'abc'", "ar_collector", "ar.promise", "create",
     lambda t: [t._rpc_promise(amount="abc")], "ValueError", "could not convert string to float"),
    ("promise amount '1e309'", "ar_collector", "ar.promise", "create",
     lambda t: [t._rpc_promise(amount="1e309")], "OverflowError", "cannot convert float infinity"),
    ("promise amount 'NaN'", "ar_collector", "ar.promise", "create",
     lambda t: [t._rpc_promise(amount="NaN")], "ValueError", "cannot convert float NaN"),
    # Odoo's own wording for any foreign key refused by PostgreSQL
    ("promise on a non-existent invoice", "ar_collector", "ar.promise", "create",
     lambda t: [t._rpc_promise(invoice_ids=[[6, 0, [999_999_999]]])], "ValidationError",
     "The operation cannot be completed"),
    ("promise amount as a list", "ar_collector", "ar.promise", "create",
     lambda t: [t._rpc_promise(amount=[100])], "TypeError", "float() argument must be"),
    # create() hands date strings to PostgreSQL as they are, which refuses them; write() parses them
    ("promise date 2026-13-45", "ar_collector", "ar.promise", "create",
     lambda t: [t._rpc_promise(promised_date="2026-13-45")], "DatetimeFieldOverflow", "out of range"),
    ("promise date as a list", "ar_collector", "ar.promise", "create",
     lambda t: [t._rpc_promise(promised_date=["2026-01-01"])], "TypeError", "must be str"),
    ("dispute amount 'abc'", "ar_collector", "ar.dispute", "create",
     lambda t: [{"partner_id": t.customer.id, "invoice_ids": [[6, 0, t.inv_overdue.ids]], "amount": "abc"}],
     "ValueError", "could not convert string to float"),
    ("instalment amount 'abc'", "ar_collector", "ar.payment.plan", "create",
     lambda t: [{"partner_id": t.customer.id, "invoice_ids": [[6, 0, t.inv_overdue.ids]],
                 "line_ids": [[0, 0, {"date": fields.Date.to_string(t.today), "amount": "abc"}]]}],
     "ValueError", "could not convert string to float"),
    ("instalment date 2026-13-45", "ar_collector", "ar.payment.plan", "create",
     lambda t: [{"partner_id": t.customer.id, "invoice_ids": [[6, 0, t.inv_overdue.ids]],
                 "line_ids": [[0, 0, {"date": "2026-13-45", "amount": 1000}]]}],
     "DatetimeFieldOverflow", "out of range"),
    ("aging as of 2026-13-45", "ar_collector", "ar.aging.wizard", "create",
     lambda t: [{"date": "2026-13-45"}], "DatetimeFieldOverflow", "out of range"),
    ("do not chase until 2026-13-45", "ar_collector_contacts", "res.partner", "write",
     lambda t: [t.customer.ids, {"ar_no_chase": True, "ar_no_chase_reason": "Bankrupt",
                                 "ar_no_chase_until": "2026-13-45"}],
     "ValueError", "does not match format"),
    ("policy named like another of the company", "ar_manager", "ar.dunning.policy", "create",
     lambda t: [{"name": t.policy.name}], "ValidationError", "already exists"),
]
# The context the web client would send with them, when it matters
RPC_CONTEXTS = {
    "collector reads company B's disputes": lambda t: {"allowed_company_ids": [t.company_b.id]},
}

# Accepted inputs that must come out harmless
SAFE_CASES = [
    "script in the call note: escaped on the chatter and in the next activity",
    "script in the dispute description: stored as typed",
    "dispute description of 10,000 characters: stored whole",
    "script in the do-not-chase reason: shown as text in the pause reason",
    "HTML evidence uploaded by a collector: served as plain text",
    "approved payment plan duplicated: the copy is a draft to submit",
    "promise dated in the past: history, broken at the next check",
    "promise on invoices in two currencies: open amount converted into the promise's currency",
    "script in the customer's name: escaped in the digest",
]

HOSTILE_CASES = (
    [f"dispute: {label}" for label, *_rest in DISPUTE_CASES]
    + [f"promise: {label}" for label, *_rest in PROMISE_CASES]
    + [f"payment plan: {label}" for label, *_rest in PLAN_CASES]
    + [f"payment plan: {label}" for label in PLAN_WORKFLOW_CASES]
    + [f"dunning level: {label}" for label, *_rest in LEVEL_CASES]
    + [f"dunning policy: {label}" for label, *_rest in POLICY_CASES]
    + ["dunning level: changed by a collector"]
    + [f"settings: {label}" for label, *_rest in SETTINGS_CASES]
    + [f"do not chase: {label}" for label, *_rest in NO_CHASE_CASES]
    + [f"do not chase: {label}" for label in NO_CHASE_OTHER_CASES]
    + [f"log a call: {label}" for label, *_rest in CALL_CASES]
    + ["log a call: unknown outcome"]
    + [f"assign collector: {label}" for label, *_rest in ASSIGN_CASES]
    + [f"aging: {label}" for label, *_rest in AGING_CASES]
    + [f"run preview: {label}" for label in PREVIEW_CASES]
    + [label if label.startswith("JSON-RPC") else f"review run: {label}" for label in REVIEW_CASES]
    + [f"JSON-RPC: {label}" for label, *_rest in RPC_CASES]
    + SAFE_CASES
)
# (label, accepted-bad) of every hostile input tried, in order
RESULTS = []


@tagged("post_install", "-at_install")
class TestHostileInput(ArHostileCatalogue, ArCollectionsCommon, HttpCase):
    """The hostile-input catalogue of the back office: each case is refused with a clear
    error and writes nothing."""

    catalogue_source = "back-office hostile input: ar_collections"
    catalogue_results = RESULTS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._ar_wrong_kind_documents()
        # Company B: its own policy, collector and customer, an invoice of the shared customer
        cls.company_b = cls.setup_other_company(name="AR Hostile B")["company"]
        cls.policy_b = cls.company_b.ar_dunning_policy_id
        cls.collector_b = new_test_user(
            cls.env, "ar_collector_b", groups="base.group_user,ar_collections.group_ar_collections_user",
            company_id=cls.company_b.id, company_ids=[Command.set(cls.company_b.ids)])
        cls.collector_ab = new_test_user(
            cls.env, "ar_collector_ab", groups="base.group_user,ar_collections.group_ar_collections_user",
            company_id=cls.company.id, company_ids=[Command.set((cls.company | cls.company_b).ids)])
        # customers' collections fields are edited by collectors who may edit contacts
        cls.collector_contacts = new_test_user(
            cls.env, "ar_collector_contacts", name="Cora Contacts",
            groups="base.group_user,base.group_partner_manager,ar_collections.group_ar_collections_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)])
        cls.customer_b = cls.env["res.partner"].create({
            "name": "Company B Only Ltd", "is_company": True, "company_id": cls.company_b.id})
        cls.inv_b = cls._ar_invoice(cls.customer, 480.0, days_overdue=40, company=cls.company_b)
        cls.attachment_b = cls.env["ir.attachment"].create({
            "name": "b-contract.pdf", "raw": PDF, "res_model": "account.move",
            "res_id": cls.inv_b.id})
        # Templates of another model than the customers a level writes to
        cls.move_template = cls.env.ref("account.email_template_edi_invoice")
        cls.move_sms_template = cls.env["sms.template"].create({
            "name": "Invoice SMS", "model_id": cls.env["ir.model"]._get_id("account.move"), "body": "{{ object.name }}"})
        # A plan waiting for approval, made by the collector
        cls.submitted_plan = cls._plan_values_create(cls.user_collector)
        cls.submitted_plan.action_submit()

    @classmethod
    def _plan_values_create(cls, user):
        return cls.env["ar.payment.plan"].with_user(user).create({
            "partner_id": cls.customer.id,
            "invoice_ids": [Command.set(cls.inv_overdue.ids)],
            "line_ids": [Command.create({"date": cls.today + timedelta(days=offset), "amount": 500.0})
                         for offset in (10, 40)],
        })

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _read_counts(self, env):
        customers = env["res.partner"].browse((self.customer | self.other_customer | self.customer_b).ids)
        companies = env["res.company"].browse((self.company | self.company_b).ids)
        return {
            "disputes": [(d.id, d.amount, d.stage, tuple(d.attachment_ids.ids)) for d in env["ar.dispute"].search([])],
            "promises": [(p.id, p.amount, p.state) for p in env["ar.promise"].search([])],
            "payment plans": [(p.id, p.state, p.approved_by_id.id, p.grace_days, tuple(p.invoice_ids.ids))
                              for p in env["ar.payment.plan"].search([])],
            "instalments": [(line.id, line.date, line.amount) for line in env["ar.payment.plan.line"].search([])],
            "policies": [(p.id, p.name, p.company_id.id) for p in env["ar.dunning.policy"].search([])],
            "levels": [(lvl.id, lvl.name, lvl.offset_days, tuple(lvl._get_channels()),
                        lvl.mail_template_id.id, lvl.sms_template_id.id, lvl.min_amount)
                       for lvl in env["ar.dunning.level"].search([])],
            "companies": [(c.id, c.ar_plan_max_instalments, c.ar_plan_max_days, c.ar_plan_min_first_percent,
                           c.ar_dispute_sla_days, c.ar_dispute_escalation_days, c.ar_plan_reminder_days,
                           c.ar_reply_pause_days, c.ar_digest_slack_url, c.ar_dunning_policy_id.id,
                           c.ar_manager_user_id.id, c.ar_dispute_escalation_user_id.id) for c in companies],
            "customers": [(p.id, p.ar_no_chase, p.ar_no_chase_reason, p.ar_no_chase_until,
                           *[p.with_company(c).ar_collector_id.id for c in companies],
                           *[p.with_company(c).ar_dunning_policy_id.id for c in companies]) for p in customers],
            "messages": env["mail.message"].search_count([]),
            "activities": env["mail.activity"].search_count([]),
            "dunning runs": env["ar.dunning.run"].search_count([]),
            "reminders": env["ar.dunning.message"].search_count([]),
            "previews": env["ar.dunning.preview.line"].search_count([]),
            "run states": [(run.id, run.state, run.date) for run in env["ar.dunning.run"].search([])],
            "proposals": [(line.id, line.level_id.id, line.excluded, line.note, line.state, line.invoice_id.id)
                          for line in env["ar.dunning.run.line"].search([])],
        }

    def _rpc_promise(self, **values):
        return {"partner_id": self.customer.id, "invoice_ids": [[6, 0, self.inv_overdue.ids]], "amount": 100,
                "promised_date": fields.Date.to_string(self.today + timedelta(days=5)), **values}

    def _values(self, base, changes):
        return {**base, **{key: self._resolve(value) for key, value in changes.items()}}

    # ------------------------------------------------------------------
    # Disputes, promises, payment plans
    # ------------------------------------------------------------------

    def test_disputes(self):
        Dispute = self.env["ar.dispute"].with_user(self.user_collector)
        base = {"partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)],
                "reason": "pricing", "description": "Wrong price."}
        for label, changes, error, message in DISPUTE_CASES:
            values = self._values(base, changes)
            self._attack(f"dispute: {label}", lambda v=values: Dispute.create(v), error, message)
        self._assert_no_failures()
        # the same dispute with valid values is recorded: the refusals above are not a broken form
        self.assertEqual(Dispute.create({**base, "amount": 100.0}).amount, 100.0)

    def test_promises(self):
        Promise = self.env["ar.promise"].with_user(self.user_collector)
        base = {"partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)],
                "amount": 500.0, "promised_date": self.today + timedelta(days=10)}
        for label, changes, error, message in PROMISE_CASES:
            values = self._values(base, changes)
            self._attack(f"promise: {label}", lambda v=values: Promise.create(v), error, message)
        self._assert_no_failures()
        self.assertEqual(Promise.create({**base, "amount": 1000.0}).state, "open")

    def _plan(self, values, user=None):
        lines = values.pop("line_ids", [(10, 500.0), (40, 500.0)])
        values["line_ids"] = [Command.create({
            "date": when if isinstance(when, date) else self.today + timedelta(days=when), "amount": amount,
        }) for when, amount in lines]
        plan = self.env["ar.payment.plan"].with_user(user or self.user_collector).create(values)
        plan.action_submit()
        return plan

    def test_payment_plans(self):
        base = {"partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)]}
        for label, changes, error, message in PLAN_CASES:
            values = self._values(base, changes)
            self._attack(f"payment plan: {label}", lambda v=values: self._plan(dict(v)), error, message)
        self._assert_no_failures()
        self.assertEqual(self._plan(dict(base)).state, "to_approve")

    def test_payment_plan_workflow(self):
        collector_plan = self.submitted_plan.with_user(self.user_collector)
        only_buttons = "Use the plan's buttons"
        self._attack("payment plan: approved by the collector who submitted it", collector_plan.action_approve,
                     AccessError, "Only a collections manager")
        self._attack("payment plan: created already active",
                     lambda: self.env["ar.payment.plan"].with_user(self.user_collector).create({
                         "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)],
                         "state": "active"}),
                     AccessError, "starts as a draft")
        self._attack("payment plan: activated by writing its state",
                     lambda: collector_plan.write({"state": "active"}), AccessError, only_buttons)
        self._attack("payment plan: approver written by the collector",
                     lambda: collector_plan.write({"approved_by_id": self.user_ar_manager.id}), AccessError,
                     only_buttons)
        self.submitted_plan.with_user(self.user_ar_manager).action_approve()
        approved = self.submitted_plan.with_user(self.user_collector)
        locked = "can no longer be changed"
        self._attack("payment plan: instalment of an approved plan moved a year later",
                     lambda: approved.line_ids[1].write({"date": self.today + timedelta(days=400)}), UserError, locked)
        self._attack("payment plan: instalment added to an approved plan",
                     lambda: approved.write({"line_ids": [Command.create({
                         "date": self.today + timedelta(days=60), "amount": 1.0})]}), UserError, locked)
        self._attack("payment plan: instalment of an approved plan deleted",
                     lambda: approved.line_ids[1].unlink(), UserError, locked)
        self._attack("payment plan: invoice added to an approved plan",
                     lambda: approved.write({"invoice_ids": [Command.link(self.inv_partial.id)]}), UserError, locked)
        self._assert_no_failures()
        copy = approved.copy()
        self._record("approved payment plan duplicated: the copy is a draft to submit",
                     copy.state == "draft" and not copy.approved_by_id and len(copy.line_ids) == 2, copy.state)
        self._assert_no_failures()
        # the buttons still work
        self.assertEqual(self.submitted_plan.state, "active")
        approved.action_cancel()
        self.assertEqual(self.submitted_plan.state, "cancelled")

    # ------------------------------------------------------------------
    # Dunning policies and levels
    # ------------------------------------------------------------------

    def test_dunning_configuration(self):
        Level = self.env["ar.dunning.level"].with_user(self.user_ar_manager)
        base = {"name": "Extra reminder", "policy_id": self.policy.id, "offset_days": 45,
                "channel_ids": [Command.create({"channel": "email"})],
                "mail_template_id": self.env.ref("ar_collections.mail_template_dunning_reminder").id}
        for label, changes, error, message in LEVEL_CASES:
            values = self._values(base, changes)
            self._attack(f"dunning level: {label}", lambda v=values: Level.create(v), error, message)
        Policy = self.env["ar.dunning.policy"].with_user(self.user_ar_manager)
        for label, changes, error, message in POLICY_CASES:
            values = self._values({"name": "Key accounts"}, changes)
            self._attack(f"dunning policy: {label}", lambda v=values: Policy.create(v), error, message)
        level = self.policy.level_ids[:1].with_user(self.user_collector)
        self._attack("dunning level: changed by a collector", lambda: level.write({"offset_days": -5}),
                     AccessError, "not allowed to modify")
        self._assert_no_failures()
        self.assertEqual(Level.create(base).offset_days, 45)

    # ------------------------------------------------------------------
    # Settings, "do not chase"
    # ------------------------------------------------------------------

    def test_settings(self):
        # an administrator of the company (not the superuser: the settings form as people use it)
        admin = self.env.ref("base.user_admin")
        admin.company_ids = [Command.link(self.company.id)]
        Settings = self.env["res.config.settings"].with_user(admin).with_company(self.company)
        for label, values, error, message in SETTINGS_CASES:
            values = {key: self._resolve(value) for key, value in values.items()}
            self._attack(f"settings: {label}", lambda v=values: Settings.create(v).execute(), error, message)
        self._assert_no_failures()
        Settings.create({"ar_reply_pause_days": 10, "ar_digest_slack_url": "https://hooks.slack.com/services/T/B/x"}).execute()
        self.assertEqual(self.company.ar_reply_pause_days, 10)

    def test_do_not_chase(self):
        customer = self.customer.with_user(self.collector_contacts)
        for label, values, error, message in NO_CHASE_CASES:
            values = {key: self._resolve(value) for key, value in values.items()}
            self._attack(f"do not chase: {label}", lambda v=values: customer.write(v), error, message)
        self._attack("do not chase: customer of company B excluded by a collector of company A",
                     lambda: self.customer_b.with_user(self.collector_contacts).write({
                         "ar_no_chase": True, "ar_no_chase_reason": "Friend"}),
                     AccessError, "'write' access")
        self._assert_no_failures()
        customer.write({"ar_no_chase": True, "ar_no_chase_reason": "Bankrupt", "ar_no_chase_until": self.today})
        self.assertTrue(self.customer.ar_no_chase)

    # ------------------------------------------------------------------
    # Wizards
    # ------------------------------------------------------------------

    def _log_call(self, values):
        Wizard = self.env["ar.call.outcome"].with_user(self.user_collector)
        wizard = Wizard.create({
            "partner_id": self.customer.id, "company_id": self.company.id, "outcome": "reached",
            "invoice_ids": [Command.set(self.inv_overdue.ids)], **values})
        return wizard.action_confirm()

    def test_log_call(self):
        for label, changes, error, message in CALL_CASES:
            values = {key: self._resolve(value) for key, value in changes.items()}
            self._attack(f"log a call: {label}", lambda v=values: self._log_call(v), error, message)
        self._attack("log a call: unknown outcome", lambda: self._log_call({"outcome": "hacker"}),
                     ValueError, "Wrong value for ar.call.outcome.outcome")
        self._assert_no_failures()
        self.assertEqual(self._log_call({"outcome": "promised", "promised_date": self.today})["res_model"],
                         "ar.promise")

    def test_assign_collector(self):
        Wizard = self.env["ar.assign.collector"].with_user(self.user_ar_manager)
        base = {"user_id": self.user_collector.id,
                "line_ids": [Command.create({"partner_id": self.customer.id, "company_id": self.company.id})]}
        for label, changes, error, message in ASSIGN_CASES:
            values = self._values(base, changes)
            self._attack(f"assign collector: {label}", lambda v=values: Wizard.create(v).action_assign(),
                         error, message)
        self._assert_no_failures()
        Wizard.create(base).action_assign()
        self.assertEqual(self.customer.with_company(self.company).ar_collector_id, self.user_collector)

    def test_aging_and_preview(self):
        Aging = self.env["ar.aging.wizard"].with_user(self.user_collector)
        for label, when, error, message in AGING_CASES:
            self._attack(f"aging: {label}", lambda w=when: Aging.create({"date": w(self)}).action_open_aging(),
                         error, message)
        Preview = self.env["ar.dunning.preview"].with_user(self.user_ar_manager)
        self._attack("run preview: preview of company B by a manager of company A",
                     lambda: Preview.create({"company_id": self.company_b.id}), AccessError, "AR Hostile B")
        preview = Preview.create({"company_id": self.company.id})
        self._attack("run preview: run of company B started by a manager of company A",
                     lambda: (preview.sudo().write({"company_id": self.company_b.id}), preview.action_run()),
                     AccessError, "AR Hostile B")
        self._attack("run preview: preview opened by a collector",
                     self.env["ar.dunning.preview"].with_user(self.user_collector).action_open_preview,
                     AccessError, "not allowed to create")
        self._assert_no_failures()
        self.assertEqual(Aging.create({"date": self.today}).action_open_aging()["context"]["ar_aging_date"],
                         fields.Date.to_string(self.today))
        self.assertTrue(preview.line_ids)

    @mute_logger("odoo.http")
    def test_review_run(self):
        Run = self.env["ar.dunning.run"].with_user(self.user_collector)
        run = Run._ar_start_review(self.company)
        line = run.line_ids.filtered(lambda line: line.invoice_id == self.inv_overdue).with_user(self.user_collector)
        ahead = Run._ar_start_review(self.company, date=self.today + timedelta(days=30))
        sent = Run._ar_start_review(self.company, partners=self.customer)
        sent.action_send()
        run_b = self.env["ar.dunning.run"].with_user(self.collector_b)._ar_start_review(self.company_b)
        self.assertTrue(line and run_b.line_ids, "both runs have proposals to attack")
        self._attack("review run: review run of company B by a collector of company A",
                     lambda: Run._ar_start_review(self.company_b), AccessError, "AR Hostile B")
        self._attack("review run: review run dated 9999-12-31",
                     lambda: Run._ar_start_review(self.company, date=FAR_FUTURE), UserError, "one year at most")
        self._attack("review run: proposal moved to a level of company B's policy",
                     lambda: line.write({"level_id": self.policy_b.level_ids[:1].id}), ValidationError,
                     "must be one of its policy")
        self._attack("review run: proposal's invoice changed to another customer's",
                     lambda: line.write({"invoice_id": self.inv_other.id}), AccessError, "Only the exclusion")
        self._attack("review run: proposal added through the run's form",
                     lambda: run.with_user(self.user_collector).write({"line_ids": [Command.create({
                         "partner_id": self.other_customer.id, "invoice_id": self.inv_other.id,
                         "policy_id": self.policy.id, "level_id": line.level_id.id})]}),
                     AccessError, "not added or removed")
        self._attack("review run: run's date changed through its form",
                     lambda: run.with_user(self.user_collector).write({"date": self.today - timedelta(days=90)}),
                     AccessError, "changed by its buttons only")
        self._attack("review run: proposal of company B's run excluded by a collector of company A",
                     lambda: run_b.line_ids[:1].with_user(self.user_collector).write({"excluded": True}),
                     AccessError, "Reminder Run Proposal (ar.dunning.run.line)")
        self._attack("review run: forward-looking run sent", ahead.with_user(self.user_collector).action_send,
                     UserError, "cannot be sent")
        self._attack("review run: sent run sent again", sent.with_user(self.user_collector).action_send,
                     UserError, "not waiting for review")
        self._rpc_attack("billing clerk sends a review run", "ar_billing", "ar.dunning.run", "action_send",
                         [run.ids], "AccessError", "Only collectors")
        self._rpc_attack("billing clerk sends a reminder now", "ar_billing", "res.partner",
                         "action_ar_send_reminder_now", [self.customer.ids], "AccessError", "Only collectors")
        self._assert_no_failures()
        # the collector's own edits and send go through: the refusals above are not a broken run
        line.write({"excluded": True, "note": SCRIPT})
        run.with_user(self.user_collector).action_send()
        self.assertEqual((run.state, line.state), ("done", "skipped"))

    # ------------------------------------------------------------------
    # JSON-RPC
    # ------------------------------------------------------------------

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_model", "odoo.sql_db")
    def test_json_rpc(self):
        for label, login, model, method, args, error, message in RPC_CASES:
            context = RPC_CONTEXTS.get(label, lambda t: {})(self)
            self._rpc_attack(label, login, model, method, args(self), error, message, kwargs={"context": context})
        self._assert_no_failures()
        # the collector's own valid call goes through: the refusals above are not a broken route
        self.authenticate("ar_collector", "ar_collector")
        promise_id = self.make_jsonrpc_request("/web/dataset/call_kw/ar.promise/create", {
            "model": "ar.promise", "method": "create", "args": [self._rpc_promise()], "kwargs": {}})
        self.assertTrue(self.env["ar.promise"].browse(promise_id).exists())

    # ------------------------------------------------------------------
    # Accepted inputs that must come out harmless
    # ------------------------------------------------------------------

    def test_text_is_stored_as_text_and_escaped(self):
        # the call note: escaped on the customer's chatter and in the next activity's note
        self._log_call({"outcome": "reached", "note": SCRIPT})
        note = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", self.customer.id)],
                                               order="id desc", limit=1)
        activity = self.env["mail.activity"].search([("res_model", "=", "res.partner"),
                                                     ("res_id", "=", self.customer.id)], order="id desc", limit=1)
        safe = SCRIPT_ESCAPED in note.body and "<script>" not in note.body \
            and SCRIPT_ESCAPED in activity.note and "<script>" not in activity.note
        self._record("script in the call note: escaped on the chatter and in the next activity", safe,
                     f"{note.body} / {activity.note}")
        # the dispute description: a plain text field, kept as typed
        dispute = self.env["ar.dispute"].with_user(self.user_collector).create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)], "reason": "other",
            "description": SCRIPT})
        self._record("script in the dispute description: stored as typed",
                     dispute.description == SCRIPT and dispute._fields["description"].type == "text",
                     repr(dispute.description))
        # an internal note has no length limit (the customer portal has one): an email pasted whole is kept whole
        long_text = "Wrong quantity. " * 625
        dispute.with_user(self.user_collector).description = long_text
        self._record("dispute description of 10,000 characters: stored whole", dispute.description == long_text,
                     len(dispute.description or ""))
        # the "do not chase" reason: shown in a plain text field of the invoices and the customer
        self.customer.with_user(self.collector_contacts).write({"ar_no_chase": True, "ar_no_chase_reason": SCRIPT})
        self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
        reason = self.inv_overdue.ar_pause_reason
        self._record("script in the do-not-chase reason: shown as text in the pause reason",
                     SCRIPT in reason and self.inv_overdue._fields["ar_pause_reason"].type == "char", reason)
        # evidence uploaded in the form: Odoo serves HTML and SVG uploaded by non-admins as text
        attachment = self.env["ir.attachment"].with_user(self.user_collector).create({
            "name": "evidence.html", "raw": b"<html><script>alert(1)</script></html>", "mimetype": "text/html",
            "res_model": "ar.dispute", "res_id": dispute.id})
        dispute.with_user(self.user_collector).attachment_ids = [Command.link(attachment.id)]
        self._record("HTML evidence uploaded by a collector: served as plain text",
                     attachment.mimetype == "text/plain" and attachment in dispute.attachment_ids, attachment.mimetype)
        self._assert_no_failures()

    def test_promise_history_and_currencies(self):
        Promise = self.env["ar.promise"].with_user(self.user_collector)
        late = Promise.create({"partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
                               "amount": 350.0, "promised_date": self.today - timedelta(days=5), "grace_days": 0})
        self.env["ar.promise"]._cron_check_promises()
        self._record("promise dated in the past: history, broken at the next check", late.state == "broken",
                     late.state)
        mixed = Promise.create({"partner_id": self.customer.id,
                                "invoice_ids": [Command.set((self.inv_overdue | self.inv_eur).ids)],
                                "amount": 1500.0, "promised_date": self.today + timedelta(days=5)})
        expected = 1000.0 + self.inv_eur.currency_id._convert(500.0, self.company.currency_id, self.company, self.today)
        self._record("promise on invoices in two currencies: open amount converted into the promise's currency",
                     self.company.currency_id.compare_amounts(mixed.amount_residual_start, expected) == 0,
                     f"{mixed.amount_residual_start} != {expected}")
        self._assert_no_failures()

    def test_digest_escapes_customer_names(self):
        self.customer.write({"name": SCRIPT, "ar_at_risk": True})
        values = self.env["ar.digest"]._ar_digest_values(self.company, self.today)
        safe = SCRIPT not in values["body_html"] and SCRIPT_ESCAPED in values["body_html"] \
            and "<script>" not in values["body_text"]
        self._record("script in the customer's name: escaped in the digest", safe, values["body_html"][:300])
        self._assert_no_failures()

    def test_zz_catalogue_is_complete(self):
        """Every case of HOSTILE_CASES was tried by the tests above (named to run last)."""
        self._assert_catalogue_complete(HOSTILE_CASES)
