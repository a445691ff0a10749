from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class ArCreditLimitReview(models.TransientModel):
    """Credit limits to bring to their suggested value, reviewed and approved in bulk by a Credit Manager."""

    _name = "ar.credit.limit.review"
    _description = "Review of suggested credit limits"

    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    line_ids = fields.One2many("ar.credit.limit.review.line", "review_id", string="Customers")

    @api.model
    def default_get(self, fields_list):
        self.env["res.partner"]._ar_check_credit_manager(
            self.env._("Only a Credit Manager can review credit limits."))
        result = super().default_get(fields_list)
        if "line_ids" in fields_list:
            result["line_ids"] = [Command.create(vals) for vals in self._ar_line_values()]
        return result

    @api.model
    def _ar_line_values(self):
        """A line per customer chosen in a list (``active_ids``), else per scored customer whose
        suggested limit differs from its limit."""
        company = self.env.company
        Partner = self.env["res.partner"].with_company(company)
        if self.env.context.get("active_model") == "res.partner" and self.env.context.get("active_ids"):
            partners = Partner.browse(self.env.context["active_ids"]).commercial_partner_id
            chosen = True
        else:
            partners = Partner.search(self.env["ar.credit.score"]._ar_customer_domain()
                                      + [("ar_credit_score_date", "!=", False)])
            chosen = False
        suggested = self.env["ar.credit.score"]._ar_suggested_limits(partners, company)
        rounding = company.currency_id.rounding
        values = []
        for partner in partners.sudo():
            limit, suggestion = partner.credit_limit, suggested.get(partner.id, 0.0)
            differs = fields.Float.compare(limit, suggestion, precision_rounding=rounding) != 0
            if not chosen and not (differs and suggestion):
                continue
            values.append({
                "partner_id": partner.id,
                "current_limit": limit,
                "suggested_limit": suggestion,
                "score": partner.ar_credit_score,
                # 0 would mean "no limit": never proposed for approval
                "selected": bool(differs and suggestion),
            })
        return values

    def action_apply(self):
        """Set the limit of the selected customers to the suggested one, logged on each customer."""
        self.ensure_one()
        Partner = self.env["res.partner"].with_company(self.company_id)
        Partner._ar_check_credit_manager(self.env._("Only a Credit Manager can change a credit limit."))
        lines = self.line_ids.filtered("selected")
        if not lines:
            raise UserError(self.env._("Select the customers whose suggested limit you approve."))
        # the suggestions are computed again: what the form sent back is only what was shown
        lines.partner_id.with_company(self.company_id)._ar_apply_suggested_limits(
            self.env._("approved in a review of suggested limits"))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s credit limit(s) set to the suggested one.", count=len(lines)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
