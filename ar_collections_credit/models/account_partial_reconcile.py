from odoo import models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def unlink(self):
        # a payment taken off an invoice reopens it: the customer's holds change
        lines = (self.debit_move_id | self.credit_move_id).filtered(
            lambda line: line.partner_id and line.account_type == "asset_receivable")
        for company, company_lines in lines.grouped("company_id").items():
            self.env["ar.credit.hold"]._ar_refresh_later(company_lines.partner_id, company)
        return super().unlink()
