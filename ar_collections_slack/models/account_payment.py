from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def action_post(self):
        """Announce in Slack the customer payments from the company's large-payment amount."""
        result = super().action_post()
        large = self.filtered(lambda payment: (
            payment.payment_type == "inbound" and payment.partner_type == "customer" and payment.partner_id
            and payment.state not in ("draft", "canceled", "rejected")
            and not payment.company_id.currency_id.is_zero(payment.company_id.ar_slack_large_payment)
            and payment.company_id.currency_id.compare_amounts(
                abs(payment.amount_company_currency_signed), payment.company_id.ar_slack_large_payment) >= 0
        ))
        self.env["ar.slack.message"]._ar_notify("large_payment", large)
        return result
