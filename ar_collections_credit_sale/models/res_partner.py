from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.ar_collections_credit.models.res_partner import TODAYS_RATE

# Salespeople read the credit figures too
CREDIT_READERS = "sales_team.group_sale_salesman,account.group_account_invoice,account.group_account_readonly"


class ResPartner(models.Model):
    _inherit = "res.partner"

    ar_credit_currency_id = fields.Many2one(groups=CREDIT_READERS)
    ar_credit_open = fields.Monetary(groups=CREDIT_READERS)
    ar_credit_overdue = fields.Monetary(groups=CREDIT_READERS)
    ar_credit_draft = fields.Monetary(groups=CREDIT_READERS)
    ar_credit_exposure = fields.Monetary(groups=CREDIT_READERS)
    ar_credit_limit = fields.Monetary(groups=CREDIT_READERS)
    ar_credit_available = fields.Monetary(groups=CREDIT_READERS)
    ar_credit_suggested_limit = fields.Monetary(groups=CREDIT_READERS)
    ar_credit_orders = fields.Monetary(
        string="Orders not yet invoiced (today's rate)", compute="_compute_ar_credit_exposure",
        currency_field="ar_credit_currency_id", groups=CREDIT_READERS,
        help="Confirmed sale orders, taxes included, for the part not on an invoice yet. " + TODAYS_RATE)
    ar_credit_limit_orders = fields.Float(
        string="Limit on orders not invoiced", company_dependent=True, tracking=True, groups="base.group_user",
        help="Refuse new sales when the confirmed orders not yet invoiced (today's rate) exceed this amount. "
        "0: no limit of this type.")

    @api.constrains("ar_credit_limit_orders")
    def _check_ar_credit_limit_orders(self):
        self._check_ar_credit_terms()

    @api.model
    def _ar_credit_risk_limit_fields(self):
        limits = super()._ar_credit_risk_limit_fields()
        overdue = limits.pop("overdue", None)
        limits["orders"] = "ar_credit_limit_orders"
        if overdue:
            limits["overdue"] = overdue  # listed last, as OCA's financial risk does
        return limits

    @api.model
    def _ar_credit_buckets(self):
        return {**super()._ar_credit_buckets(), "orders": self.env._("orders not yet invoiced")}

    def _ar_credit_add_exposure(self, company, result, to_company):
        result = super()._ar_credit_add_exposure(company, result, to_company)
        for partner_id, currency_id, amount in self._ar_uninvoiced_orders(company):
            currency = self.env["res.currency"].browse(currency_id)
            result[partner_id]["orders"] += to_company(currency, amount, amount)
        return result

    def _ar_uninvoiced_orders(self, company):
        """(commercial partner id, currency id, amount) of confirmed orders still to invoice, taxes included."""
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
