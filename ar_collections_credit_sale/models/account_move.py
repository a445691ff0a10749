from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _ar_credit_transactions(self):
        # an invoice of an order paid online (portal) is paid by the order's transaction
        return super()._ar_credit_transactions() | self.sudo().line_ids.sale_line_ids.order_id.transaction_ids

    def _ar_credit_orders(self):
        """The sale orders these invoices were created from, for the credit releases tied to an order."""
        return self.sudo().invoice_line_ids.sale_line_ids.order_id.with_env(self.env)
