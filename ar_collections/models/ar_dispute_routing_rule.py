from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ArDisputeRoutingRule(models.Model):
    """Who owns a new dispute, by its reason: the customer's account manager or collector, or
    the least busy member of a team. The rule's team follows the disputes it routes."""

    _name = "ar.dispute.routing.rule"
    _description = "Dispute Routing Rule"
    _order = "sequence, id"

    name = fields.Char(string="Team", required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to route the disputes of every company.")
    reason = fields.Selection(selection="_selection_reason", required=True)
    owner_type = fields.Selection([
        ("account_manager", "Account manager of the customer"),
        ("collector", "Collector of the customer"),
        ("team", "Least busy team member"),
    ], string="Owner", required=True, default="team",
        help="Account manager: the customer's salesperson. When the rule finds no one who may own "
             "disputes, the customer's collector owns it, else whoever records it.")
    member_ids = fields.Many2many(
        "res.users", "ar_dispute_routing_rule_res_users_rel", "rule_id", "user_id", string="Members",
        domain="[('share', '=', False)]",
        help="They follow the disputes this rule routes; with 'Least busy team member', the one with the "
             "fewest open disputes owns it.")

    @api.model
    def _selection_reason(self):
        return self.env["ar.dispute"]._fields["reason"]._description_selection(self.env)

    @api.constrains("member_ids")
    def _check_member_ids(self):
        for rule in self:
            portal = rule.member_ids.filtered("share")
            if portal:
                raise ValidationError(self.env._(
                    "%(users)s: only internal users can be in a dispute team.",
                    users=", ".join(portal.mapped("name"))))

    @api.model
    def _ar_find(self, reason, company):
        """The rule that routes ``reason`` disputes of ``company``: its own rules before the
        shared ones."""
        rules = self.sudo().search([("reason", "=", reason), ("company_id", "in", [company.id, False])])
        return rules.sorted(lambda rule: (not rule.company_id, rule.sequence, rule.id))[:1]

    def _ar_owner(self, partner, company):
        """The user this rule gives a dispute of ``partner`` in ``company`` to, or no one."""
        self.ensure_one()
        Dispute = self.env["ar.dispute"]
        customer = partner.commercial_partner_id.with_company(company).sudo()
        if self.owner_type == "account_manager":
            candidates = customer.user_id
        elif self.owner_type == "collector":
            candidates = customer.ar_collector_id
        else:
            candidates = self.member_ids.filtered(lambda user: Dispute._ar_may_own(user, company))
            if candidates:
                busy = {user.id: count for user, count in Dispute.sudo()._read_group(
                    [("is_open", "=", True), ("user_id", "in", candidates.ids)], ["user_id"], ["__count"])}
                candidates = candidates.sorted(lambda user: (busy.get(user.id, 0), user.id))
        return candidates.filtered(lambda user: Dispute._ar_may_own(user, company))[:1]

    def _ar_followers(self, company):
        """Team members who may follow the disputes this rule routes in ``company``."""
        return self.member_ids.filtered(lambda user: self.env["ar.dispute"]._ar_may_own(user, company))
