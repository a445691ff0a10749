from odoo import api, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.model
    def _reconcile_plan(self, reconciliation_plan):
        """Announce in Slack the large customer payments received on the bank and matched
        straight to the customer's invoices (a bank statement line reconciled with receivable
        items, as the cash matcher does): they are no ``account.payment``."""
        lines = self._ar_plan_lines(reconciliation_plan)
        result = super()._reconcile_plan(reconciliation_plan)
        st_lines = lines.move_id.statement_line_id
        if st_lines:
            self.env["ar.slack.message"]._ar_notify("large_payment", st_lines.filtered(
                lambda st_line: st_line._ar_is_large_customer_payment()))
        return result

    @api.model
    def _ar_plan_lines(self, plan):
        """Every journal item of a reconciliation plan (recordsets, nested lists of them)."""
        lines = self.browse()
        for step in plan:
            lines |= step if isinstance(step, models.BaseModel) else self._ar_plan_lines(step)
        return lines
