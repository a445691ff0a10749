from odoo import fields, models


class ArPaymentPlanLine(models.Model):
    """One instalment of a payment plan."""

    _name = "ar.payment.plan.line"
    _description = "Payment Plan Instalment"
    _order = "date, id"

    plan_id = fields.Many2one("ar.payment.plan", required=True, ondelete="cascade", index=True)
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one(related="plan_id.currency_id")
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
