from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    ar_cash_auto_apply = fields.Boolean(
        string="Apply confident matches", default=True,
        help="The scheduled matcher applies the matches at or above the confidence below; "
             "the others wait in the exceptions queue.")
    ar_cash_auto_confidence = fields.Integer(
        string="Apply from confidence", default=90,
        help="0-100: matches at least this sure are applied without a person.")
    ar_cash_pause_confidence = fields.Integer(
        string="Pause reminders from confidence", default=70,
        help="0-100: an invoice with a suggestion at least this sure on an unmatched bank line is not chased "
             "(payment received, being matched).")
    ar_cash_short_tolerance = fields.Float(
        string="Short payment tolerance (%)", default=2.0,
        help="A payment short of an invoice by at most this share of it (and the amount below) settles "
             "the invoice when a write-off account is set, else leaves the remainder open.")
    ar_cash_short_tolerance_max = fields.Monetary(
        string="Short payment tolerance (max)", default=50.0, currency_field="currency_id")
    ar_cash_writeoff_account_id = fields.Many2one(
        "account.account", string="Short payment write-off account", check_company=True,
        help="Where tolerated short payments are written off. Empty: the remainder stays open and is chased.")
    ar_cash_fee_account_id = fields.Many2one(
        "account.account", string="Bank fee account", check_company=True,
        help="Where the fees a bank deducts from a payment are booked (bank charges). Empty: a payment short "
             "by a fee is handled as any short payment.")
    ar_cash_fee_tolerance = fields.Monetary(
        string="Bank fee up to (amount)", default=15.0, currency_field="currency_id",
        help="A payment short of what it pays by at most this amount (and the share below, if set) is the "
             "invoice paid in full less a bank fee. 0: no limit by amount.")
    ar_cash_fee_tolerance_percent = fields.Float(
        string="Bank fee up to (%)", default=0.0,
        help="A bank fee is at most this share of what the payment pays. 0: no limit by share.")
    ar_cash_search_ms = fields.Integer(
        string="Combination search time (ms)", default=250,
        help="Time the matcher may spend per bank line looking for invoices that add up to the amount.")

    def _ar_cash_fee_tolerance(self):
        """(fraction, max amount) of a bank fee, or None when fees are not booked (no account)."""
        self.ensure_one()
        if not self.ar_cash_fee_account_id or not (self.ar_cash_fee_tolerance or self.ar_cash_fee_tolerance_percent):
            return None
        return (self.ar_cash_fee_tolerance_percent / 100.0, self.ar_cash_fee_tolerance)

    @api.constrains("ar_cash_auto_confidence", "ar_cash_pause_confidence", "ar_cash_short_tolerance",
                    "ar_cash_short_tolerance_max", "ar_cash_search_ms", "ar_cash_writeoff_account_id",
                    "ar_cash_fee_account_id", "ar_cash_fee_tolerance", "ar_cash_fee_tolerance_percent")
    def _check_ar_cash_settings(self):
        for company in self:
            if not (1 <= company.ar_cash_auto_confidence <= 100 and 1 <= company.ar_cash_pause_confidence <= 100):
                raise ValidationError(self.env._("Cash matching confidences are between 1 and 100."))
            if company.ar_cash_pause_confidence > company.ar_cash_auto_confidence:
                raise ValidationError(self.env._(
                    "Reminders pause from a confidence (%(pause)s) at most the one matches are applied from "
                    "(%(auto)s): a match sure enough to apply is sure enough to stop chasing.",
                    pause=company.ar_cash_pause_confidence, auto=company.ar_cash_auto_confidence))
            if not 0 <= company.ar_cash_short_tolerance <= 50 or company.ar_cash_short_tolerance_max < 0:
                raise ValidationError(self.env._(
                    "The short payment tolerance is 0 to 50 percent of the invoice, with a maximum that is not negative."))
            if not 1 <= company.ar_cash_search_ms <= 10000:
                raise ValidationError(self.env._("The combination search time is 1 to 10,000 ms per bank line."))
            account = company.ar_cash_writeoff_account_id
            if account and account.account_type in ("asset_receivable", "liability_payable", "asset_cash"):
                raise ValidationError(self.env._(
                    "Write off short payments to an expense or income account, not to %(account)s.",
                    account=account.display_name))
            fee_account = company.ar_cash_fee_account_id
            if fee_account and fee_account.account_type in ("asset_receivable", "liability_payable", "asset_cash"):
                raise ValidationError(self.env._(
                    "Book bank fees to an expense account, not to %(account)s.", account=fee_account.display_name))
            if company.ar_cash_fee_tolerance < 0 or not 0 <= company.ar_cash_fee_tolerance_percent <= 50:
                raise ValidationError(self.env._(
                    "The bank fee tolerance is an amount that is not negative and 0 to 50 percent."))
