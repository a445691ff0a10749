import math
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date
from odoo.tools.misc import formatLang

from .res_company import MAX_OVERDUE_DAYS

HOLD_FIELDS = ("ar_credit_hold", "ar_credit_hold_reason", "ar_dunning_hold", "ar_dunning_hold_reason")
# Who reads the credit figures (the Sales bridge adds salespeople)
CREDIT_READERS = "account.group_account_invoice,account.group_account_readonly"
# Limit per risk type, as OCA's account_financial_risk: exposure bucket -> field of res.partner
# (bridges add theirs through _ar_credit_risk_limit_fields, e.g. the orders of Sales)
RISK_LIMIT_FIELDS = {
    "open": "ar_credit_limit_open",
    "draft": "ar_credit_limit_draft",
    "overdue": "ar_credit_limit_overdue",
}
# Who sets Odoo's own credit limit besides the Credit Managers (Odoo's Accounting Administrators)
ODOO_CREDIT_LIMIT_GROUP = "account.group_account_manager"
TOLERANCE_FIELDS = ("ar_credit_overdue_tolerance_days", "ar_credit_overdue_tolerance_amount")
TODAYS_RATE = "Amounts in a foreign currency are converted at today's rate."


class ResPartner(models.Model):
    _inherit = "res.partner"

    ar_credit_hold = fields.Boolean(
        string="Credit hold",
        tracking=True,
        copy=False,
        groups="base.group_user",
        help="New sale orders of this customer cannot be confirmed until a Credit Manager lifts the hold.",
    )
    ar_credit_hold_reason = fields.Char(string="Credit hold reason", tracking=True, copy=False,
                                        groups="base.group_user")
    # Odoo's own limit, tracked: who raised a customer's limit, and when, is part of the audit trail.
    credit_limit = fields.Float(tracking=True)

    # Exposure, in the current company's currency: the credit check's figures, with foreign amounts
    # at today's rate (what the customer's debt is worth now). Collections' "Open receivable" and the
    # aging report keep the rate booked on each invoice, as the ledger does.
    ar_credit_currency_id = fields.Many2one("res.currency", compute="_compute_ar_credit_exposure",
                                            groups=CREDIT_READERS)
    ar_credit_open = fields.Monetary(
        string="Open invoices (today's rate)", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="Posted invoices not yet paid, less credit notes and unapplied payments, in this company. "
        + TODAYS_RATE + " The Open receivable of the Collections tab and the aging report use the rate "
        "of each invoice's date: they differ only by foreign-currency invoices.")
    ar_credit_overdue = fields.Monetary(
        string="Of which overdue (today's rate)", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="Open invoices past their due date. " + TODAYS_RATE)
    ar_credit_draft = fields.Monetary(
        string="Draft invoices (today's rate)", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="Customer invoices less credit notes not posted yet. " + TODAYS_RATE)
    ar_credit_exposure = fields.Monetary(
        string="Credit exposure (today's rate)", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="Open invoices + draft invoices (+ orders not yet invoiced, with Sales), compared with the credit limit. "
        + TODAYS_RATE)
    ar_credit_limit = fields.Monetary(
        string="Effective credit limit", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="The customer's own limit, else the company's default. 0 means no limit.")
    ar_credit_available = fields.Monetary(
        string="Available credit (today's rate)", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="Effective credit limit less the credit exposure. " + TODAYS_RATE)
    # Collections' figures, labelled with their rate where the credit figures stand next to them
    ar_open_amount = fields.Monetary(
        string="Open receivable (booked rate)",
        help="Posted invoices not yet paid, less credit notes and unapplied payments, in the company "
        "currency at the rate of each invoice's date, as in the ledger and the aging report.")
    ar_overdue_amount = fields.Monetary(
        string="Overdue amount (booked rate)",
        help="Open receivable past its due date, in the company currency at the rate of each invoice's date, "
        "as in the ledger and the aging report.")

    # Limits per risk type and overdue tolerance, per company (OCA account_financial_risk's terms)
    ar_credit_limit_open = fields.Float(
        string="Limit on open invoices", company_dependent=True, tracking=True, groups="base.group_user",
        help="Refuse new sales when the open invoices (today's rate) exceed this amount. 0: no limit of this type.")
    ar_credit_limit_draft = fields.Float(
        string="Limit on draft invoices", company_dependent=True, tracking=True, groups="base.group_user",
        help="Refuse new sales when the draft invoices (today's rate) exceed this amount. 0: no limit of this type.")
    ar_credit_limit_overdue = fields.Float(
        string="Limit on overdue invoices", company_dependent=True, tracking=True, groups="base.group_user",
        help="Refuse new sales when the overdue invoices (today's rate) exceed this amount. 0: no limit of this type.")
    ar_credit_overdue_tolerance_days = fields.Integer(
        string="Overdue tolerance (days)", company_dependent=True, tracking=True, groups="base.group_user",
        help="Days added, for this customer, to the company's 'Hold after days overdue'.")
    ar_credit_overdue_tolerance_amount = fields.Float(
        string="Overdue tolerance (amount)", company_dependent=True, tracking=True, groups="base.group_user",
        help="Invoices overdue for too long do not hold this customer while they amount to this or less "
        "(today's rate).")
    ar_credit_hold_ids = fields.One2many("ar.credit.hold", "partner_id", string="Credit holds", readonly=True,
                                         groups="base.group_user")
    ar_credit_blocked = fields.Boolean(
        string="Blocked by the credit check", compute="_compute_ar_credit_blocked", groups="base.group_user",
        help="New orders of this customer are refused in the current company (see Customers on Credit Hold).")

    ar_credit_limit_date = fields.Date(
        string="Limit reviewed on", company_dependent=True, copy=False, readonly=True, groups="base.group_user",
        help="When the credit limit was last set or confirmed in a credit review.")

    # Payment-behaviour score, computed from the customer's history by ar.credit.score.
    ar_credit_score = fields.Integer(string="Payment score", readonly=True, copy=False, groups="base.group_user",
                                     help="0 (pays very badly) to 100 (pays on time), from the customer's history.")
    ar_credit_score_id = fields.Many2one("ar.credit.score", string="Latest score", readonly=True, copy=False,
                                         groups="base.group_user")
    ar_credit_score_date = fields.Date(string="Scored on", readonly=True, copy=False, groups="base.group_user")
    ar_credit_review_date = fields.Date(string="Last credit review", readonly=True, copy=False,
                                        groups="base.group_user")
    ar_credit_review_score = fields.Integer(string="Score at last review", readonly=True, copy=False,
                                            groups="base.group_user")
    ar_credit_suggested_limit = fields.Monetary(
        string="Suggested credit limit", compute="_compute_ar_credit_suggested_limit",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="From the payment score and the customer's sales over the last 12 months.")

    @api.constrains("ar_credit_hold", "ar_credit_hold_reason")
    def _check_ar_credit_hold_reason(self):
        for partner in self:
            if partner.ar_credit_hold and not (partner.ar_credit_hold_reason or "").strip():
                raise ValidationError(self.env._(
                    "Say why %(partner)s is on credit hold: salespeople see the reason when an order is blocked.",
                    partner=partner.display_name,
                ))

    @api.constrains(*RISK_LIMIT_FIELDS.values(), *TOLERANCE_FIELDS)
    def _check_ar_credit_terms(self):
        # company-dependent: the values checked are those of the company being written
        for partner in self.sudo():
            for field in (*self._ar_credit_risk_limit_fields().values(), "ar_credit_overdue_tolerance_amount"):
                value = partner[field]
                if not math.isfinite(value) or value < 0:
                    raise ValidationError(self.env._(
                        "%(field)s of %(partner)s must be a positive amount or 0 (%(value)s).",
                        field=partner._fields[field].string, partner=partner.display_name, value=value))
            days = partner.ar_credit_overdue_tolerance_days
            if not 0 <= days <= MAX_OVERDUE_DAYS:
                raise ValidationError(self.env._(
                    "The overdue tolerance of %(partner)s is between 0 and %(max)s days (%(days)s).",
                    partner=partner.display_name, max=MAX_OVERDUE_DAYS, days=days))

    @api.constrains("credit_limit")
    def _check_ar_credit_limit(self):
        for partner in self.sudo():
            # NaN and infinity pass the comparison below, then fail where they are stored
            if not math.isfinite(partner.credit_limit):
                raise ValidationError(self.env._(
                    "The credit limit of %(partner)s must be a number.", partner=partner.display_name))
            if partner.credit_limit < 0:
                raise ValidationError(self.env._(
                    "The credit limit of %(partner)s cannot be negative (%(limit)s): use 0 for no limit.",
                    partner=partner.display_name, limit=partner.credit_limit,
                ))

    @api.model
    def _ar_credit_risk_limit_fields(self):
        """Limit per risk type: exposure bucket -> field of res.partner (bridges add theirs)."""
        return dict(RISK_LIMIT_FIELDS)

    @api.model
    def _ar_credit_terms_fields(self):
        """What a Credit Manager alone decides for a customer (credit_limit is checked on its own)."""
        return (*self._ar_credit_risk_limit_fields().values(), *TOLERANCE_FIELDS)

    def write(self, vals):
        terms_fields = self._ar_credit_terms_fields()
        if any(field in vals for field in HOLD_FIELDS):
            self._ar_check_credit_manager()
        # Odoo's own limit stays with the Accounting Administrators Odoo gives it to; the terms
        # credit control adds are the Credit Managers' alone
        if any(field in vals for field in terms_fields) or (
                "credit_limit" in vals and not self.env.user.has_group(ODOO_CREDIT_LIMIT_GROUP)):
            self._ar_check_credit_manager(self.env._("Only a Credit Manager can change a credit limit."))
        if "credit_limit" in vals:
            vals = dict(vals, ar_credit_limit_date=fields.Date.context_today(self))
        result = super().write(vals)
        if any(field in vals for field in (*HOLD_FIELDS, *terms_fields, "credit_limit")):
            # at once, not when the transaction ends: the Credit Manager sees the list change
            global_fields = any(field in vals for field in HOLD_FIELDS)
            self.env["ar.credit.hold"]._ar_refresh(self, None if global_fields else self.env.company)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("ar_credit_hold") for vals in vals_list):
            self._ar_check_credit_manager()
        today = fields.Date.context_today(self)
        if any(vals.get(field) for vals in vals_list for field in self._ar_credit_terms_fields()):
            self._ar_check_credit_manager(self.env._("Only a Credit Manager can change a credit limit."))
        vals_list = [dict(vals, ar_credit_limit_date=today) if vals.get("credit_limit") else vals
                     for vals in vals_list]
        partners = super().create(vals_list)
        if any(vals.get(field) for vals in vals_list for field in HOLD_FIELDS):
            self.env["ar.credit.hold"]._ar_refresh(partners)
        return partners

    def _ar_check_credit_manager(self, message=None):
        # Superuser writes (e.g. the dunning escalation run as cron) are trusted.
        if self.env.su:
            return
        if not self.env.user.has_group("ar_collections_credit.group_ar_credit_manager"):
            raise AccessError(message or self.env._(
                "Only a Credit Manager can put a customer on credit hold or lift it."))

    # ------------------------------------------------------------------
    # Exposure
    # ------------------------------------------------------------------

    @api.depends_context("company")
    def _compute_ar_credit_exposure(self):
        company = self.env.company
        exposure = self.commercial_partner_id._ar_credit_exposure(company)
        limits = self.commercial_partner_id._ar_credit_limits(company)
        buckets = (*self._ar_credit_buckets(), "overdue")
        for partner in self:
            figures = exposure[partner.commercial_partner_id.id]
            limit = limits[partner.commercial_partner_id.id]
            partner.ar_credit_currency_id = company.currency_id
            for bucket in buckets:  # ar_credit_open, ar_credit_draft, ... of the bridges' buckets too
                partner[f"ar_credit_{bucket}"] = figures[bucket]
            partner.ar_credit_exposure = figures["total"]
            partner.ar_credit_limit = limit
            partner.ar_credit_available = limit - figures["total"] if limit else 0.0

    @api.depends_context("company")
    def _compute_ar_credit_blocked(self):
        held = set(self.env["ar.credit.hold"].sudo().search([
            ("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id),
        ]).partner_id.ids)
        for partner in self:
            partner.ar_credit_blocked = partner.commercial_partner_id.id in held

    @api.depends_context("company")
    def _compute_ar_credit_suggested_limit(self):
        suggested = self.env["ar.credit.score"]._ar_suggested_limits(self.commercial_partner_id, self.env.company)
        for partner in self:
            partner.ar_credit_suggested_limit = suggested.get(partner.commercial_partner_id.id, 0.0)

    def _ar_credit_limits(self, company):
        """Effective credit limit per commercial partner id in ``company`` (0: no limit)."""
        return {partner.id: partner.credit_limit for partner in self.sudo().with_company(company)}

    @api.model
    def _ar_credit_buckets(self):
        """The exposure buckets added up into the total, with their names for the messages:
        ``{bucket: name}``. Bridges add theirs (``_ar_credit_add_exposure`` fills them)."""
        return {"open": self.env._("open invoices"), "draft": self.env._("draft invoices")}

    def _ar_credit_exposure(self, company, exclude_moves=None):
        """Exposure of these commercial partners in ``company``, in its currency.

        A fixed number of queries whatever the number of partners, invoices or orders:
        returns ``{partner_id: {"open", "overdue", "draft", <the bridges' buckets>, "total"}}``.
        ``exclude_moves`` leaves draft invoices out (the document being checked).
        """
        buckets = self._ar_credit_buckets()
        result = {partner_id: dict.fromkeys((*buckets, "overdue", "total"), 0.0) for partner_id in self.ids}
        if not self:
            return result
        today = fields.Date.context_today(self)
        to_company = self._ar_credit_converter(company, today)
        Line = self.env["account.move.line"].sudo()
        receivable = [
            ("company_id", "=", company.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("partner_id", "in", self.ids),
        ]
        for partner, currency, residual, residual_currency in Line._read_group(
            receivable, ["partner_id", "currency_id"], ["amount_residual:sum", "amount_residual_currency:sum"],
        ):
            result[partner.id]["open"] += to_company(currency, residual, residual_currency)
        for partner, currency, residual, residual_currency in Line._read_group(
            receivable + [("date_maturity", "<", today), ("amount_residual", ">", 0)],
            ["partner_id", "currency_id"], ["amount_residual:sum", "amount_residual_currency:sum"],
        ):
            result[partner.id]["overdue"] += to_company(currency, residual, residual_currency)
        drafts = [
            ("company_id", "=", company.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "draft"),
            ("commercial_partner_id", "in", self.ids),
        ]
        if exclude_moves:
            drafts.append(("id", "not in", exclude_moves.ids))
        for partner, currency, total, total_currency in self.env["account.move"].sudo()._read_group(
            drafts, ["commercial_partner_id", "currency_id"],
            ["amount_total_signed:sum", "amount_total_in_currency_signed:sum"],
        ):
            result[partner.id]["draft"] += to_company(currency, total, total_currency)
        result = self._ar_credit_add_exposure(company, result, to_company)
        for figures in result.values():
            figures["total"] = sum(figures[bucket] for bucket in buckets)
        return result

    def _ar_credit_add_exposure(self, company, result, to_company):
        """Hook: add the bridges' buckets to ``result`` (``{partner_id: {bucket: amount}}``, company
        currency; ``to_company(currency, company_amount, currency_amount)`` converts at today's rate)
        and return it."""
        return result

    def _ar_credit_converter(self, company, date):
        rates = {}

        def to_company(currency, company_amount, currency_amount):
            if not currency or currency == company.currency_id:
                return company_amount
            if currency not in rates:
                rates[currency] = currency._get_conversion_rate(currency, company.currency_id, company, date)
            return company.currency_id.round(currency_amount * rates[currency])

        return to_company

    # ------------------------------------------------------------------
    # Holds
    # ------------------------------------------------------------------

    @api.model
    def _ar_dunning_puts_hold(self):
        """A reminder announcing a hold puts it when sent (ar.dunning.message._ar_put_on_hold)."""
        return True

    def _ar_is_on_hold(self):
        """On hold by a Credit Manager, or flagged by the payment reminders' escalation."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return partner.ar_credit_hold or partner.ar_dunning_hold

    def _ar_credit_hold_message(self, action=None):
        """One sentence that tells a salesperson why this customer is blocked.

        ``action``: what the hold stops, e.g. "validating the delivery" (default: confirming the order).
        """
        self.ensure_one()
        partner = self.commercial_partner_id
        action = action or self.env._("confirming the order")
        if partner.ar_credit_hold:
            return self.env._(
                "%(partner)s is on credit hold (%(reason)s): ask a Credit Manager to lift the hold before %(action)s.",
                partner=partner.display_name,
                reason=partner.ar_credit_hold_reason,
                action=action,
            )
        return self.env._(
            "%(partner)s was flagged for credit hold by the payment reminders (%(reason)s): "
            "ask a Credit Manager to lift the hold before %(action)s.",
            partner=partner.display_name,
            reason=partner.ar_dunning_hold_reason,
            action=action,
        )

    def _ar_credit_type_limits(self, company):
        """Limit per risk type per commercial partner id in ``company`` (0: no limit for that type)."""
        return {
            partner.id: {bucket: partner[field] for bucket, field in self._ar_credit_risk_limit_fields().items()}
            for partner in self.sudo().with_company(company)
        }

    def _ar_credit_late(self, company):
        """Invoices overdue for too long, past each customer's tolerance, by commercial partner id.

        Returns ``{partner_id: (days, invoice count, amount at today's rate, oldest due date, not
        counted)}``: items due more than the company's days plus the customer's tolerance days ago,
        when their amount is above the customer's tolerated amount. Invoices already paid, with the
        payment waiting to be matched (``ar.dunning.engine._get_payments_pending``), are not
        counted: ``not counted`` is ``{invoice name: reason}`` of those.
        """
        overdue_days = company.ar_credit_overdue_days
        if not overdue_days or not self:
            return {}
        today = fields.Date.context_today(self)
        threshold = today - timedelta(days=overdue_days)
        to_company = self._ar_credit_converter(company, today)
        partners = self.sudo().with_company(company)
        tolerance = {partner.id: partner.ar_credit_overdue_tolerance_days for partner in partners}
        rows = [
            row for row in self.env["account.move.line"].sudo()._read_group(
                [
                    ("company_id", "=", company.id),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", ">", 0),
                    ("partner_id", "in", partners.ids),
                    ("date_maturity", "<", threshold),
                ],
                ["partner_id", "currency_id", "move_id", "date_maturity:day"],
                ["amount_residual:sum", "amount_residual_currency:sum"],
            )
            if row[3] < threshold - timedelta(days=tolerance.get(row[0].id, 0))
        ]
        # the same signal as the reminders' pause: the money is in, only its matching is pending
        paid = self.env["ar.dunning.engine"]._get_payments_pending(
            self.env["account.move"].sudo().union(*(row[2] for row in rows)), today) if rows else {}
        late, not_counted = {}, defaultdict(dict)
        for partner, currency, move, due, residual, residual_currency in rows:
            if move.id in paid:
                not_counted[partner.id][move.name] = paid[move.id]
                continue
            moves, amount, oldest = late.get(partner.id, (set(), 0.0, due))
            late[partner.id] = (moves | {move.id}, amount + to_company(currency, residual, residual_currency),
                                min(oldest, due))
        currency = company.currency_id
        return {
            partner.id: (overdue_days + partner.ar_credit_overdue_tolerance_days, len(late[partner.id][0]),
                         late[partner.id][1], late[partner.id][2], dict(not_counted[partner.id]))
            for partner in partners
            if partner.id in late
            and currency.compare_amounts(late[partner.id][1], partner.ar_credit_overdue_tolerance_amount) > 0
        }

    def _ar_credit_hold_reasons(self, company, amounts=None, labels=None, exclude_moves=None, action=None,
                                bucket=None):
        """Every reason why new exposure for these commercial partners is refused in ``company``.

        ``amounts``: ``{partner_id: amount added by the document(s), in company currency}``, counted
        in the exposure ``bucket`` ("open", "draft", a bridge's, None: none); ``labels``: ``{partner_id: the
        documents' names}``; ``action``: what the hold stops, for the messages.
        Returns ``({partner_id: [reason]}, exposure)`` for blocked partners only; a reason is a dict:
        ``reason`` (an ``ar.credit.hold`` reason), ``manual`` (only a Credit Manager lifts it),
        ``message`` (for the salesperson), ``detail`` (for the hold list), ``amount`` (by how much
        the limit is exceeded, or the amount overdue too long), ``figure`` and ``limit``.
        All figures in company currency, receivables at today's rate (see ``_ar_credit_exposure``).
        """
        partners = self.sudo()
        amounts, labels = amounts or {}, labels or {}
        result = {}
        exposure = partners._ar_credit_exposure(company, exclude_moves=exclude_moves)
        limits = partners._ar_credit_limits(company)
        type_limits = partners._ar_credit_type_limits(company)
        late = partners._ar_credit_late(company)
        currency = company.currency_id

        def money(amount):
            return formatLang(self.env, amount, currency_obj=currency)

        total_buckets = self._ar_credit_buckets()
        bucket_names = {**total_buckets, "overdue": self.env._("overdue invoices")}

        def breakdown(figures):
            return ", ".join(f"{name} {money(figures[key])}" for key, name in total_buckets.items())
        for partner in partners:
            reasons = []
            if partner.ar_credit_hold:
                reasons.append({
                    "reason": "manual", "manual": True, "message": partner._ar_credit_hold_message(action),
                    "detail": partner.ar_credit_hold_reason, "amount": 0.0, "figure": 0.0, "limit": 0.0,
                })
            if partner.ar_dunning_hold:
                # under a manual hold too, the salesperson is told about the manual one only
                reasons.append({
                    "reason": "dunning", "manual": False,
                    "message": not partner.ar_credit_hold and partner._ar_credit_hold_message(action),
                    "detail": partner.ar_dunning_hold_reason, "amount": 0.0, "figure": 0.0, "limit": 0.0,
                })
            if partner.id in late:
                days, count, amount, oldest, not_counted = late[partner.id]
                message = self.env._(
                    "%(partner)s has %(count)s invoice(s) overdue by more than %(days)s days "
                    "(%(amount)s, the oldest due on %(oldest)s).",
                    partner=partner.display_name, count=count, days=days,
                    amount=money(amount), oldest=format_date(self.env, oldest),
                )
                if not_counted:
                    message += " " + self.env._(
                        "Not counted, paid and being matched: %(invoices)s.",
                        invoices="; ".join(f"{name} ({reason})" for name, reason in sorted(not_counted.items())),
                    )
                reasons.append({
                    "reason": "overdue", "manual": False, "message": message, "detail": message,
                    "amount": amount, "figure": amount,
                    "limit": partner.with_company(company).ar_credit_overdue_tolerance_amount,
                })
            figures = exposure[partner.id]
            added = amounts.get(partner.id, 0.0)
            document = labels.get(partner.id)
            limit = limits[partner.id]
            if limit and added >= 0 and currency.compare_amounts(figures["total"] + added, limit) > 0:
                current = self.env._(
                    "the credit exposure of %(partner)s is %(total)s, over its credit limit of %(limit)s "
                    "(%(breakdown)s).",
                    partner=partner.display_name, total=money(figures["total"]), limit=money(limit),
                    breakdown=breakdown(figures),
                )
                if currency.is_zero(added):
                    # a delivery adds no exposure, but ships goods to a customer already over its limit
                    message = f"{document}: {current}" if document else current[:1].upper() + current[1:]
                else:
                    message = self.env._(
                        "%(document)s (%(added)s) would bring the credit exposure of %(partner)s to %(total)s, "
                        "over its credit limit of %(limit)s (%(breakdown)s).",
                        document=document or "", added=money(added), partner=partner.display_name,
                        total=money(figures["total"] + added), limit=money(limit), breakdown=breakdown(figures),
                    )
                reasons.append({
                    "reason": "limit", "manual": False, "message": message,
                    "detail": current[:1].upper() + current[1:], "amount": figures["total"] + added - limit,
                    "figure": figures["total"] + added, "limit": limit,
                })
            for risk, limit in type_limits[partner.id].items():
                added_here = added if risk == bucket and added >= 0 else 0.0
                if not limit or currency.compare_amounts(figures[risk] + added_here, limit) <= 0:
                    continue
                current = self.env._(
                    "The %(risk)s of %(partner)s amount to %(total)s, over their own limit of %(limit)s.",
                    risk=bucket_names[risk], partner=partner.display_name, total=money(figures[risk]),
                    limit=money(limit),
                )
                message = current
                if not currency.is_zero(added_here):
                    message = self.env._(
                        "%(document)s (%(added)s) would bring the %(risk)s of %(partner)s to %(total)s, "
                        "over their own limit of %(limit)s.",
                        document=document or "", added=money(added_here), risk=bucket_names[risk],
                        partner=partner.display_name, total=money(figures[risk] + added_here), limit=money(limit),
                    )
                reasons.append({
                    "reason": f"limit_{risk}", "manual": False, "message": message, "detail": current,
                    "amount": figures[risk] + added_here - limit, "figure": figures[risk] + added_here,
                    "limit": limit,
                })
            if reasons:
                result[partner.id] = reasons
        return result, exposure

    def _ar_credit_blocks(self, company, amounts, labels, exclude_moves=None, action=None, bucket=None):
        """Why new exposure for these commercial partners must be refused.

        ``amounts``: ``{partner_id: amount added by the document(s), in company currency}``, added to
        the exposure ``bucket``; ``labels``: ``{partner_id: the documents' names, e.g. "Order S00012"}``.
        ``action``: what is being done, for the hold messages (default: confirming the order).
        Returns ``{partner_id: {"manual": [sentences], "automatic": [sentences], "overdue": amount}}``
        for blocked partners only: a manual hold needs a Credit Manager to lift it, automatic holds
        can be passed with an approved credit release (or by paying what is overdue). Query count
        does not depend on invoice count.
        """
        reasons, exposure = self._ar_credit_hold_reasons(
            company, amounts, labels, exclude_moves=exclude_moves, action=action, bucket=bucket)
        return {
            partner_id: {
                "manual": [reason["message"] for reason in items if reason["manual"]],
                "automatic": [reason["message"] for reason in items if not reason["manual"] and reason["message"]],
                "overdue": exposure[partner_id]["overdue"],
            }
            for partner_id, items in reasons.items()
        }

    def _ar_credit_enforce(self, company, amounts, labels, documents, exclude_moves=None):
        """Refuse (UserError) unless every blocked partner has an approved credit release for it.

        ``documents``: the records being confirmed, noted on the release they use. Until a Credit
        Manager turns blocking on for the company, only manual holds refuse: the other reasons warn,
        as Odoo's own credit limit does (on the quotation, the customer and the hold list).
        """
        blocks = self._ar_credit_blocks(
            company, amounts, labels, exclude_moves=exclude_moves, action=documents._ar_credit_action(),
            bucket=documents._ar_credit_bucket())
        if not company.ar_credit_block:
            blocks = {partner_id: reasons for partner_id, reasons in blocks.items() if reasons["manual"]}
        if not blocks:
            return
        self.env["ar.credit.release"]._ar_pass_or_raise(blocks, company, amounts, documents)

    def action_ar_lift_credit_hold(self):
        """Lift the credit hold and the reminders' hold flag (Credit Managers only)."""
        self.write({
            "ar_credit_hold": False, "ar_credit_hold_reason": False,
            "ar_dunning_hold": False, "ar_dunning_hold_reason": False,
        })
        return True

    def action_ar_credit_recompute_score(self):
        """Recompute the payment score of these customers now."""
        self.env["ar.credit.score"]._ar_compute_scores(self.commercial_partner_id)
        return True

    def action_ar_credit_mark_reviewed(self):
        """Record a credit review: the score and limit are confirmed as of today (Credit Managers only)."""
        self._ar_check_credit_manager(self.env._("Only a Credit Manager can record a credit review."))
        self.env["ar.credit.score"]._ar_mark_reviewed(self.commercial_partner_id)
        return True

    def action_ar_credit_apply_suggested_limit(self):
        """Set the credit limit to the suggested one (Credit Managers only)."""
        self._ar_apply_suggested_limits(self.env._("applied from the customer"))
        return True

    def action_ar_credit_review_suggested_limits(self):
        """Open the review of the suggested limits of these customers (all scored ones without a selection)."""
        self._ar_check_credit_manager(self.env._("Only a Credit Manager can review credit limits."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Suggested Credit Limits"),
            "res_model": "ar.credit.limit.review",
            "view_mode": "form",
            "target": "current",
            "context": {"active_model": "res.partner", "active_ids": self.ids},
        }

    def _ar_apply_suggested_limits(self, how):
        """Set the credit limit of these customers in the current company to the suggested one,
        logged on each customer's chatter (Credit Managers only).

        ``how``: how the change was decided, for the log. A customer without a suggestion (never
        scored, or scored too low) is refused: a limit of 0 would mean no limit at all.
        """
        self._ar_check_credit_manager(self.env._("Only a Credit Manager can change a credit limit."))
        company = self.env.company
        partners = self.commercial_partner_id
        suggested = self.env["ar.credit.score"]._ar_suggested_limits(partners, company)
        missing = partners.filtered(lambda partner: not suggested.get(partner.id))
        if missing:
            raise UserError(self.env._(
                "There is no suggested limit for %(partners)s (a limit of 0 means no limit): "
                "set their limit by hand, or leave them out.",
                partners=", ".join(missing.mapped("display_name"))))
        currency = company.currency_id
        before = {partner.id: partner.sudo().credit_limit for partner in partners}
        by_limit = defaultdict(lambda: self.browse())
        for partner in partners:
            by_limit[suggested[partner.id]] |= partner
        for limit, group in by_limit.items():
            group.write({"credit_limit": limit})
        for partner in partners:
            partner.message_post(body=self.env._(
                "Credit limit in %(company)s set from %(old)s to the suggested %(new)s (payment score %(score)s), "
                "%(how)s by %(user)s.",
                company=company.name, old=formatLang(self.env, before[partner.id], currency_obj=currency),
                new=formatLang(self.env, suggested[partner.id], currency_obj=currency),
                score=partner.sudo().ar_credit_score, how=how, user=self.env.user.name,
            ))
        return partners
