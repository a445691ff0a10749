import math

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

TONES = [
    ("friendly", "Friendly"),
    ("neutral", "Neutral"),
    ("firm", "Firm"),
    ("final", "Final notice"),
]

ESCALATIONS = [
    ("none", "None"),
    ("activity_collector", "Activity for the collector"),
    ("activity_manager", "Activity for the collections manager"),
    ("credit_hold", "Flag the customer for credit hold"),
]

FEE_TYPES = [
    ("none", "No fee"),
    ("fixed", "Fixed fee per invoice"),
    ("interest", "Interest on the overdue amount"),
]

FEE_CHARGES = [
    ("note", "Note on the reminder"),
    ("invoice", "Fee invoice"),
]

# A year before the due date to ten years after it: beyond that an offset is a typo.
OFFSET_MIN, OFFSET_MAX = -365, 3650


class ArDunningLevel(models.Model):
    """One step of a dunning policy: when it applies and how the customer is reached."""

    _name = "ar.dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, offset_days, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    policy_id = fields.Many2one("ar.dunning.policy", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    offset_days = fields.Integer(
        string="Days from due date",
        required=True,
        help="Days relative to the invoice due date: negative before it, 0 on the due date, positive after it.",
    )
    tone = fields.Selection(TONES, required=True, default="neutral")
    channel_ids = fields.One2many(
        "ar.dunning.level.channel", "level_id", string="Channels", copy=True,
        default=lambda self: [Command.create({"channel": "email"})],
        help="How the customer is reached at this level, in sending order.",
    )
    # The channel codes, for the form to show each channel's settings only when it is used.
    channel_codes = fields.Json(string="Channel codes", compute="_compute_channel_codes")
    channel_summary = fields.Char(string="Channel summary", compute="_compute_channel_codes")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain="[('model', '=', 'res.partner')]",
        check_company=False,
    )
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS template", domain="[('model', '=', 'res.partner')]"
    )
    min_amount = fields.Monetary(
        string="Minimum open amount",
        currency_field="currency_id",
        help="Invoices whose open amount is below this (in company currency) are not chased at this level.",
    )
    attach_invoices = fields.Boolean(string="Attach invoices")
    escalation = fields.Selection(ESCALATIONS, required=True, default="none")
    announces_hold = fields.Boolean(
        string="Put the customer on credit hold",
        help="The reminder tells the customer that their account is on credit hold and deliveries are "
             "suspended, and sending it puts the hold (with Credit Control installed: orders and deliveries "
             "are blocked until a Credit Manager lifts it). Without it, no reminder of this level speaks of "
             "suspending deliveries.",
    )

    # Late-payment fees, as OCA's dunning fees: off unless a level asks for them.
    fee_type = fields.Selection(
        FEE_TYPES, string="Late-payment fee", required=True, default="none",
        help="Charged once per invoice and level, when the reminder is sent; only on invoices past "
             "their due date and still open.")
    fee_amount = fields.Monetary(
        string="Fee per invoice", currency_field="currency_id",
        help="In company currency; converted to the currency of each invoice at the rate of the day.")
    fee_rate = fields.Float(
        string="Interest (% per year)", digits=(16, 4),
        help="On the open amount, for the days late since the due date, or since the interest charged "
             "by an earlier level.")
    fee_charge = fields.Selection(
        FEE_CHARGES, string="Charged by", required=True, default="note",
        help="Note on the reminder: the reminder states the fee. Fee invoice: an invoice to the customer "
             "with one line of the fee product per invoice, posted when the reminder is sent.")
    fee_product_id = fields.Many2one(
        "product.product", string="Fee product", check_company=True,
        help="The product of the fee invoice's lines (its income account and taxes apply).")

    @api.depends("name", "offset_days")
    def _compute_display_name(self):
        for level in self:
            level.display_name = f"{level.name} ({level.offset_days:+d} d)"

    @api.depends("channel_ids.channel", "channel_ids.sequence")
    def _compute_channel_codes(self):
        labels = dict(self.env["ar.dunning.engine"]._get_channel_selection())
        for level in self:
            level.channel_codes = level._get_channels()
            level.channel_summary = ", ".join(labels.get(code, code) for code in level.channel_codes)

    @api.constrains("policy_id", "offset_days")
    def _check_offset_days(self):
        for level in self:
            if not OFFSET_MIN <= level.offset_days <= OFFSET_MAX:
                raise ValidationError(self.env._(
                    "Level “%(level)s”: %(days)s days from the due date is out of range; use a number between %(min)s and %(max)s.",
                    level=level.name, days=level.offset_days, min=OFFSET_MIN, max=OFFSET_MAX,
                ))
            twins = level.policy_id.level_ids.filtered(
                lambda other, lvl=level: other != lvl and other.offset_days == lvl.offset_days
            )
            if twins:
                raise ValidationError(self.env._(
                    "Levels “%(level)s” and “%(other)s” of policy “%(policy)s” both start %(days)s days from the due date; "
                    "give each level its own day.",
                    level=level.name, other=twins[0].name, policy=level.policy_id.name, days=level.offset_days,
                ))

    @api.constrains("channel_ids", "mail_template_id", "sms_template_id")
    def _check_channels(self):
        for level in self:
            channels = level._get_channels()
            if not channels:
                labels = [label for _code, label in self.env["ar.dunning.engine"]._get_channel_selection()]
                raise ValidationError(self.env._(
                    "Level “%(level)s” sends nothing: tick at least one channel (%(channels)s).",
                    level=level.name, channels=", ".join(labels),
                ))
            if "email" in channels and not level.mail_template_id:
                raise ValidationError(self.env._(
                    "Level “%(level)s” sends an email but has no email template: choose one or remove the Email "
                    "channel.",
                    level=level.name,
                ))
            if "sms" in channels and not level.sms_template_id:
                raise ValidationError(self.env._(
                    "Level “%(level)s” sends an SMS but has no SMS template: choose one or remove the SMS channel.",
                    level=level.name,
                ))
            # The reminders render the templates on customers: a template of another model would be
            # rendered on whatever record of that model has the customer's id.
            for template in (level.sudo().mail_template_id, level.sudo().sms_template_id):
                if template and template.model != "res.partner":
                    raise ValidationError(self.env._(
                        "Level “%(level)s”: the template “%(template)s” is made for %(model)s, not for "
                        "customers (res.partner); choose a reminder template.",
                        level=level.name, template=template.name, model=template.model,
                    ))

    @api.constrains("min_amount")
    def _check_min_amount(self):
        for level in self:
            if not math.isfinite(level.min_amount):
                raise ValidationError(self.env._(
                    "Level “%(level)s”: the minimum open amount must be a number.", level=level.name))
            if level.min_amount < 0:
                raise ValidationError(self.env._(
                    "Level “%(level)s”: the minimum open amount cannot be negative (use 0 to chase any amount).",
                    level=level.name,
                ))

    @api.constrains("fee_type", "fee_amount", "fee_rate", "fee_charge", "fee_product_id")
    def _check_fee(self):
        for level in self.filtered(lambda lvl: lvl.fee_type != "none"):
            amount = level.fee_amount if level.fee_type == "fixed" else level.fee_rate
            if not math.isfinite(amount) or amount <= 0:
                raise ValidationError(self.env._(
                    "Level “%(level)s”: the late-payment fee needs a positive amount or interest rate.",
                    level=level.name))
            if level.fee_charge == "invoice" and not level.fee_product_id:
                raise ValidationError(self.env._(
                    "Level “%(level)s”: choose the product of the fee invoice, or charge the fee as a note.",
                    level=level.name))

    def _ar_fee_values(self, invoice, today, since=None):
        """The fee this level charges on ``invoice`` on ``today``, in the invoice's currency.

        :param since: the day up to which interest was already charged (by an earlier level)
        :return: dict of ``ar.dunning.fee`` values, or None when nothing is due (fees off, an
            invoice paid or not yet due, a zero amount)
        """
        self.ensure_one()
        due = invoice.invoice_date_due
        if (self.fee_type == "none" or not due or due >= today or invoice.state != "posted"
                or invoice.payment_state in ("paid", "in_payment", "reversed")
                or invoice.currency_id.is_zero(invoice.amount_residual) or invoice.amount_residual < 0):
            return None
        currency = invoice.currency_id
        days, rate = (today - due).days, 0.0
        if self.fee_type == "fixed":
            amount = self.currency_id._convert(self.fee_amount, currency, invoice.company_id, today)
            name = self.env._("Late-payment fee (%(level)s) on %(invoice)s", level=self.name, invoice=invoice.name)
        else:
            days = (today - max(due, since or due)).days
            if days <= 0:
                return None
            rate = self.fee_rate
            amount = currency.round(invoice.amount_residual * rate / 100 * days / 365)
            percent = f"{rate:g}"
            name = self.env._("Interest on %(invoice)s: %(rate)s%% a year for %(days)s days late",
                              invoice=invoice.name, rate=percent, days=days)
        if currency.is_zero(amount):
            return None
        return {"name": name, "invoice_id": invoice.id, "level_id": self.id, "fee_type": self.fee_type,
                "days": days, "rate": rate, "amount": amount, "currency_id": currency.id, "date": today}

    def _get_channels(self):
        """The channel codes this level uses, in sending order."""
        self.ensure_one()
        return self.channel_ids.sorted("sequence").mapped("channel")
