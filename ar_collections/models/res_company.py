from odoo import api, fields, models

# The installed default policy: (offset from due date, name, tone, channels, template xml id, escalation).
DEFAULT_LEVELS = [
    (-7, "Friendly heads-up", "friendly", ("email",), "mail_template_dunning_heads_up", "none"),
    (0, "Due today", "friendly", ("email",), "mail_template_dunning_due_today", "none"),
    (3, "First reminder", "neutral", ("email",), "mail_template_dunning_reminder", "none"),
    (7, "Second reminder", "neutral", ("email",), "mail_template_dunning_reminder", "none"),
    (14, "Firm reminder", "firm", ("email", "phone"), "mail_template_dunning_firm", "activity_collector"),
    (30, "Final notice", "final", ("email", "letter"), "mail_template_dunning_final", "activity_manager"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    ar_dunning_policy_id = fields.Many2one(
        "ar.dunning.policy",
        string="Default dunning policy",
        domain="[('company_id', '=', id)]",
        help="Policy applied to customers and invoices that have none of their own.",
    )
    ar_manager_user_id = fields.Many2one(
        "res.users",
        string="Collections manager",
        domain="[('share', '=', False)]",
        help="Receives the escalations of the reminder levels and the calls of customers without collector.",
    )
    ar_reply_pause_days = fields.Integer(
        string="Pause after customer reply (days)",
        default=7,
        help="A customer who answered a reminder by email is not chased for this many days.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._ar_ensure_default_policy()
        return companies

    def _ar_escalation_user(self):
        """Who gets escalations: the collections manager, else an accounting administrator."""
        self.ensure_one()
        if self.ar_manager_user_id:
            return self.ar_manager_user_id
        managers = self.env.ref("ar_collections.group_ar_collections_manager").sudo().users.filtered(
            lambda user: self in user.company_ids and not user.share and user.active
            and user.id != self.env.ref("base.user_root").id)
        return managers.sorted("id")[:1] or self.env.ref("base.user_admin")

    def _ar_default_policy_levels(self):
        """Values of the levels of the installed default policy."""
        levels = []
        for offset, name, tone, channels, template, escalation in DEFAULT_LEVELS:
            levels.append({
                "name": name,
                "offset_days": offset,
                "tone": tone,
                "channel_email": "email" in channels,
                "channel_sms": "sms" in channels,
                "channel_letter": "letter" in channels,
                "channel_phone": "phone" in channels,
                "mail_template_id": self.env.ref(f"ar_collections.{template}").id,
                "sms_template_id": self.env.ref("ar_collections.sms_template_dunning_reminder").id,
                "escalation": escalation,
            })
        return levels

    def _ar_ensure_default_policy(self):
        """Create the standard policy for companies that have no default policy yet."""
        companies = self.filtered(lambda company: not company.ar_dunning_policy_id)
        if not companies:
            return
        policies = self.env["ar.dunning.policy"].sudo().create([
            {
                "name": self.env._("Standard reminders"),
                "company_id": company.id,
                "level_ids": [fields.Command.create(vals) for vals in company._ar_default_policy_levels()],
            }
            for company in companies
        ])
        for company, policy in zip(companies, policies, strict=False):
            company.sudo().ar_dunning_policy_id = policy
