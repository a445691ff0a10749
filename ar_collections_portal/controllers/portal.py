from odoo import fields, http
from odoo.http import request

from odoo.addons.ar_collections.models.account_move import OPEN_PAYMENT_STATES
from odoo.addons.portal.controllers.portal import CustomerPortal


class ArStatementPortal(CustomerPortal):
    """Statement of account for the logged-in customer."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "ar_statement_count" in counters:
            Move = request.env["account.move"]
            values["ar_statement_count"] = (
                Move.search_count(self._ar_statement_domain()) if Move.has_access("read") else 0
            )
        return values

    def _ar_statement_domain(self):
        # No sudo: the portal record rules on account.move already restrict the
        # search to documents of the user's own commercial partner.
        partner = request.env.user.partner_id.commercial_partner_id
        return [
            ("commercial_partner_id", "=", partner.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("payment_state", "in", OPEN_PAYMENT_STATES),
        ]

    def _ar_statement_values(self):
        today = fields.Date.context_today(request.env.user)
        moves = request.env["account.move"].search(self._ar_statement_domain(), order="invoice_date_due, id")
        totals = {}
        lines = []
        for move in moves:
            sign = -1 if move.move_type == "out_refund" else 1
            residual = sign * move.amount_residual
            days = (today - move.invoice_date_due).days if move.invoice_date_due else 0
            overdue = sign > 0 and days > 0
            total = totals.setdefault(move.currency_id, {"open": 0.0, "overdue": 0.0})
            total["open"] += residual
            if overdue:
                total["overdue"] += residual
            lines.append({"move": move, "residual": residual, "days_overdue": max(days, 0), "overdue": overdue})
        return {
            "page_name": "ar_statement",
            "lines": lines,
            "totals": totals,
            "partner": request.env.user.partner_id.commercial_partner_id,
            "today": today,
        }

    @http.route("/my/statement", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_statement(self, **kw):
        """Open invoices and credit notes of the customer, oldest due first."""
        values = self._prepare_portal_layout_values()
        values.update(self._ar_statement_values())
        return request.render("ar_collections_portal.portal_my_statement", values)
