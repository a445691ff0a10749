from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import ValidationError

# Beyond these the settings are typos, and dates computed from them fall out of range.
MAX_OVERDUE_DAYS = 3650
MAX_REVIEW_MONTHS = 120


class ResCompany(models.Model):
    _inherit = "res.company"

    ar_credit_overdue_days = fields.Integer(
        string="Hold after days overdue",
        default=60,
        help="Block new sales for a customer with an invoice overdue by more than this many days (0: never).",
    )
    ar_credit_block = fields.Boolean(
        string="Block on credit hold",
        help="Refuse orders, invoices and deliveries of customers over their limit or with invoices overdue "
        "too long. Off: the credit check only warns, as Odoo's own credit limit does (quotation banner, "
        "customer, Customers on Credit Hold); a manual credit hold always refuses.",
    )
    ar_credit_check_invoice = fields.Boolean(
        string="Check credit when posting invoices",
        help="Also refuse to post a customer invoice when the customer is over its credit limit or on hold.",
    )
    ar_credit_check_delivery = fields.Boolean(
        string="Check credit when validating deliveries",
        default=True,
        help="Refuse to validate a delivery to a customer that is over its credit limit or on hold "
        "(needs the Inventory app).",
    )
    ar_credit_manager_id = fields.Many2one(
        "res.users",
        string="Credit manager",
        domain="[('share', '=', False)]",
        help="Receives the periodic credit reviews. Empty: any Credit Manager of the company.",
    )
    ar_credit_review_months = fields.Integer(
        string="Review credit limits every (months)",
        default=12,
        help="A credit limit not reviewed for this many months is put up for review.",
    )
    ar_credit_review_drop = fields.Integer(
        string="Review when the score drops by",
        default=15,
        help="A customer whose payment score fell by this many points since its last review is put up for review.",
    )

    @api.constrains("ar_credit_overdue_days", "ar_credit_review_months", "ar_credit_review_drop")
    def _check_ar_credit_settings(self):
        for company in self:
            if company.ar_credit_overdue_days < 0:
                raise ValidationError(self.env._("The number of days overdue that triggers a hold cannot be negative."))
            if company.ar_credit_overdue_days > MAX_OVERDUE_DAYS:
                raise ValidationError(self.env._(
                    "The number of days overdue that triggers a hold is %(max)s at most (0: never).",
                    max=MAX_OVERDUE_DAYS))
            if company.ar_credit_review_months < 1:
                raise ValidationError(self.env._("Credit limits must be reviewed at least every month or more: "
                                                 "use a number of months of 1 or more."))
            if company.ar_credit_review_months > MAX_REVIEW_MONTHS:
                raise ValidationError(self.env._(
                    "Credit limits are reviewed every %(max)s months at most.", max=MAX_REVIEW_MONTHS))
            if not 1 <= company.ar_credit_review_drop <= 100:
                raise ValidationError(self.env._("The score drop that triggers a review must be between 1 and 100 points."))

    def write(self, vals):
        before = {company: company.ar_credit_overdue_days for company in self} if "ar_credit_overdue_days" in vals \
            else {}
        result = super().write(vals)
        self.filtered(lambda company: company in before and company.ar_credit_overdue_days != before[company]) \
            ._ar_credit_refresh_holds()
        return result

    def _ar_credit_refresh_holds(self):
        """Recompute the holds of every customer of these companies (their credit settings changed)."""
        Hold = self.env["ar.credit.hold"]
        for company in self.sudo():
            Hold._ar_refresh(Hold._ar_candidates(company), company)

    @api.constrains("ar_credit_manager_id")
    def _check_ar_credit_manager_id(self):
        group = "ar_collections_credit.group_ar_credit_manager"
        for company in self:
            user = company.ar_credit_manager_id
            # the reviews and release requests assigned to them need a Credit Manager to act on them
            if user and (user.share or not user.has_group(group)):
                raise ValidationError(self.env._(
                    "%(user)s is not a Credit Manager: choose a user of the group Collections: Credit Manager.",
                    user=user.name))

    def _ar_credit_manager(self):
        """Who decides on this company's credit: its credit manager, else its first Credit Manager."""
        self.ensure_one()
        if self.ar_credit_manager_id.active:
            return self.ar_credit_manager_id
        return self.env["res.users"].sudo().search([
            ("groups_id", "in", self.env.ref("ar_collections_credit.group_ar_credit_manager").id),
            ("share", "=", False),
            ("company_ids", "in", self.id),
            ("id", "!=", SUPERUSER_ID),  # OdooBot
        ], order="id", limit=1)
