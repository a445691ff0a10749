import hashlib
import json
import re
import secrets
import time
from datetime import timedelta
from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import consteq
from odoo.tools import hmac as odoo_hmac

from odoo.addons.ar_collections.const import OPEN_PAYMENT_STATES

# "<commercial partner id>-<expiry, UTC epoch seconds>-<HMAC-SHA256 hex>"
STATEMENT_TOKEN_RE = re.compile(r"([0-9]{1,12})-([0-9]{1,12})-([0-9a-f]{64})")
STATEMENT_TOKEN_SCOPE = "ar_statement"
# How far back the statement lists the customer's payments.
PAYMENT_HISTORY_DAYS = 365
STATEMENT_FILTERS = ("all", "overdue", "due")


class ResPartner(models.Model):
    _inherit = "res.partner"

    ar_statement_salt = fields.Char(
        string="Statement link secret", groups="base.group_system", copy=False,
        help="Part of the signature of the statement links sent to this customer; set with the first "
             "link, changed to revoke every link sent so far.",
    )

    # ------------------------------------------------------------------
    # Signed statement links
    # ------------------------------------------------------------------

    def _ar_statement_signature(self, expiry):
        """HMAC of (commercial partner, expiry, the partner's salt) with the database secret."""
        self.ensure_one()
        partner = self.sudo()
        return odoo_hmac(self.env(su=True), STATEMENT_TOKEN_SCOPE, (partner.id, int(expiry), partner.ar_statement_salt))

    def _ar_statement_access_token(self, company=None):
        """A signed token opening the statement of this customer's commercial partner
        without a login, valid for the company's ``ar_portal_token_days``."""
        self.ensure_one()
        partner = self.commercial_partner_id.sudo()
        if not partner.ar_statement_salt:
            partner.ar_statement_salt = secrets.token_hex(16)
        company = company or self.env.company
        expiry = int(time.time()) + company.ar_portal_token_days * 86400
        return f"{partner.id}-{expiry}-{partner._ar_statement_signature(expiry)}"

    def _ar_statement_url(self, company=None):
        """Full URL of this customer's statement, signed: it opens without a login until
        it expires or the links are revoked."""
        self.ensure_one()
        company = company or self.env.company
        query = urlencode({"access_token": self._ar_statement_access_token(company)})
        return f"{company.get_base_url()}/my/statement?{query}"

    @api.model
    def _ar_statement_partner_from_token(self, access_token):
        """The commercial partner (sudo) a valid, unexpired statement token opens; an empty
        recordset for anything else (malformed, tampered, expired, revoked)."""
        empty = self.browse()
        if not isinstance(access_token, str) or len(access_token) > 100:
            return empty
        match = STATEMENT_TOKEN_RE.fullmatch(access_token)
        if not match:
            return empty
        partner_id, expiry, signature = int(match[1]), int(match[2]), match[3]
        if expiry <= time.time():
            return empty
        partner = self.sudo().browse(partner_id).exists()
        if not partner or not partner.active or partner != partner.commercial_partner_id \
                or not partner.ar_statement_salt:
            return empty
        if not consteq(partner._ar_statement_signature(expiry), signature):
            return empty
        return partner

    def action_ar_revoke_statement_links(self):
        """Revoke every statement link sent to these customers and every link the statements
        handed out: the invoice and credit note links carry the documents' own access tokens,
        which are cleared (Odoo sets new ones when a link is next built). New links work."""
        if not self.env.su and not self.env.user.has_group("ar_collections.group_ar_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can revoke statement links."))
        partners = self.commercial_partner_id.sudo()
        self.env["account.move"].sudo().search([
            ("commercial_partner_id", "in", partners.ids),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("access_token", "!=", False),
        ]).write({"access_token": False})
        for partner in partners:
            partner.ar_statement_salt = secrets.token_hex(16)
            partner.message_post(body=self.env._(
                "Statement links revoked: the links sent so far no longer open the statement, nor the "
                "invoices and credit notes it listed (their links in earlier emails stop working too)."))
        return True

    # ------------------------------------------------------------------
    # Statement of account
    # ------------------------------------------------------------------

    def _ar_statement_domain(self):
        """Open posted invoices and credit notes of this commercial partner, every company."""
        self.ensure_one()
        return [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("payment_state", "in", OPEN_PAYMENT_STATES),
        ]

    def _ar_statement_data(self, filterby="all"):
        """What the statement of this commercial partner shows, in the caller's environment
        (the portal passes a sudo partner: every company; the back office its own companies).

        :param filterby: ``all`` (every open document), ``overdue`` (invoices past their due
            date) or ``due`` (invoices not yet due); totals always cover every open document
        :return: dict with ``partner``, ``today``, ``groups`` (one per company and currency:
            ``company``, ``currency``, ``lines``, ``open``, ``overdue``, ``overdue_invoices`` and
            ``overdue_payable`` (the overdue invoices neither in dispute nor in an active payment
            plan, and their open amount), ``has_invoice_lines``)
            and ``payments`` (customer payments of the last 12 months, newest first)
        """
        self.ensure_one()
        partner = self.commercial_partner_id
        today = fields.Date.context_today(self)
        moves = self.env["account.move"].search(
            partner._ar_statement_domain(), order="company_id, currency_id, invoice_date_due, id")
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice")
        # The portal user cannot read disputes and promises: only which invoices have one is read.
        disputed = set(self.env["ar.dispute"].sudo().search(
            [("is_open", "=", True), ("invoice_ids", "in", invoices.ids)]).invoice_ids.ids)
        # Invoices of an approved plan in force are paid by instalments, not chased as overdue.
        planned = set(self.env["ar.payment.plan"].sudo().search(
            [("state", "=", "active"), ("invoice_ids", "in", invoices.ids)]).invoice_ids.ids)
        promised = {}
        for promise in self.env["ar.promise"].sudo().search(
                [("state", "=", "open"), ("invoice_ids", "in", invoices.ids)], order="promised_date desc"):
            for invoice_id in promise.invoice_ids.ids:
                promised[invoice_id] = promise.promised_date
        groups = {}
        for move in moves:
            group = groups.get((move.company_id, move.currency_id))
            if group is None:
                group = groups[move.company_id, move.currency_id] = {
                    "company": move.company_id, "currency": move.currency_id, "lines": [],
                    "open": 0.0, "overdue": 0.0, "overdue_invoices": self.env["account.move"], "overdue_payable": 0.0,
                    "has_invoice_lines": False,
                }
            line = partner._ar_statement_line(move, today, disputed, promised, planned)
            group["open"] += line["residual"]
            if line["overdue"]:
                group["overdue"] += line["residual"]
                # "Pay all overdue" leaves out what the customer disputes or pays by instalments;
                # each can still be paid on its own.
                if line["status"] not in ("dispute", "plan"):
                    group["overdue_invoices"] |= move
                    group["overdue_payable"] += line["residual"]
            if filterby == "all" or (filterby == "overdue" and line["overdue"]) or \
                    (filterby == "due" and line["is_invoice"] and not line["overdue"]):
                group["lines"].append(line)
                group["has_invoice_lines"] |= line["is_invoice"]
        payments = self.env["account.payment"].search([
            ("partner_id", "child_of", partner.id),
            ("partner_type", "=", "customer"),
            ("payment_type", "=", "inbound"),
            ("state", "in", ("in_process", "paid")),
            ("date", ">=", today - timedelta(days=PAYMENT_HISTORY_DAYS)),
        ], order="date desc, id desc")
        return {
            "partner": partner,
            "today": today,
            "filterby": filterby,
            "groups": list(groups.values()),
            "payments": payments,
        }

    def _ar_statement_state_key(self):
        """A digest of everything the statement of this commercial partner shows: its open
        documents (ids, open amounts, statuses, last changes), its payments, the day (the days
        overdue) and the language. Two renderings with the same key are the same document."""
        self.ensure_one()
        data = self._ar_statement_data()
        partner = data["partner"]
        state = {
            "partner": [partner.id, str(partner.write_date), partner.lang, self.env.lang],
            "today": str(data["today"]),
            "lines": [[line["move"].id, str(line["move"].write_date), line["residual"], line["status"],
                       str(line["promised_date"])] for group in data["groups"] for line in group["lines"]],
            "payments": [[payment.id, str(payment.write_date)] for payment in data["payments"]],
        }
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()

    @api.model
    def _ar_statement_line(self, move, today, disputed, promised, planned=()):
        """One statement line; credit notes count negative.

        :param planned: ids of the invoices in an active payment plan
        """
        is_invoice = move.move_type == "out_invoice"
        residual = move.amount_residual if is_invoice else -move.amount_residual
        days = (today - move.invoice_date_due).days if move.invoice_date_due else 0
        overdue = is_invoice and days > 0
        if not is_invoice:
            status = "credit"
        elif move.id in disputed:
            status = "dispute"
        elif move.id in planned:
            status = "plan"
        elif move.id in promised:
            status = "promised"
        elif overdue:
            status = "overdue"
        else:
            status = "due"
        return {
            "move": move,
            "is_invoice": is_invoice,
            "residual": residual,
            "days_overdue": max(days, 0) if is_invoice else 0,
            "overdue": overdue,
            "status": status,
            "promised_date": promised.get(move.id),
        }
