from collections import defaultdict

from odoo import api, fields, models

ONLINE_PAYMENT_STATES = ("authorized", "done")
# What changes the exposure of a confirmed order's customer
HOLD_INPUT_FIELDS = {"state", "partner_id", "partner_invoice_id", "order_line", "company_id", "currency_id",
                     "pricelist_id"}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ar_credit_available = fields.Monetary(
        string="Available credit", compute="_compute_ar_credit_check", currency_field="ar_credit_currency_id",
        help="The customer's credit limit less its exposure, before this order (company currency).",
    )
    ar_credit_currency_id = fields.Many2one("res.currency", compute="_compute_ar_credit_check")
    ar_credit_has_limit = fields.Boolean(compute="_compute_ar_credit_check")
    ar_credit_warning = fields.Text(
        string="Credit check", compute="_compute_ar_credit_check",
        help="Why confirming this order will be refused, if it will.",
    )
    ar_credit_release_id = fields.Many2one(
        "ar.credit.release", string="Pending credit release", compute="_compute_ar_credit_release_id",
        help="The credit release requested for this quotation, still waiting for a Credit Manager.",
    )
    ar_credit_release_state = fields.Selection(
        [("draft", "a draft, still to send to the Credit Managers"), ("requested", "waiting for approval")],
        string="Release status", compute="_compute_ar_credit_release_id",
    )

    @api.depends("partner_id", "amount_total", "currency_id", "state", "company_id")
    def _compute_ar_credit_check(self):
        self.ar_credit_warning = False
        for company, orders in self.grouped("company_id").items():
            partners = orders.partner_id.commercial_partner_id.sudo()
            exposure = partners._ar_credit_exposure(company)
            limits = partners._ar_credit_limits(company)
            pending = orders.filtered(lambda order: order.state in ("draft", "sent") and order.partner_id)
            amounts, labels = pending._ar_credit_amounts(company)
            blocks = partners._ar_credit_blocks(company, amounts, labels, bucket="orders") if pending else {}
            for order in orders:
                partner = order.partner_id.commercial_partner_id
                limit = limits.get(partner.id, 0.0)
                order.ar_credit_currency_id = company.currency_id
                order.ar_credit_has_limit = bool(limit)
                order.ar_credit_available = limit - exposure[partner.id]["total"] if partner and limit else 0.0
                if order in pending and partner.id in blocks:
                    reasons = blocks[partner.id]
                    order.ar_credit_warning = "\n".join(reasons["manual"] + reasons["automatic"])

    def _compute_ar_credit_release_id(self):
        # a request per quotation is enough: the form offers to request one only while none is pending
        releases = self.env["ar.credit.release"].sudo().search(
            [("sale_order_id", "in", self._origin.ids), ("state", "in", ("draft", "requested"))], order="id desc")
        for order in self:
            release = releases.filtered(lambda rel, o=order: rel.sale_order_id == o._origin)[:1]
            order.ar_credit_release_id = release
            order.ar_credit_release_state = release.state

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._ar_credit_refresh_holds_later()
        return orders

    def write(self, vals):
        if not HOLD_INPUT_FIELDS.intersection(vals):
            return super().write(vals)
        self._ar_credit_refresh_holds_later()
        result = super().write(vals)
        self._ar_credit_refresh_holds_later()
        return result

    def unlink(self):
        self._ar_credit_refresh_holds_later()
        return super().unlink()

    def _ar_credit_refresh_holds_later(self):
        """Confirmed orders count in the exposure of the customer they are invoiced to."""
        for company, orders in self.grouped("company_id").items():
            self.env["ar.credit.hold"]._ar_refresh_later(orders.partner_invoice_id, company)

    def _ar_credit_bucket(self):
        """Where the amount of the orders being confirmed goes in the exposure."""
        return "orders"

    def _ar_credit_orders(self):
        """The orders these documents come from, for the credit releases tied to an order."""
        return self

    def _ar_credit_action(self):
        """What the credit check stops, for its messages."""
        return self.env._("confirming the order")

    def _ar_credit_amounts(self, company):
        """Exposure these orders add per commercial partner (company currency), and their names."""
        to_company = self.env["res.partner"]._ar_credit_converter(company, fields.Date.context_today(self))
        amounts, names = defaultdict(float), defaultdict(list)
        for order in self:
            partner = order.partner_id.commercial_partner_id
            amounts[partner.id] += to_company(order.currency_id, order.amount_total, order.amount_total)
            names[partner.id].append(order.name)
        labels = {
            partner_id: self.env._("Order %(names)s", names=", ".join(order_names))
            for partner_id, order_names in names.items()
        }
        return dict(amounts), labels

    def _ar_credit_exempt(self):
        """Orders paid online (portal) are never blocked: the payment is the proof."""
        return self.filtered(lambda order: any(
            tx.state in ONLINE_PAYMENT_STATES for tx in order.sudo().transaction_ids))

    def action_confirm(self):
        to_check = self.filtered(lambda order: order.state in ("draft", "sent")) - self._ar_credit_exempt()
        for company, orders in to_check.grouped("company_id").items():
            amounts, labels = orders._ar_credit_amounts(company)
            orders.partner_id.commercial_partner_id._ar_credit_enforce(company, amounts, labels, orders)
        return super().action_confirm()

    def action_ar_request_credit_release(self):
        """Open a credit release request prefilled for this order."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request a credit release"),
            "res_model": "ar.credit.release",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": partner.id,
                "default_company_id": self.company_id.id,
                "default_sale_order_id": self.id,
                "default_amount": self.amount_total if self.currency_id == self.company_id.currency_id else 0.0,
            },
        }
