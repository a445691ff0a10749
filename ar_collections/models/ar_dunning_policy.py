from odoo import api, fields, models
from odoo.exceptions import ValidationError


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

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "A dunning policy with this name already exists in this company."),
    ]

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

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
