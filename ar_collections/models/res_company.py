import re
from urllib.parse import urlparse

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .ar_payment_plan_line import MAX_PLAN_DAYS

# The installed default policy: (offset from due date, name, tone, channels, template xml id, escalation).
DEFAULT_LEVELS = [
    (-7, "Friendly heads-up", "friendly", ("email",), "mail_template_dunning_heads_up", "none"),
    (0, "Due today", "friendly", ("email",), "mail_template_dunning_due_today", "none"),
    (3, "First reminder", "neutral", ("email",), "mail_template_dunning_reminder", "none"),
    (7, "Second reminder", "neutral", ("email",), "mail_template_dunning_second", "none"),
    (14, "Firm reminder", "firm", ("email", "phone"), "mail_template_dunning_firm", "activity_collector"),
    (30, "Final notice", "final", ("email", "letter"), "mail_template_dunning_final", "activity_manager"),
]


# Delays of the settings, in days: beyond a year they are typos (and dates out of range).
MAX_SETTING_DAYS = 365
# Longer than any real webhook URL; browsers and proxies stop at about this length.
MAX_URL_LENGTH = 2048
SPACE_OR_CONTROL_RE = re.compile(r"[\s\x00-\x1f\x7f]")
# Bound of the payment plan limit: beyond, a typo.
MAX_PLAN_INSTALMENTS = 120


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
    # Collector workspace: disputes and payment plans
    ar_dispute_sla_days = fields.Integer(
        string="Dispute resolution time (business days)", default=5,
        help="A dispute not resolved this many business days after it was opened is escalated to the collections manager.",
    )
    ar_dispute_escalation_days = fields.Integer(
        string="Dispute second escalation (days)", default=10,
        help="A dispute still open this many days after it was opened is escalated to the person below.",
    )
    ar_dispute_escalation_user_id = fields.Many2one(
        "res.users", string="Second escalation to", domain="[('share', '=', False)]",
        help="Receives the disputes still open after the second escalation delay; the collections manager when empty.",
    )
    ar_plan_reminder_days = fields.Integer(
        string="Instalment reminder (days before)", default=3,
        help="Customers are reminded of a payment plan instalment this many days before its date.",
    )
    # Limits of the payment plans customers propose from the portal (checked for every plan)
    ar_plan_max_instalments = fields.Integer(
        string="Payment plan: most instalments", default=12,
        help="A payment plan has at most this many instalments.",
    )
    ar_plan_max_days = fields.Integer(
        string="Payment plan: longest plan (days)", default=365,
        help="The last instalment of a payment plan is due at most this many days after the plan is made.",
    )
    ar_plan_min_first_percent = fields.Float(
        string="Payment plan: minimum first payment (%)", default=10.0,
        help="The first instalment of a payment plan is at least this share of the plan's total.",
    )
    ar_dunning_review_scheduled = fields.Boolean(
        string="Scheduled runs wait for review",
        help="The scheduled reminder run proposes its reminders and waits until a collector sends them.",
    )
    # Collections digest
    ar_digest_slack_url = fields.Char(
        string="Digest Slack webhook",
        help="Slack incoming webhook URL (https) that receives the daily collections digest.",
    )
    ar_digest_email = fields.Boolean(
        string="Email the digest", default=True,
        help="Email the daily collections digest to the collections managers of the company.",
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
                "channel_ids": [fields.Command.create({"sequence": sequence, "channel": channel})
                                for sequence, channel in enumerate(channels, start=1)],
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

    @api.constrains("ar_dispute_sla_days", "ar_dispute_escalation_days", "ar_plan_reminder_days",
                    "ar_reply_pause_days")
    def _check_ar_workspace_days(self):
        for company in self:
            if company.ar_dispute_sla_days < 1 or company.ar_dispute_escalation_days < 1:
                raise ValidationError(self.env._("Dispute delays must be at least one day."))
            if company.ar_plan_reminder_days < 0:
                raise ValidationError(self.env._("The instalment reminder cannot be a negative number of days."))
            if company.ar_reply_pause_days < 0:
                raise ValidationError(self.env._("The pause after a customer's reply cannot be negative."))
            if max(company.ar_dispute_sla_days, company.ar_dispute_escalation_days, company.ar_plan_reminder_days,
                   company.ar_reply_pause_days) > MAX_SETTING_DAYS:
                raise ValidationError(self.env._(
                    "Dispute delays, the instalment reminder and the pause after a reply are %(max)s days at most.",
                    max=MAX_SETTING_DAYS))

    @api.constrains("ar_plan_max_instalments", "ar_plan_max_days", "ar_plan_min_first_percent")
    def _check_ar_plan_limits(self):
        for company in self:
            if not 1 <= company.ar_plan_max_instalments <= MAX_PLAN_INSTALMENTS:
                raise ValidationError(self.env._(
                    "A payment plan may have from 1 to %(max)s instalments.", max=MAX_PLAN_INSTALMENTS))
            if not 1 <= company.ar_plan_max_days <= MAX_PLAN_DAYS:
                raise ValidationError(self.env._(
                    "The longest payment plan is from 1 to %(max)s days.", max=MAX_PLAN_DAYS))
            if not 0 <= company.ar_plan_min_first_percent <= 100:
                raise ValidationError(self.env._("The minimum first payment is a percentage from 0 to 100."))

    @api.constrains("ar_dunning_policy_id")
    def _check_ar_dunning_policy_id(self):
        for company in self:
            company.sudo().ar_dunning_policy_id._ar_check_company_of(company)

    @api.constrains("ar_manager_user_id", "ar_dispute_escalation_user_id")
    def _check_ar_escalation_users(self):
        for company in self:
            for user in company.ar_manager_user_id | company.ar_dispute_escalation_user_id:
                if user.share:
                    raise ValidationError(self.env._(
                        "%(user)s is not an internal user: escalations go to internal users only.", user=user.name))

    def _ar_reminder_sender_warning(self):
        """Why this company's email reminders would be refused (see
        ``ar.dunning.message._ar_check_sender``), as a run shows it before anything is sent:
        no company email, and email levels whose template has no fixed sender. False when none."""
        self.ensure_one()
        if self.email:
            return False
        levels = self.env["ar.dunning.level"].sudo().search(
            [("company_id", "=", self.id), ("policy_id.active", "=", True), ("channel_ids.channel", "=", "email")])
        # a sender written in the template (no placeholder) does not need the company's address
        unsent = levels.filtered(lambda level: "{{" in (level.mail_template_id.email_from or "{{"))
        if not unsent:
            return False
        return self.env._(
            "%(company)s has no email address: reminders by email (%(levels)s) will not be sent. Set the email "
            "of the company (Settings > Companies), or a fixed sender on their email templates.",
            company=self.name, levels=", ".join(unsent.mapped("name")))

    def _ar_reminder_bank(self, currency, invoices):
        """The company's bank account a reminder asks to pay ``currency`` into: the one on the
        invoices (``partner_bank_id``), else the company's account in that currency, else its
        account without currency."""
        self.ensure_one()
        bank = invoices.sudo().partner_bank_id.filtered(lambda account: account.partner_id == self.partner_id)[:1]
        if bank:
            return bank
        accounts = self.partner_id.sudo().bank_ids
        return (accounts.filtered(lambda account: account.currency_id == currency)
                or accounts.filtered(lambda account: not account.currency_id))[:1]

    def _ar_dispute_escalation_user(self):
        """Who gets the second escalation of disputes: the configured person, else the escalation user."""
        self.ensure_one()
        return self.ar_dispute_escalation_user_id or self._ar_escalation_user()

    @api.constrains("ar_digest_slack_url")
    def _check_ar_digest_slack_url(self):
        for company in self.filtered("ar_digest_slack_url"):
            if len(company.ar_digest_slack_url) > MAX_URL_LENGTH:
                raise ValidationError(self.env._(
                    "The Slack webhook of %(company)s is too long (%(length)s characters, %(max)s at most): "
                    "copy the URL Slack gives again.", company=company.name,
                    length=len(company.ar_digest_slack_url), max=MAX_URL_LENGTH))
            if SPACE_OR_CONTROL_RE.search(company.ar_digest_slack_url.strip()):
                raise ValidationError(self.env._(
                    "The Slack webhook of %(company)s must be one URL, without spaces or line breaks.",
                    company=company.name))
            url = urlparse(company.ar_digest_slack_url.strip())
            # Plain http only towards this machine (local test servers): the URL carries a secret.
            local_http = url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost")
            if not (url.scheme == "https" and url.hostname) and not local_http:
                raise ValidationError(self.env._(
                    "The Slack webhook of %(company)s must be an https:// URL, such as "
                    "https://hooks.slack.com/services/…; %(url)s is not.",
                    company=company.name, url=company.ar_digest_slack_url))
