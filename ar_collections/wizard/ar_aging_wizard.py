from odoo import fields, models
from odoo.exceptions import UserError


class ArAgingWizard(models.TransientModel):
    """Pick the date of the receivable aging: today, or any past date."""

    _name = "ar.aging.wizard"
    _description = "Receivable Aging As Of"

    date = fields.Date(string="As of", required=True, default=fields.Date.context_today,
                       help="Invoices, credit notes and payments after this date are ignored.")

    def action_open_aging(self):
        """Open the aging pivot as of the chosen date."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.date > today:
            # payments after today are not known: invoices would show overdue that may well be paid
            raise UserError(self.env._("The aging is computed as of today or a past date, not %(date)s.",
                                       date=fields.Date.to_string(self.date)))
        return self.env["ar.aging.report"]._ar_action(self.date)
