from odoo import fields, models


class ArCreditLimitReviewLine(models.TransientModel):
    _name = "ar.credit.limit.review.line"
    _description = "Customer in a review of suggested credit limits"

    review_id = fields.Many2one("ar.credit.limit.review", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="review_id.currency_id")
    selected = fields.Boolean(string="Approve")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    score = fields.Integer(string="Payment score", readonly=True)
    current_limit = fields.Monetary(string="Current limit", readonly=True)
    suggested_limit = fields.Monetary(string="Suggested limit", readonly=True)
