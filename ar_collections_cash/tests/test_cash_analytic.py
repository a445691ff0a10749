from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashAnalytic(ArCashCommon):
    """The journal items a match writes get the analytic distribution Odoo's distribution models
    give them, as items written by hand do (the matcher skips the lookup only where the company
    has no model)."""

    def _ar_receivable_item(self, invoice):
        st_line = self._ar_bank_line(invoice.amount_total, invoice.name)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        return match.counterpart_line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

    def test_distribution_model_applies_to_the_matched_items(self):
        plan = self.env["account.analytic.plan"].create({"name": "Collections"})
        analytic = self.env["account.analytic.account"].create({"name": "North", "plan_id": plan.id})
        invoice = self._ar_invoice(self.payer, 300.0, days_overdue=5)
        self.env["account.analytic.distribution.model"].create({
            "partner_id": self.payer.id, "company_id": self.company.id,
            "analytic_distribution": {str(analytic.id): 100},
        })
        item = self._ar_receivable_item(invoice)
        self.assertEqual(item.analytic_distribution, {str(analytic.id): 100})
        # the same item written by hand on a bank entry gets the same
        by_hand = self.env["account.move.line"].new({"partner_id": self.payer.id, "account_id": item.account_id.id,
                                                     "move_id": item.move_id.id})
        self.assertEqual(by_hand.analytic_distribution, item.analytic_distribution)

    def test_no_model_no_distribution(self):
        self.assertFalse(self.env["account.analytic.distribution.model"].search_count(
            [("company_id", "in", [self.company.id, False])]))
        item = self._ar_receivable_item(self._ar_invoice(self.payer, 300.0, days_overdue=5))
        self.assertFalse(item.analytic_distribution)
