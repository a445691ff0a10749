from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Beyond a year between two reminders is a typo.
MAX_SPACING_DAYS = 365


class ArDunningPolicy(models.Model):
    """A dunning policy: the ordered reminder levels a customer goes through."""

    _name = "ar.dunning.policy"
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    level_ids = fields.One2many("ar.dunning.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    note = fields.Html(translate=True, help="Internal explanation of when to use this policy.")
    entry_level_id = fields.Many2one(
        "ar.dunning.level", string="Entry level", ondelete="set null",
        domain="[('policy_id', '=', id)]",
        help="The highest level an invoice's first reminder may have, however overdue the invoice is: a "
             "customer is never told of “previous reminders” it did not receive. Counted per invoice: an "
             "invoice never reminded starts here even when the customer already had higher levels for other "
             "invoices. Empty: the first level after the due date. Invoices that have not reached it yet get "
             "the level they reached, as usual.",
    )
    spacing_days = fields.Integer(
        string="Days between reminders", default=7,
        help="After a reminder, an invoice moves up one level per run, and only once this many days have passed "
             "since its last reminder (or the days between the two levels, when the policy puts them closer), "
             "never above the level its days overdue reached. A broken promise escalates at once.",
    )
    jump_to_reached = fields.Boolean(
        string="Jump to the level reached",
        help="Each reminder takes the highest level the invoice has reached, even on its first reminder: levels "
             "missed are skipped. For a company going live that wants its old overdue invoices to get their "
             "final notice at once; off, invoices start at the entry level and climb one level per run.",
    )

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "A dunning policy with this name already exists in this company."),
    ]

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("entry_level_id", "level_ids")
    def _check_entry_level_id(self):
        for policy in self:
            if policy.entry_level_id and policy.entry_level_id.policy_id != policy:
                raise ValidationError(self.env._(
                    "The entry level of the dunning policy “%(policy)s” must be one of its own levels.",
                    policy=policy.name))

    @api.constrains("spacing_days")
    def _check_spacing_days(self):
        for policy in self:
            if not 0 <= policy.spacing_days <= MAX_SPACING_DAYS:
                raise ValidationError(self.env._(
                    "Dunning policy “%(policy)s”: the days between reminders must be between 0 and %(max)s.",
                    policy=policy.name, max=MAX_SPACING_DAYS))

    def _get_entry_level(self):
        """The highest level of an invoice's first reminder: the chosen entry level, else the
        first level after the due date (levels before it warn of a due date to come, wrong words
        for an overdue invoice), else the last level."""
        self.ensure_one()
        if self.entry_level_id:
            return self.entry_level_id
        levels = self.level_ids.sorted("offset_days")
        return levels.filtered(lambda level: level.offset_days > 0)[:1] or levels[-1:]

    def _get_levels_reached(self, days_overdue):
        """Levels of this policy whose offset is reached by an invoice ``days_overdue`` days
        past its due date (negative before it), lowest offset first."""
        self.ensure_one()
        return self.level_ids.filtered(lambda level: level.offset_days <= days_overdue).sorted("offset_days")

    def _ar_check_company_of(self, company):
        """Refuse this policy as the policy of something of ``company`` when it belongs to another."""
        policy = self.sudo()
        if policy and policy.company_id != company:
            raise ValidationError(self.env._(
                "The dunning policy “%(policy)s” is a policy of another company (%(other)s): choose one of "
                "%(company)s.", policy=policy.name, other=policy.company_id.name, company=company.name))
