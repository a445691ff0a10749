from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _reconcile_plan(self, reconciliation_plan):
        """Recompute the payment score of the customers whose receivable lines get reconciled.

        Every reconciliation (``reconcile()``, payment registration, bank matching) goes
        through this method. The customers of the whole plan are scored in one set-based
        call after the reconciliation; nested calls (exchange difference entries) run with
        ``ar_credit_skip_score`` so that a payment makes one snapshot, not two.
        """
        if self.env.context.get("ar_credit_skip_score"):
            return super()._reconcile_plan(reconciliation_plan)
        result = super(AccountMoveLine, self.with_context(ar_credit_skip_score=True))._reconcile_plan(
            reconciliation_plan)
        lines = self._ar_plan_lines(reconciliation_plan)
        partners = lines.filtered(
            lambda line: line.partner_id and line.account_type == "asset_receivable"
        ).partner_id.commercial_partner_id
        if partners:
            self.env["ar.credit.score"].sudo()._ar_compute_scores(partners)
            for company, company_lines in lines.filtered(
                lambda line: line.partner_id and line.account_type == "asset_receivable"
            ).grouped("company_id").items():
                self.env["ar.credit.hold"]._ar_refresh_later(company_lines.partner_id, company)
        return result

    def _ar_plan_lines(self, reconciliation_plan):
        """All the lines of a (nested) reconciliation plan, as one recordset."""
        lines = self.env["account.move.line"]
        for item in reconciliation_plan:
            if isinstance(item, models.BaseModel):
                lines |= item
            else:
                lines |= self._ar_plan_lines(item)
        return lines
