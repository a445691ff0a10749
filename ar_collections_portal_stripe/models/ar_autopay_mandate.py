from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.ar_collections.const import OPEN_INVOICE_DOMAIN

# Mandates whose due invoices are queued per scheduler call (one search of invoices,
# one of attempts and a transaction per charge for the whole batch).
QUEUE_BATCH_SIZE = 200
# Card-expiry notices sent, and expiries looked up at Stripe, per scheduler call.
EXPIRY_BATCH_SIZE = 100
# A card is announced as expiring this many days before the end of its expiry month.
EXPIRY_NOTICE_DAYS = 30


class ArAutopayMandate(models.Model):
    """A customer's consent to have their due invoices of one company charged to a saved card.

    The scheduler queues one charge per currency for the invoices due (see
    ``ar.autopay.attempt``). A hard decline suspends the mandate until the customer
    chooses another card; opting out archives it. One active mandate per customer and company.
    """

    _name = "ar.autopay.mandate"
    _description = "Autopay Mandate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _mail_post_access = "read"  # collectors (read-only here) log notes on mandates

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True, ondelete="restrict",
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, tracking=True,
    )
    token_id = fields.Many2one(
        "payment.token", string="Card", required=True, tracking=True, ondelete="restrict", check_company=True,
        domain="[('provider_id.code', '=', 'stripe'), ('partner_id', 'child_of', partner_id)]",
    )
    provider_id = fields.Many2one(related="token_id.provider_id", string="Provider")
    card_expiry_date = fields.Date(related="token_id.ar_card_expiry_date", string="Card valid until")
    active = fields.Boolean(default=True, tracking=True, help="Unticked when the customer opts out.")
    state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended")],
        default="active", required=True, tracking=True, index=True,
        help="Suspended after a hard decline (stolen card, card expired...): nothing is charged "
             "until the customer chooses another card.",
    )
    state_reason = fields.Char(string="Suspended because", readonly=True, tracking=True)
    date_consented = fields.Datetime(
        string="Consented on", required=True, readonly=True, default=fields.Datetime.now, copy=False,
    )
    consent_user_id = fields.Many2one(
        "res.users", string="Consented by", readonly=True, copy=False, ondelete="set null",
        help="The portal user who opted in.",
    )
    last_result = fields.Char(string="Last result", readonly=True, copy=False)
    attempt_ids = fields.One2many("ar.autopay.attempt", "mandate_id", string="Attempts", readonly=True)
    attempt_count = fields.Integer(compute="_compute_attempt_count", string="Charges")
    queued_date = fields.Date(
        readonly=True, copy=False, index=True,
        help="Technical: last day the scheduler queued this mandate's due invoices.",
    )

    _sql_constraints = [
        # Partial uniqueness: archived (opted-out) mandates stay as history.
        ("active_uniq", "EXCLUDE (partner_id WITH =, company_id WITH =) WHERE (active)",
         "A customer has one active autopay per company: change its card instead."),
    ]

    @api.depends("partner_id", "token_id")
    def _compute_display_name(self):
        for mandate in self:
            mandate.display_name = self.env._(
                "%(customer)s: %(card)s", customer=mandate.partner_id.display_name or "",
                card=mandate.token_id.display_name or "",
            )

    def _compute_attempt_count(self):
        counts = dict(self.env["ar.autopay.attempt"]._read_group(
            [("mandate_id", "in", self.ids)], ["mandate_id"], ["__count"]))
        for mandate in self:
            mandate.attempt_count = counts.get(mandate, 0)

    @api.constrains("partner_id", "company_id", "token_id")
    def _check_token(self):
        for mandate in self:
            token = mandate.token_id.sudo()
            if mandate.partner_id.commercial_partner_id != mandate.partner_id:
                raise ValidationError(self.env._(
                    "Autopay is set up for a customer (the company), not for one of its contacts."))
            if not token.active:
                raise ValidationError(self.env._("The card %(card)s was removed: choose another one.",
                                                 card=token.display_name))
            if token.partner_id.commercial_partner_id != mandate.partner_id:
                raise ValidationError(self.env._(
                    "The card %(card)s is not a card of %(customer)s.",
                    card=token.display_name, customer=mandate.partner_id.display_name))
            if token.provider_id.code != "stripe" or token.company_id != mandate.company_id:
                raise ValidationError(self.env._(
                    "The card %(card)s was not saved with the Stripe account of %(company)s.",
                    card=token.display_name, company=mandate.company_id.name))

    @api.model_create_multi
    def create(self, vals_list):
        # The exclusion constraint is checked at INSERT: an opt-out still in the cache must
        # reach the database first.
        self.flush_model(["active", "partner_id", "company_id"])
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("active") is False:
            self.filtered("active").attempt_ids._ar_stop_pending(self.env._("The customer opted out of autopay."))
        if "token_id" not in vals:
            return super().write(vals)
        new_card = self.filtered(lambda mandate: mandate.token_id.id != vals["token_id"])
        if not new_card:
            return super().write(vals)
        # A new card ends what was planned with the old one and lifts a suspension.
        new_card.attempt_ids._ar_stop_pending(self.env._("The customer chose another card."))
        new_card_vals = {**vals, "queued_date": False}
        if "state" not in vals:
            new_card_vals.update(state="active", state_reason=False)
        super(ArAutopayMandate, new_card).write(new_card_vals)
        if self - new_card:
            super(ArAutopayMandate, self - new_card).write(vals)
        return True

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_attempts(self):
        """The charges of this mandate."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ar_collections_portal_stripe.action_ar_autopay_attempt")
        action["domain"] = [("mandate_id", "=", self.id)]
        action["context"] = {"default_mandate_id": self.id}
        return action

    def action_suspend(self):
        """Stop charging until the customer chooses another card (or a manager resumes)."""
        self.check_access("write")
        self._ar_suspend(self.env._("Suspended by %(user)s", user=self.env.user.name))

    def action_resume(self):
        """Charge the card again (after the customer fixed the problem with their bank)."""
        self.check_access("write")
        self.filtered(lambda mandate: mandate.state == "suspended").write(
            {"state": "active", "state_reason": False, "queued_date": False})

    def _ar_suspend(self, reason):
        """Suspend these mandates: queued charges are cancelled, planned retries dropped."""
        self.attempt_ids._ar_stop_pending(reason)
        self.write({"state": "suspended", "state_reason": reason})

    # ------------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------------

    @api.model
    def _ar_portal_tokens(self, partner):
        """Stripe cards ``partner`` (a portal user's contact) may use for autopay: theirs and their
        company's, active, of an enabled Stripe provider (Odoo's rule for saved payment methods)."""
        return self.env["payment.token"].sudo().search([
            ("partner_id", "in", [partner.id, partner.commercial_partner_id.id]),
            ("provider_id.code", "=", "stripe"),
            ("provider_id.state", "in", ("enabled", "test")),
        ])

    @api.model
    def _ar_portal_show_entry(self, partner):
        """Whether the portal home shows the autopay card to ``partner``."""
        customer = partner.commercial_partner_id
        return bool(self._ar_portal_tokens(partner)) or bool(self.sudo().search_count(
            [("partner_id", "=", customer.id)], limit=1))

    # ------------------------------------------------------------------
    # Scheduler: queue the due invoices
    # ------------------------------------------------------------------

    @api.model
    def _cron_autopay_queue(self, batch_size=QUEUE_BATCH_SIZE, today=None):
        """Scheduled action: queue a charge for the invoices due under each active mandate,
        queue the soft-declined charges whose retry day came, and warn the customers whose
        last retry is tomorrow (batch protocol: a bounded batch per call)."""
        today = today or fields.Date.context_today(self)
        Attempt = self.env["ar.autopay.attempt"].sudo()
        retries = Attempt._ar_queue_retries(today, batch_size)
        Attempt._ar_notify_last_retry(today, batch_size)
        domain = self._ar_queue_domain(today)
        mandates = self.sudo().search(domain, limit=batch_size, order="id")
        attempts = mandates._ar_queue(today)
        if attempts or retries:
            self.env.ref("ar_collections_portal_stripe.ir_cron_autopay_send")._trigger()
        remaining = self.sudo().search_count(domain) + Attempt.search_count(Attempt._ar_retry_domain(today))
        self.env["ir.cron"]._notify_progress(done=len(mandates) + len(retries), remaining=remaining)
        return attempts | retries

    @api.model
    def _ar_queue_domain(self, today):
        return [
            ("state", "=", "active"),
            "|", ("queued_date", "=", False), ("queued_date", "<", today),
        ]

    def _ar_queue(self, today):
        """Queue one charge per mandate and currency for the due invoices not covered yet.

        :return: the attempts created
        """
        Attempt = self.env["ar.autopay.attempt"].sudo()
        self.write({"queued_date": today})
        lost_card = self.filtered(lambda mandate: not mandate.token_id.active)
        lost_card._ar_suspend(self.env._("The card was removed: choose another one."))
        mandates = self - lost_card
        if not mandates:
            return Attempt
        invoices = self.env["account.move"].sudo().search([
            *OPEN_INVOICE_DOMAIN,
            ("invoice_date_due", "<=", today),
            ("commercial_partner_id", "in", mandates.partner_id.ids),
            ("company_id", "in", mandates.company_id.ids),
        ], order="invoice_date_due, id")
        invoices = invoices - Attempt._ar_covered_invoices(invoices, mandates)
        # invoices of an approved payment plan: its instalments due are charged instead
        plan_specs, in_plans = Attempt._ar_plan_specs(invoices, mandates, today)
        invoices -= in_plans
        paused = invoices._ar_get_pause_reasons(today)
        by_mandate = {(mandate.partner_id.id, mandate.company_id.id): mandate for mandate in mandates}
        groups = {}
        for invoice in invoices:
            mandate = by_mandate.get((invoice.commercial_partner_id.id, invoice.company_id.id))
            if mandate and invoice.id not in paused and invoice.amount_residual > 0:
                key = (mandate, invoice.currency_id)
                groups[key] = groups.get(key, invoice.browse()) | invoice
        return Attempt._ar_create_attempts([
            {"mandate": mandate, "invoices": group, "today": today} for (mandate, _currency), group in groups.items()
        ] + plan_specs)

    # ------------------------------------------------------------------
    # Scheduler: card-expiry notices
    # ------------------------------------------------------------------

    @api.model
    def _cron_autopay_card_expiry(self, batch_size=EXPIRY_BATCH_SIZE, today=None):
        """Scheduled action: tell customers whose autopay card expires within 30 days (end of
        its expiry month) to choose another one, once per card; cards whose expiry is not
        known yet are looked up at Stripe first (batch protocol)."""
        today = today or fields.Date.context_today(self)
        Token = self.env["payment.token"].sudo()
        unknown = Token.search(self._ar_unknown_expiry_domain(today), limit=batch_size)
        unknown._ar_fetch_card_expiry()
        tokens = Token.search(self._ar_expiring_domain(today), limit=batch_size)
        mandates = self.sudo().search([("token_id", "in", tokens.ids)])
        template = self.env.ref("ar_collections_portal_stripe.mail_template_autopay_card_expiring")
        for mandate in mandates:
            mandate._ar_notify_customer(template, mandate)
        tokens.write({"ar_expiry_notified": True})
        remaining = Token.search_count(self._ar_unknown_expiry_domain(today)) + Token.search_count(
            self._ar_expiring_domain(today))
        self.env["ir.cron"]._notify_progress(done=len(unknown) + len(tokens), remaining=remaining)
        return tokens

    @api.model
    def _ar_unknown_expiry_domain(self, today):
        return [
            ("ar_autopay_mandate_ids", "any", [("active", "=", True)]),
            ("ar_card_expiry_date", "=", False),
            ("stripe_payment_method", "!=", False),
            "|", ("ar_card_checked_date", "=", False), ("ar_card_checked_date", "<", today),
        ]

    @api.model
    def _ar_expiring_domain(self, today):
        return [
            ("ar_autopay_mandate_ids", "any", [("active", "=", True), ("state", "=", "active")]),
            ("ar_expiry_notified", "=", False),
            ("ar_card_expiry_date", "!=", False),
            ("ar_card_expiry_date", "<=", today + timedelta(days=EXPIRY_NOTICE_DAYS)),
        ]

    # ------------------------------------------------------------------
    # Notifications
    # ------------------------------------------------------------------

    def _ar_recipients(self):
        """Who is told about this mandate: the customer and the contact who opted in."""
        self.ensure_one()
        partners = self.partner_id | self.consent_user_id.partner_id
        return partners.filtered("email")

    def _ar_notify_customer(self, template, record):
        """Queue the email of ``template`` rendered on ``record`` (this mandate or one of its
        attempts) to the customer, posted on the mandate's chatter."""
        self.ensure_one()
        values = template._generate_template(record.ids, ["subject", "body_html", "email_from", "reply_to"])[record.id]
        self.with_context(mail_post_autofollow=False).message_post(
            body=values["body_html"],
            subject=values["subject"],
            email_from=values.get("email_from") or self.company_id.email_formatted,
            reply_to=values.get("reply_to") or False,
            partner_ids=self._ar_recipients().ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid="mail.mail_notification_light",
            force_send=False,  # into the mail queue, sent once this transaction commits
            mail_auto_delete=False,
        )
