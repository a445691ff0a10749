import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, format_date
from odoo.tools.misc import formatLang

HOLD_FIELDS = ("ar_credit_hold", "ar_credit_hold_reason", "ar_dunning_hold", "ar_dunning_hold_reason")
CREDIT_READERS = "sales_team.group_sale_salesman,account.group_account_invoice,account.group_account_readonly"
EXPOSURE_KEYS = ("open", "overdue", "draft", "orders", "total")


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

    # Exposure, in the current company's currency (foreign amounts at today's rate).
    ar_credit_currency_id = fields.Many2one("res.currency", compute="_compute_ar_credit_exposure",
                                            groups=CREDIT_READERS)
    ar_credit_open = fields.Monetary(
        string="Open receivables", compute="_compute_ar_credit_exposure", currency_field="ar_credit_currency_id",
        groups=CREDIT_READERS, help="Posted invoices not yet paid, less credit notes and unapplied payments.")
    ar_credit_overdue = fields.Monetary(
        string="Of which overdue", compute="_compute_ar_credit_exposure", currency_field="ar_credit_currency_id",
        groups=CREDIT_READERS)
    ar_credit_draft = fields.Monetary(
        string="Draft invoices", compute="_compute_ar_credit_exposure", currency_field="ar_credit_currency_id",
        groups=CREDIT_READERS)
    ar_credit_orders = fields.Monetary(
        string="Orders not yet invoiced", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="Confirmed sale orders, taxes included, for the part not on an invoice yet.")
    ar_credit_exposure = fields.Monetary(
        string="Credit exposure", compute="_compute_ar_credit_exposure", currency_field="ar_credit_currency_id",
        groups=CREDIT_READERS, help="Open receivables + draft invoices + orders not yet invoiced.")
    ar_credit_limit = fields.Monetary(
        string="Effective credit limit", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="The customer's own limit, else the company's default. 0 means no limit.")
    ar_credit_available = fields.Monetary(
        string="Available credit", compute="_compute_ar_credit_exposure", currency_field="ar_credit_currency_id",
        groups=CREDIT_READERS)
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

    def write(self, vals):
        if any(field in vals for field in HOLD_FIELDS):
            self._ar_check_credit_manager()
        if "credit_limit" in vals:
            self._ar_check_credit_manager(self.env._("Only a Credit Manager can change a credit limit."))
        if "credit_limit" in vals:
            vals = dict(vals, ar_credit_limit_date=fields.Date.context_today(self))
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("ar_credit_hold") for vals in vals_list):
            self._ar_check_credit_manager()
        today = fields.Date.context_today(self)
        vals_list = [dict(vals, ar_credit_limit_date=today) if vals.get("credit_limit") else vals
                     for vals in vals_list]
        return super().create(vals_list)

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
        for partner in self:
            figures = exposure[partner.commercial_partner_id.id]
            limit = limits[partner.commercial_partner_id.id]
            partner.ar_credit_currency_id = company.currency_id
            partner.ar_credit_open = figures["open"]
            partner.ar_credit_overdue = figures["overdue"]
            partner.ar_credit_draft = figures["draft"]
            partner.ar_credit_orders = figures["orders"]
            partner.ar_credit_exposure = figures["total"]
            partner.ar_credit_limit = limit
            partner.ar_credit_available = limit - figures["total"] if limit else 0.0

    @api.depends_context("company")
    def _compute_ar_credit_suggested_limit(self):
        suggested = self.env["ar.credit.score"]._ar_suggested_limits(self.commercial_partner_id, self.env.company)
        for partner in self:
            partner.ar_credit_suggested_limit = suggested.get(partner.commercial_partner_id.id, 0.0)

    def _ar_credit_limits(self, company):
        """Effective credit limit per commercial partner id in ``company`` (0: no limit)."""
        return {partner.id: partner.credit_limit for partner in self.sudo().with_company(company)}

    def _ar_credit_exposure(self, company, exclude_moves=None):
        """Exposure of these commercial partners in ``company``, in its currency.

        A fixed number of queries whatever the number of partners, invoices or orders:
        returns ``{partner_id: {"open", "overdue", "draft", "orders", "total"}}``.
        ``exclude_moves`` leaves draft invoices out (the document being checked).
        """
        result = {partner_id: dict.fromkeys(EXPOSURE_KEYS, 0.0) for partner_id in self.ids}
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
        for partner_id, currency_id, amount in self._ar_uninvoiced_orders(company):
            currency = self.env["res.currency"].browse(currency_id)
            result[partner_id]["orders"] += to_company(currency, amount, amount)
        for figures in result.values():
            figures["total"] = figures["open"] + figures["draft"] + figures["orders"]
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

    def _ar_uninvoiced_orders(self, company):
        """(commercial partner id, currency id, amount) of confirmed orders still to invoice, taxes included."""
        if "sale.order" not in self.env:
            return []
        # sale.order.line.amount_to_invoice is not stored (computed line by line); the stored untaxed
        # amount scaled by the line's tax ratio keeps the credit check at one query. Odoo's "to invoice"
        # ignores draft invoices, which are counted as draft invoices already: take them out here.
        self.env["sale.order.line"].flush_model(
            ["order_id", "untaxed_amount_to_invoice", "price_total", "price_subtotal", "invoice_lines"])
        self.env["sale.order"].flush_model(["state", "company_id", "partner_invoice_id", "currency_id"])
        self.env["account.move.line"].flush_model(["move_id", "price_subtotal"])
        self.env["account.move"].flush_model(["state", "move_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env.cr.execute(SQL(
            """
            SELECT invoice_partner.commercial_partner_id, so.currency_id,
                   SUM((sol.untaxed_amount_to_invoice - COALESCE(drafted.amount, 0))
                       * CASE WHEN sol.price_subtotal <> 0 THEN sol.price_total / sol.price_subtotal ELSE 1 END)
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner invoice_partner ON invoice_partner.id = so.partner_invoice_id
              LEFT JOIN LATERAL (
                    SELECT SUM(CASE WHEN move.move_type = 'out_refund' THEN -aml.price_subtotal
                                    ELSE aml.price_subtotal END) AS amount
                      FROM sale_order_line_invoice_rel rel
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                      JOIN account_move move ON move.id = aml.move_id
                     WHERE rel.order_line_id = sol.id AND move.state = 'draft'
                   ) drafted ON TRUE
             WHERE so.state = 'sale'
               AND so.company_id = %(company)s
               AND invoice_partner.commercial_partner_id = ANY(%(partners)s)
               AND sol.untaxed_amount_to_invoice <> 0
          GROUP BY 1, 2
            """,
            company=company.id, partners=self.ids,
        ))
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------
    # Holds
    # ------------------------------------------------------------------

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

    def _ar_credit_blocks(self, company, amounts, labels, exclude_moves=None, action=None):
        """Why new exposure for these commercial partners must be refused.

        ``amounts``: ``{partner_id: amount added by the document(s), in company currency}``;
        ``labels``: ``{partner_id: the documents' names, e.g. "Order S00012"}``.
        ``action``: what is being done, for the hold messages (default: confirming the order).
        Returns ``{partner_id: {"manual": [sentences], "automatic": [sentences], "overdue": amount}}``
        for blocked partners only: a manual hold needs a Credit Manager to lift it, automatic holds
        can be passed with an approved credit release (or by paying what is overdue). Query count
        does not depend on invoice count.
        """
        partners = self.sudo()
        result = {}
        exposure = partners._ar_credit_exposure(company, exclude_moves=exclude_moves)
        limits = partners._ar_credit_limits(company)
        overdue_days = company.ar_credit_overdue_days
        late = {}
        if overdue_days:
            today = fields.Date.context_today(self)
            late = {
                partner.id: (count, amount, oldest)
                for partner, count, amount, oldest in self.env["account.move.line"].sudo()._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("account_type", "=", "asset_receivable"),
                        ("parent_state", "=", "posted"),
                        ("reconciled", "=", False),
                        ("amount_residual", ">", 0),
                        ("partner_id", "in", partners.ids),
                        ("date_maturity", "<", today - timedelta(days=overdue_days)),
                    ],
                    ["partner_id"], ["move_id:count_distinct", "amount_residual:sum", "date_maturity:min"],
                )
            }
        currency = company.currency_id

        def money(amount):
            return formatLang(self.env, amount, currency_obj=currency)

        for partner in partners:
            manual, automatic = [], []
            if partner.ar_credit_hold or partner.ar_dunning_hold:
                (manual if partner.ar_credit_hold else automatic).append(partner._ar_credit_hold_message(action))
            if partner.id in late:
                count, amount, oldest = late[partner.id]
                automatic.append(self.env._(
                    "%(partner)s has %(count)s invoice(s) overdue by more than %(days)s days "
                    "(%(amount)s, the oldest due on %(oldest)s).",
                    partner=partner.display_name, count=count, days=overdue_days,
                    amount=money(amount), oldest=format_date(self.env, oldest),
                ))
            limit = limits[partner.id]
            figures = exposure[partner.id]
            added = amounts.get(partner.id, 0.0)
            over = limit and added >= 0 and currency.compare_amounts(figures["total"] + added, limit) > 0
            if over and currency.is_zero(added):
                # a delivery adds no exposure, but ships goods to a customer already over its limit
                automatic.append(self.env._(
                    "%(document)s: the credit exposure of %(partner)s is %(total)s, over its credit limit of "
                    "%(limit)s (open invoices %(open)s, draft invoices %(draft)s, orders not yet invoiced %(orders)s).",
                    document=labels.get(partner.id, ""), partner=partner.display_name,
                    total=money(figures["total"]), limit=money(limit), open=money(figures["open"]),
                    draft=money(figures["draft"]), orders=money(figures["orders"]),
                ))
            elif over:
                automatic.append(self.env._(
                    "%(document)s (%(added)s) would bring the credit exposure of %(partner)s to %(total)s, "
                    "over its credit limit of %(limit)s (open invoices %(open)s, draft invoices %(draft)s, "
                    "orders not yet invoiced %(orders)s).",
                    document=labels.get(partner.id, ""), added=money(added), partner=partner.display_name,
                    total=money(figures["total"] + added), limit=money(limit), open=money(figures["open"]),
                    draft=money(figures["draft"]), orders=money(figures["orders"]),
                ))
            if manual or automatic:
                result[partner.id] = {"manual": manual, "automatic": automatic, "overdue": figures["overdue"]}
        return result

    def _ar_credit_enforce(self, company, amounts, labels, documents, exclude_moves=None):
        """Refuse (UserError) unless every blocked partner has an approved credit release for it.

        ``documents``: the records being confirmed, noted on the release they use.
        """
        blocks = self._ar_credit_blocks(
            company, amounts, labels, exclude_moves=exclude_moves, action=documents._ar_credit_action())
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
        self._ar_check_credit_manager(self.env._("Only a Credit Manager can change a credit limit."))
        for partner in self.commercial_partner_id:
            partner.credit_limit = partner.ar_credit_suggested_limit
        return True
