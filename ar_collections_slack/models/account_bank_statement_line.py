from odoo import models


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    def _ar_is_large_customer_payment(self):
        """Money received from a customer, from the company's large-payment amount (company
        currency), whose counterpart is the customer's receivable: not the outstanding receipts
        of an ``account.payment``, which is announced when it is posted."""
        self.ensure_one()
        company = self.company_id
        threshold = company.ar_slack_large_payment
        if not self.partner_id or self.amount <= 0 or company.currency_id.is_zero(threshold):
            return False
        liquidity, _suspense, others = self._seek_for_lines()
        received = sum(liquidity.mapped("balance"))
        receivable = others.filtered(lambda line: line.account_type == "asset_receivable")
        return company.currency_id.compare_amounts(received, threshold) >= 0 \
            and bool(receivable.matched_debit_ids or receivable.matched_credit_ids)
