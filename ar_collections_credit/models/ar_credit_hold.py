import logging

from odoo import api, fields, models
from odoo.tools import float_compare

_logger = logging.getLogger(__name__)

HOLD_REASONS = [
    ("manual", "Manual hold"),
    ("dunning", "Flagged by the payment reminders"),
    ("overdue", "Invoices overdue too long"),
    ("limit", "Over the credit limit"),
    ("limit_open", "Open invoices over their limit"),
    ("limit_draft", "Draft invoices over their limit"),
    ("limit_overdue", "Overdue invoices over their limit"),
]
# Partners whose holds change with the documents of a transaction, refreshed when it commits
TODO_KEY = "ar_collections_credit.hold_refresh"
BATCH_SIZE = 1000


class ArCreditHold(models.Model):
    """Why a customer is blocked now in a company: one record per reason.

    Written by the application only (``_ar_refresh``), from the same rules as the check that
    refuses orders, invoices and deliveries (``res.partner._ar_credit_hold_reasons``): when a
    customer's invoices, orders, limits or holds change, and every day for the passing of time.
    A record appears when a customer gets blocked for a reason and disappears when the reason
    goes, so automation rules can act on its creation.
    """

    _name = "ar.credit.hold"
    _description = "Customer on credit hold"
    _order = "company_id, partner_id, reason"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    reason = fields.Selection(HOLD_REASONS, required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(
        string="Amount over", readonly=True,
        help="By how much the limit is exceeded; for invoices overdue too long, their amount. "
        "Company currency, foreign amounts at today's rate.")
    figure = fields.Monetary(string="Exposure", readonly=True,
                             help="The figure compared with the limit (company currency, today's rate).")
    limit = fields.Monetary(readonly=True,
                            help="The limit exceeded; for invoices overdue too long, the customer's tolerated amount.")
    detail = fields.Char(readonly=True)
    date = fields.Date(string="Held since", readonly=True, default=fields.Date.context_today)
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    ar_credit_score = fields.Integer(related="partner_id.ar_credit_score", string="Payment score")

    def action_ar_lift_hold(self):
        """Lift the manual hold and the reminders' flag of these customers (Credit Managers only)."""
        self.partner_id.action_ar_lift_credit_hold()
        return True

    @api.model
    def _ar_refresh(self, partners, companies=None):
        """Recompute the holds of these customers in ``companies`` (default: every company).

        Writes only what changed: a hold that goes on keeps its record and its date.
        """
        partners = partners.sudo().exists().commercial_partner_id
        if not partners:
            return self.browse()
        Hold = self.sudo()
        companies = (companies or self.env["res.company"].sudo().search([])).sudo()
        existing = Hold.search([("partner_id", "in", partners.ids), ("company_id", "in", companies.ids)],
                               order="id")
        # No unique constraint: two transactions blocking the same customer at once would fail at
        # commit. Both records are kept then, and the next refresh removes the second one.
        current = {}
        for hold in existing:
            current.setdefault((hold.partner_id.id, hold.company_id.id, hold.reason), hold)
        duplicates = existing - Hold.union(*current.values())
        kept, to_create = set(), []
        for company in companies:
            # a customer of another company alone is never sold to here
            in_company = partners.filtered(lambda partner, c=company: not partner.company_id or partner.company_id == c)
            reasons, _exposure = in_company.with_company(company)._ar_credit_hold_reasons(company)
            rounding = company.currency_id.rounding
            for partner_id, items in reasons.items():
                for item in items:
                    key = (partner_id, company.id, item["reason"])
                    vals = {"amount": item["amount"], "figure": item["figure"], "limit": item["limit"],
                            "detail": item["detail"]}
                    hold = current.get(key)
                    if not hold:
                        to_create.append({"partner_id": partner_id, "company_id": company.id,
                                          "reason": item["reason"], **vals})
                        continue
                    kept.add(key)
                    changes = {
                        name: value for name, value in vals.items()
                        if (float_compare(hold[name], value, precision_rounding=rounding)
                            if isinstance(value, float) else hold[name] != value)
                    }
                    if changes:
                        hold.write(changes)
        (duplicates | Hold.browse([hold.id for key, hold in current.items() if key not in kept])).unlink()
        created = Hold.create(to_create)
        self.env.flush_all()
        return created

    @api.model
    def _ar_refresh_later(self, partners, company=None):
        """Refresh the holds of these customers in ``company`` (None: all) when the transaction commits.

        Documents change many times in a transaction (an invoice is created, its lines written,
        then posted): the customers are gathered and refreshed once.
        """
        partner_ids = partners.sudo().commercial_partner_id.ids
        if not partner_ids:
            return
        precommit = self.env.cr.precommit
        if TODO_KEY not in precommit.data:
            precommit.data[TODO_KEY] = {}
            precommit.add(self._ar_refresh_pending)
        precommit.data[TODO_KEY].setdefault(company.id if company else None, set()).update(partner_ids)

    def _ar_refresh_pending(self):
        todo = self.env.cr.precommit.data.pop(TODO_KEY, {})
        everywhere = todo.pop(None, set())
        if everywhere:
            self._ar_refresh(self.env["res.partner"].browse(everywhere))
        for company_id, partner_ids in todo.items():
            partner_ids -= everywhere
            if partner_ids:
                self._ar_refresh(self.env["res.partner"].browse(partner_ids), self.env["res.company"].browse(company_id))

    @api.model
    def _ar_candidates(self, company):
        """Customers that may be blocked in ``company``: with receivables, draft invoices, a hold,
        or blocked today (and those the bridges add: orders not invoiced with Sales)."""
        Line = self.env["account.move.line"].sudo()
        partner_ids = {partner.id for [partner] in Line._read_group(
            [("company_id", "=", company.id), ("account_type", "=", "asset_receivable"),
             ("parent_state", "=", "posted"), ("reconciled", "=", False)], ["partner_id"])}
        partner_ids |= {partner.id for [partner] in self.env["account.move"].sudo()._read_group(
            [("company_id", "=", company.id), ("move_type", "in", ("out_invoice", "out_refund")),
             ("state", "=", "draft")], ["commercial_partner_id"])}
        partner_ids |= set(self.env["res.partner"].sudo().search(
            ["|", ("ar_credit_hold", "=", True), ("ar_dunning_hold", "=", True)]).ids)
        partner_ids |= set(self.sudo().search([("company_id", "=", company.id)]).partner_id.ids)
        return self.env["res.partner"].sudo().browse(partner_ids).exists().commercial_partner_id

    @api.model
    def _ar_refresh_all(self):
        """Recompute every hold of every company (install, settings changes, the daily run)."""
        count = 0
        for company in self.env["res.company"].sudo().search([]):
            partners = self._ar_candidates(company)
            for start in range(0, len(partners), BATCH_SIZE):
                self._ar_refresh(partners[start:start + BATCH_SIZE], company)
            count += len(partners)
        return count

    @api.model
    def _cron_refresh_holds(self):
        """Scheduled action: invoices fall overdue with the passing of days; refresh every hold."""
        count = self._ar_refresh_all()
        _logger.info("Credit holds: %s customers checked, %s on hold", count, self.sudo().search_count([]))
        return count
