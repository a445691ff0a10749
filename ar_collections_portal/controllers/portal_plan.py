import re
from datetime import date, timedelta

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.ar_collections.models.ar_payment_plan import FREQUENCIES, OPEN_PLAN_STATES

from ..utils import parse_amount, parse_record_id
from .portal import ArStatementPortal

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
COUNT_RE = re.compile(r"[0-9]{1,3}", re.ASCII)
# Invoices one proposal may cover (a statement lists fewer overdue invoices per company).
MAX_PLAN_INVOICES = 50
# Plans shown on the statement: those the customer can act on or is waiting for.
STATEMENT_PLAN_STATES = ("to_approve", "active", "broken")
MODES = ("equal", "amounts")


class ArPlanPortal(ArStatementPortal):
    """Payment plans on the statement: the customer proposes one for overdue invoices (the
    collections manager approves it in the back office), follows its schedule and pays it
    instalment by instalment. Logged-in customers only; every rule is the model's
    (``ar.payment.plan._ar_portal_propose``), the routes read and pass on what was typed."""

    # ------------------------------------------------------------------
    # Statement
    # ------------------------------------------------------------------

    def _ar_statement_values(self, partner, access_token=None, filterby="all"):
        values = super()._ar_statement_values(partner, access_token=access_token, filterby=filterby)
        logged_in = not access_token and not request.env.user._is_public()
        plans = request.env["ar.payment.plan"].sudo().search([
            ("partner_id", "=", partner.id), ("state", "in", STATEMENT_PLAN_STATES)], order="id desc")
        values.update({
            "ar_plans": plans,
            "ar_plan_today": fields.Date.context_today(request.env.user),
            "ar_plan_can_propose": logged_in,
            "ar_plan_done": request.params.get("ar_done") == "plan",
        })
        return values

    # ------------------------------------------------------------------
    # Proposal
    # ------------------------------------------------------------------

    def _ar_plan_customer(self):
        return request.env.user.partner_id.commercial_partner_id.sudo()

    def _ar_plan_choices(self, customer):
        """Invoices the customer may put in a plan: overdue, open, in the company's currency, in no plan."""
        today = fields.Date.context_today(request.env.user)
        invoices = request.env["account.move"].sudo().search([
            ("commercial_partner_id", "=", customer.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", today),
        ], order="invoice_date_due, id")
        busy = request.env["ar.payment.plan"].sudo().search(
            [("state", "in", OPEN_PLAN_STATES), ("invoice_ids", "in", invoices.ids)]).invoice_ids
        return invoices.filtered(lambda inv: inv not in busy and inv.currency_id == inv.company_id.currency_id)

    def _ar_plan_form_values(self, form, errors=None):
        customer = self._ar_plan_customer()
        choices = self._ar_plan_choices(customer)
        company = choices.company_id[:1] or request.env.company
        today = fields.Date.context_today(request.env.user)
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "ar_plan_form",
            "choices": choices,
            "form": form,
            "errors": errors or {},
            "frequencies": [("monthly", request.env._("Every month")), ("biweekly", request.env._("Every two weeks")),
                            ("weekly", request.env._("Every week"))],
            "limits": {
                "instalments": company.ar_plan_max_instalments,
                "days": company.ar_plan_max_days,
                "first_percent": f"{company.ar_plan_min_first_percent:g}",
                "latest": today + timedelta(days=company.ar_plan_max_days),
            },
            "min_date": fields.Date.to_string(today),
        }

    @http.route("/my/statement/plan", type="http", auth="user", website=True, methods=["GET"], sitemap=False)
    def portal_plan_form(self, **kw):
        """The form to propose a payment plan; ``invoice_ids``: the invoices ticked on the statement."""
        ids = [parse_record_id(raw) for raw in request.httprequest.args.getlist("invoice_ids")]
        today = fields.Date.context_today(request.env.user)
        form = {
            "invoice_ids": [record_id for record_id in ids if record_id],
            "mode": "equal",
            "count": "3",
            "first_date": fields.Date.to_string(today + timedelta(days=7)),
            "frequency": "monthly",
            "amounts": "",
        }
        return request.render("ar_collections_portal.portal_plan_form", self._ar_plan_form_values(form))

    @http.route("/my/statement/plan/submit", type="http", auth="user", website=True, methods=["POST"],
                sitemap=False)
    def portal_plan_submit(self, **kw):
        """Propose the plan; nothing is written unless the model accepts all of it."""
        env = request.env
        data = request.httprequest.form
        form = {name: data.get(name, "")[:2000] for name in ("mode", "count", "first_date", "frequency", "amounts")}
        raw_ids = data.getlist("invoice_ids")
        ids = [parse_record_id(raw) for raw in raw_ids]
        form["invoice_ids"] = [record_id for record_id in ids if record_id]
        try:
            if len(raw_ids) > MAX_PLAN_INVOICES or not all(ids):
                raise UserError(env._("The selection of invoices is not valid."))
            values = self._ar_plan_read_form(form)
            invoices = env["account.move"].sudo().browse(list(dict.fromkeys(form["invoice_ids"]))).exists()
            if len(invoices) != len(set(form["invoice_ids"])):
                raise UserError(env._("Only your own invoices can go into a payment plan."))
            with env.cr.savepoint():
                env["ar.payment.plan"]._ar_portal_propose(env.user.partner_id, invoices, **values)
        except UserError as error:  # ValidationError included: the model's limits
            return request.render("ar_collections_portal.portal_plan_form",
                                  self._ar_plan_form_values(form, {"form": error.args[0]}), status=400)
        return request.redirect("/my/statement?ar_done=plan", code=303)

    def _ar_plan_read_form(self, form):
        """The proposal as typed: first date, frequency and the number of instalments or their amounts.

        :raise UserError: a value that is not what the field asks for
        """
        env = request.env
        if form["mode"] not in MODES:
            raise UserError(env._("Choose equal instalments or type their amounts."))
        if form["frequency"] not in FREQUENCIES:
            raise UserError(env._("Choose how often you pay from the list."))
        raw_date = form["first_date"].strip()
        try:
            first_date = date.fromisoformat(raw_date) if DATE_RE.fullmatch(raw_date) else None
        except ValueError:
            first_date = None
        if not first_date:
            raise UserError(env._("Enter the date of the first instalment as a date, such as %(example)s.",
                                  example=fields.Date.to_string(fields.Date.context_today(env.user))))
        values = {"first_date": first_date, "frequency": form["frequency"]}
        if form["mode"] == "equal":
            raw_count = form["count"].strip()
            if not COUNT_RE.fullmatch(raw_count):
                raise UserError(env._("Enter the number of instalments as a whole number, such as 3."))
            values["count"] = int(raw_count)
        else:
            parts = [part.strip() for part in re.split(r"[;\n]", form["amounts"]) if part.strip()]
            if not parts:
                raise UserError(env._("Type the amount of each instalment, one per line."))
            values["amounts"] = [parse_amount(env, part) for part in parts[:1000]]
            if len(parts) > 1000:
                values["amounts"].append(0.0)  # refused by the model's limit on instalments
        return values

    # ------------------------------------------------------------------
    # Paying an instalment
    # ------------------------------------------------------------------

    def _ar_plan_to_pay(self, plan_id):
        """The customer's approved plan ``plan_id`` (sudo), its instalment to pay and the
        invoices that still have something open.

        :raise ValidationError: another customer's plan, a plan not approved, nothing left to pay
        """
        env = request.env
        plan = env["ar.payment.plan"].sudo().search([
            ("id", "=", parse_record_id(plan_id, text=False) or 0),
            ("partner_id", "=", self._ar_plan_customer().id),
            ("state", "in", ("active", "broken")),
        ])
        line = plan._ar_next_line() if plan else plan.line_ids
        if not line:
            raise ValidationError(env._("This payment plan has no instalment to pay here."))
        invoices = plan.invoice_ids.filtered(lambda inv: inv.payment_state in ("not_paid", "partial"))
        return plan, line, invoices

    @http.route("/my/statement/plan/<int:plan_id>/pay", type="http", auth="user", website=True, methods=["GET"],
                sitemap=False)
    def portal_plan_pay(self, plan_id, **kw):
        """The payment form of the next instalment of a plan: its open amount, nothing else."""
        partner = self._ar_plan_customer()
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "ar_statement_pay", "partner": partner, "access_token": None,
                       "statement_url": "/my/statement"})
        try:
            plan, line, invoices = self._ar_plan_to_pay(plan_id)
            invoices, amount = self._ar_check_statement_payment(
                partner, invoices.ids, line.amount_residual, partial_ok=True)
        except ValidationError as exc:
            values["error"] = exc.args[0]
            return request.render("ar_collections_portal.portal_my_statement_pay", values, status=400)
        values.update(self._ar_statement_pay_values(partner, invoices, amount, None))
        values.update({
            "transaction_route": f"/my/statement/plan/{plan.id}/transaction",
            "allow_partial": False,
            "ar_plan_line": line,
        })
        return request.render("ar_collections_portal.portal_my_statement_pay", values)

    @http.route("/my/statement/plan/<int:plan_id>/transaction", type="json", auth="user")
    def portal_plan_transaction(self, plan_id, amount=None, access_token=None, **kwargs):
        """Create the transaction paying the next instalment of a plan: exactly its open amount
        (never more, never another amount), against the plan's open invoices. The session
        decides whose plan it is; an ``access_token`` sent by the payment form is ignored."""
        env = request.env
        partner = self._ar_plan_customer()
        plan, line, invoices = self._ar_plan_to_pay(plan_id)
        due = line.amount_residual
        number = parse_amount(env, amount)
        if number is None or plan.currency_id.compare_amounts(number, due):
            raise ValidationError(env._("The instalment to pay is %(amount)s.", amount=plan.currency_id.format(due)))
        invoices, amount = self._ar_check_statement_payment(partner, invoices.ids, due, partial_ok=True)
        return self._ar_statement_transaction(partner, invoices, amount, None, kwargs)
