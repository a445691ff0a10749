import contextlib
import re
from datetime import datetime, time, timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools.mimetypes import get_extension, guess_mimetype

OPEN_STAGES = ("new", "review")
# Disputes escalated per scheduler call.
BATCH_SIZE = 200
# Evidence: what the content of a file named .<extension> may be, as odoo.tools.mimetypes guesses it.
EVIDENCE_TYPES = {
    ".pdf": ("application/pdf",),
    ".png": ("image/png",),
    ".jpg": ("image/jpeg",),
    ".jpeg": ("image/jpeg",),
    ".gif": ("image/gif",),
    ".txt": ("text/plain",),
    ".csv": ("text/plain", "text/csv"),
}
# Programs are no evidence, whatever they contain; nor is content that starts as one (Windows, Linux).
PROGRAM_EXTENSIONS = frozenset({
    ".apk", ".app", ".bat", ".cmd", ".com", ".dll", ".exe", ".jar", ".js", ".msi", ".ps1", ".scr", ".sh", ".vbs",
})
PROGRAM_SIGNATURES = (b"MZ", b"\x7fELF")
# Control characters no text file has: what tells an 8-bit text from binary data.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def guess_evidence_type(content):
    """What ``content`` really is, by Odoo's guesser (magic bytes; text when its first
    kilobyte decodes as UTF-8 without control characters, or as Windows-1252 without them),
    whatever its name or the client say."""
    guessed = guess_mimetype(content)
    if guessed == "application/octet-stream" and len(content) > 1024:
        try:
            content[:1024].decode()
        except UnicodeDecodeError as error:
            # a character cut by the guesser's kilobyte window is no reason to call a text binary
            if error.reason == "unexpected end of data":
                guessed = guess_mimetype(content[:error.start])
    if guessed == "application/octet-stream" and not content.startswith(PROGRAM_SIGNATURES) \
            and not BINARY_BYTES.search(content[:1024]):
        # Spreadsheets save CSV in the local 8-bit code page (Excel: Windows-1252), not UTF-8
        with contextlib.suppress(UnicodeDecodeError):
            content[:1024].decode("cp1252")
            guessed = "text/plain"
    return guessed


class ArDispute(models.Model):
    """A customer disputes invoices (whole or an amount): while it is open, they are not chased.

    Its owner is chosen by the routing rules of its reason (``ar.dispute.routing.rule``),
    whose team follows it. It must be resolved within the company's SLA (working days of the
    company's calendar, public holidays skipped): past it, the scheduler escalates it once to
    the collections manager, and once more to a configurable person after the second
    escalation delay. Resolving it with a credit note drafts the credit note for the
    disputed amount; any resolution resumes the reminders of its invoices (with a credit note,
    once it is posted or cancelled).
    """

    _name = "ar.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin", "ar.customer.invoices.mixin", "ar.system.fields.mixin",
                "ar.pause.source.mixin"]
    _order = "id desc"
    _ar_pause_sequence = 10
    _ar_system_fields = ("stage", "is_open", "date_opened", "sla_deadline", "sla_breached", "sla_escalation",
                         "credit_note_id", "routing_rule_id")
    reason = fields.Selection([
        ("pricing", "Wrong price or quantity"),
        ("quality", "Goods or service not as agreed"),
        ("not_received", "Not received"),
        ("duplicate", "Invoiced twice"),
        ("other", "Other"),
    ], required=True, default="other", tracking=True)
    description = fields.Text()
    # No default: the routing rules choose the owner at creation (see create).
    user_id = fields.Many2one("res.users", string="Owner", tracking=True, index=True,
                              domain="[('share', '=', False)]")
    routing_rule_id = fields.Many2one("ar.dispute.routing.rule", string="Routed by", readonly=True, copy=False,
                                      help="The routing rule that chose the owner and the followers.")
    stage = fields.Selection([
        ("new", "New"),
        ("review", "Under review"),
        ("resolved_credit", "Resolved: credit note"),
        ("resolved_rejected", "Resolved: rejected"),
        ("cancelled", "Cancelled"),
    ], required=True, default="new", readonly=True, tracking=True, index=True, group_expand="_read_group_stage")
    is_open = fields.Boolean(compute="_compute_is_open", store=True, index=True)
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", store=True)
    amount = fields.Monetary(
        string="Disputed amount", compute="_compute_amount", store=True, readonly=False, precompute=True,
        tracking=True, currency_field="currency_id",
        help="Part of the invoices' open amount the customer disputes; all of it by default.")
    attachment_ids = fields.Many2many(
        "ir.attachment", "ar_dispute_ir_attachment_rel", "dispute_id", "attachment_id", string="Attachments",
        help="The customer's evidence: photos, delivery notes, emails.")
    date_opened = fields.Date(string="Opened on", readonly=True, copy=False, default=fields.Date.context_today)
    sla_deadline = fields.Date(
        string="Resolve by", readonly=True, copy=False, index=True,
        help="Opening day plus the company's dispute resolution time in working days of the company's "
             "working schedule (its public holidays skipped); Monday to Friday without a schedule.")
    sla_breached = fields.Boolean(string="SLA breached", readonly=True, copy=False, index=True, tracking=True)
    sla_escalation = fields.Selection(
        [("none", "None"), ("manager", "Collections manager"), ("second", "Second escalation")],
        string="Escalated to", default="none", required=True, readonly=True, copy=False)
    credit_note_id = fields.Many2one("account.move", string="Credit note", readonly=True, copy=False,
                                     check_company=True)

    @api.model
    def _read_group_stage(self, stages, domain):
        """The board's columns: the open stages always, the closed ones when they hold disputes."""
        order = [value for value, _label in self._fields["stage"].selection]
        return [stage for stage in order if stage in OPEN_STAGES or stage in stages]

    @api.depends("stage")
    def _compute_is_open(self):
        for dispute in self:
            dispute.is_open = dispute.stage in OPEN_STAGES

    @api.depends("invoice_ids")
    def _compute_currency_id(self):
        for dispute in self:
            dispute.currency_id = dispute.invoice_ids[:1].currency_id or dispute.company_id.currency_id

    @api.depends("invoice_ids")
    def _compute_amount(self):
        for dispute in self:
            dispute.amount = sum(dispute.invoice_ids.mapped("amount_residual"))

    @api.depends("partner_id", "invoice_ids")
    def _compute_display_name(self):
        for dispute in self:
            invoices = ", ".join(dispute.invoice_ids.mapped("name"))
            dispute.display_name = f"{dispute.partner_id.name or ''}: {invoices}" if invoices else dispute.partner_id.name

    @api.constrains("amount", "invoice_ids")
    def _check_amount(self):
        for dispute in self:
            dispute._ar_check_customer_invoices()
            if len(dispute.invoice_ids.currency_id) > 1:
                raise ValidationError(self.env._("Dispute invoices in one currency at a time: open one dispute per currency."))
            residual = sum(dispute.invoice_ids.mapped("amount_residual"))
            if dispute.currency_id.compare_amounts(dispute.amount, 0.0) <= 0:
                raise ValidationError(self.env._("The disputed amount must be positive."))
            if dispute.is_open and dispute.currency_id.compare_amounts(dispute.amount, residual) > 0:
                raise ValidationError(self.env._(
                    "The disputed amount %(amount)s is more than the invoices still have open (%(open)s).",
                    amount=dispute.currency_id.format(dispute.amount), open=dispute.currency_id.format(residual)))

    @api.constrains("attachment_ids")
    def _check_attachment_ids(self):
        for attachment in self.sudo().attachment_ids:
            self._ar_check_evidence(attachment.name or "", attachment.raw or b"")
        if self.env.su:
            return
        for dispute in self:
            # Linking an attachment by id gives no right to it: the user must be able to open it.
            attachments = dispute.sudo().attachment_ids
            hidden = attachments - self.env["ir.attachment"]._filter_attachment_access(attachments.ids)
            if hidden:
                raise AccessError(self.env._(
                    "You can only attach documents you can open yourself, which is not the case of %(files)s.",
                    files=", ".join(hidden.sudo().mapped("name"))))

    @api.model
    def _ar_check_evidence(self, name, content):
        """Refuse a program, or a file whose content is not what its name says (a program
        named .pdf, a PDF named .exe).

        :return: the type guessed from the content
        """
        extension = get_extension(name).lower()
        guessed = guess_evidence_type(content)
        if extension in PROGRAM_EXTENSIONS or (guessed != "text/plain" and content.startswith(PROGRAM_SIGNATURES)):
            raise ValidationError(self.env._(
                "%(file)s is a program: attach documents, photos or text only.", file=name))
        if extension in EVIDENCE_TYPES and guessed not in EVIDENCE_TYPES[extension]:
            raise ValidationError(self.env._(
                "%(file)s is not what its name says: its content is %(kind)s.",
                file=name, kind=self._ar_file_kind(guessed)))
        return guessed

    @api.model
    def _ar_file_kind(self, mimetype):
        """How a refusal names the type ``mimetype`` guessed from a file's content."""
        return {
            "application/pdf": self.env._("a PDF"),
            "image/png": self.env._("a PNG image"),
            "image/jpeg": self.env._("a JPEG image"),
            "image/gif": self.env._("a GIF image"),
            "text/plain": self.env._("text"),
            "application/zip": self.env._("a ZIP archive"),
            "application/octet-stream": self.env._("binary (a program or a format we do not take)"),
        }.get(mimetype, mimetype)

    @api.model_create_multi
    def create(self, vals_list):
        self._ar_check_system_create(vals_list)
        today = fields.Date.context_today(self)
        defaults = self.default_get(["partner_id", "company_id", "reason"])
        followers = []
        for vals in vals_list:
            company = self.env["res.company"].browse(vals.get("company_id") or defaults.get("company_id")) \
                or self.env.company
            if not vals.get("sla_deadline"):
                opened = fields.Date.to_date(vals.get("date_opened")) or today
                vals["sla_deadline"] = self._ar_sla_deadline(company, opened)
            # Routed here, not in the callers: the portal, the call wizard and Slack create alike.
            partner = self.env["res.partner"].browse(vals.get("partner_id") or defaults.get("partner_id"))
            rule, owner = self._ar_route(partner, company, vals.get("reason") or defaults.get("reason"))
            vals["routing_rule_id"] = rule.id
            if not vals.get("user_id"):
                vals["user_id"] = owner.id
            elif vals["user_id"] != owner.id and not self.env.su:
                # chosen by hand (the form proposes the routed owner)
                self._ar_check_owner(self.env["res.users"].browse(vals["user_id"]), company)
            followers.append(rule._ar_followers(company) if rule else self.env["res.users"])
        disputes = super().create(vals_list)
        for dispute, team in zip(disputes, followers, strict=True):
            partners = (team | dispute.user_id).partner_id
            if partners:
                dispute.message_subscribe(partner_ids=partners.ids)
        return disputes

    def write(self, vals):
        if vals.get("user_id") and not self.env.su:
            user = self.env["res.users"].browse(vals["user_id"])
            for company in self.filtered(lambda dispute: dispute.user_id != user).company_id:
                self._ar_check_owner(user, company)
        return super().write(vals)

    @api.onchange("partner_id", "reason")
    def _onchange_route(self):
        """Show the owner the routing rules will give a new dispute."""
        if not self._origin.id and self.partner_id and self.reason:
            self.user_id = self._ar_route(self.partner_id, self.company_id or self.env.company, self.reason)[1]

    # ------------------------------------------------------------------
    # Owner: routing rules and assignment
    # ------------------------------------------------------------------

    @api.model
    def _ar_may_own(self, user, company):
        """Whether ``user`` may own disputes of ``company``: an active internal collections
        user of that company."""
        user = user.sudo()
        return bool(user) and user.active and not user.share and company in user.company_ids \
            and user.has_group("ar_collections.group_ar_collections_user")

    @api.model
    def _ar_route(self, partner, company, reason):
        """The routing rule of a new dispute and its owner: the rule's choice, else the
        customer's collector, else the user recording it, else the collections manager.

        :return: (rule or empty, user)
        """
        rule = self.env["ar.dispute.routing.rule"]._ar_find(reason, company) if reason else \
            self.env["ar.dispute.routing.rule"]
        owner = rule._ar_owner(partner, company) if rule and partner else self.env["res.users"]
        if not owner and partner:
            collector = partner.commercial_partner_id.with_company(company).sudo().ar_collector_id
            owner = collector if self._ar_may_own(collector, company) else owner
        if not owner and self._ar_may_own(self.env.user, company):
            owner = self.env.user
        return rule, owner or company.sudo()._ar_escalation_user()

    @api.model
    def _ar_check_owner(self, user, company):
        """Refuse ``user`` as the owner of disputes of ``company`` unless they may own them
        (chosen by hand, assigned, or from Slack: as the routing rules choose)."""
        if not self._ar_may_own(user, company):
            raise UserError(self.env._(
                "%(user)s cannot own disputes of %(company)s: choose an internal collections user of "
                "that company.", user=user.sudo().name or "-", company=company.name))

    def action_assign(self, user):
        """Give these disputes to ``user``, who must be able to own them: they own and follow
        them, and their chatter says who gave them (Slack's 'Assign' button calls this too)."""
        for company in self.company_id:
            self._ar_check_owner(user, company)
        self.write({"user_id": user.id})
        self.message_subscribe(partner_ids=user.partner_id.ids)
        for dispute in self:
            dispute.message_post(
                body=self.env._("Assigned to %(user)s by %(by)s.", user=user.name, by=self.env.user.name),
                subtype_xmlid="mail.mt_note")
        return True

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        """An open dispute pauses its invoices; so does one resolved with a credit note that is
        still a draft (until it is posted the invoice shows the disputed amount as owed)."""
        reasons = {}
        ids = set(invoices.ids)
        labels = dict(self._fields["reason"]._description_selection(self.env))
        pending_credit = [("stage", "=", "resolved_credit"), ("credit_note_id.state", "=", "draft")]
        domain = expression.AND([
            [("invoice_ids", "in", invoices.ids)],
            expression.OR([[("is_open", "=", True)], pending_credit]),
        ])
        for dispute in self.search(domain):
            if dispute.is_open:
                reason = self.env._("Disputed: %(reason)s", reason=labels[dispute.reason])
            else:
                reason = self.env._("Credit note not yet posted: %(name)s",
                                    name=dispute.credit_note_id.display_name)
            for move_id in set(dispute.invoice_ids.ids) & ids:
                reasons.setdefault(move_id, reason)
        return reasons

    # ------------------------------------------------------------------
    # Stages
    # ------------------------------------------------------------------

    def _ar_check_open(self):
        if self.filtered(lambda dispute: not dispute.is_open):
            raise UserError(self.env._("This dispute is already closed: reopen it first."))

    def action_review(self):
        """Start reviewing new disputes."""
        if self.filtered(lambda dispute: dispute.stage != "new"):
            raise UserError(self.env._("Only a new dispute can be put under review."))
        self._ar_system_write({"stage": "review"})

    def action_resolve_credit_note(self):
        """Resolve with a credit note: draft one for the disputed amount and open it."""
        self._ar_check_open()
        refunds = self.env["account.move"]
        for dispute in self:
            refund = dispute._ar_create_credit_note()
            dispute._ar_system_write({"stage": "resolved_credit", "credit_note_id": refund.id})
            dispute.message_post(body=self.env._("Credit note drafted: %(refund)s", refund=refund._get_html_link()))
            refunds |= refund
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_refund_type")
        if len(refunds) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=refunds.id)
        else:
            action["domain"] = [("id", "in", refunds.ids)]
        return action

    def _ar_create_credit_note(self):
        """A draft credit note of the disputed amount (no tax) reversing the disputed invoice
        (the first one when there are several)."""
        self.ensure_one()
        invoice = self.invoice_ids.sorted("id")[:1]
        income_line = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")[:1]
        reason = dict(self._fields["reason"]._description_selection(self.env))[self.reason]
        return self.env["account.move"].with_company(invoice.company_id).create({
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "journal_id": invoice.journal_id.id,
            "currency_id": invoice.currency_id.id,
            "reversed_entry_id": invoice.id,
            "ref": self.env._("Dispute on %(invoices)s: %(reason)s",
                              invoices=", ".join(self.invoice_ids.mapped("name")), reason=reason),
            "invoice_line_ids": [Command.create({
                "name": self.env._("Credit for disputed %(invoices)s (%(reason)s)",
                                   invoices=", ".join(self.invoice_ids.mapped("name")), reason=reason),
                "quantity": 1,
                "price_unit": self.amount,
                "tax_ids": [Command.clear()],
                # the invoice's income account; else the journal's default
                **({"account_id": income_line.account_id.id} if income_line else {}),
            })],
        })

    def action_view_credit_note(self):
        """Open the credit note that resolved this dispute."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_refund_type")
        action.update(views=[(False, "form")], view_mode="form", res_id=self.credit_note_id.id)
        return action

    def action_reject(self):
        """Resolve by rejecting the customer's claim: reminders resume."""
        self._ar_check_open()
        self._ar_system_write({"stage": "resolved_rejected"})

    def action_cancel(self):
        """Cancel (opened by mistake, withdrawn): reminders resume."""
        self._ar_check_open()
        self._ar_system_write({"stage": "cancelled"})

    def action_reopen(self):
        """Reopen a rejected or cancelled dispute."""
        if self.filtered(lambda dispute: dispute.stage not in ("resolved_rejected", "cancelled")):
            raise UserError(self.env._("Only a rejected or cancelled dispute can be reopened."))
        self._ar_system_write({"stage": "new"})

    # Former names of the resolution buttons, kept for callers outside this module.
    def action_resolve_credit(self):
        return self.action_resolve_credit_note()

    def action_resolve_rejected(self):
        return self.action_reject()

    # ------------------------------------------------------------------
    # SLA
    # ------------------------------------------------------------------

    @api.model
    def _ar_sla_deadline(self, company, opened):
        """The day a dispute opened on ``opened`` must be resolved by: that many working days
        of the company's working schedule after it, its public holidays and leaves of
        the whole company skipped (``resource.calendar``); Monday to Friday when the company
        has no schedule (or one without working hours)."""
        days = company.ar_dispute_sla_days
        calendar = company.sudo().resource_calendar_id
        if calendar:
            tz = pytz.timezone(calendar.tz or "UTC")
            # counted from the next day's start in the schedule's own time zone: the opening day is not one
            start = tz.localize(datetime.combine(opened + timedelta(days=1), time.min))
            # leaves of no one in particular (public holidays) of this company or of every company
            end = calendar.plan_days(days, start, compute_leaves=True, domain=[
                ("time_type", "=", "leave"), ("company_id", "in", [False, company.id])])
            if end:
                return end.astimezone(tz).date()
        deadline = opened
        while days > 0:
            deadline += timedelta(days=1)
            if deadline.weekday() < 5:
                days -= 1
        return deadline

    @api.model
    def _ar_escalation_domain(self, today):
        """Open disputes that have an escalation due on ``today``."""
        second = []
        for company in self.env["res.company"].sudo().search([]):
            second.append([
                ("company_id", "=", company.id),
                ("date_opened", "<", today - timedelta(days=company.ar_dispute_escalation_days)),
            ])
        due = expression.OR([
            [("sla_deadline", "<", today), ("sla_breached", "=", False)],
            expression.AND([[("sla_escalation", "!=", "second")], expression.OR(second or [expression.FALSE_DOMAIN])]),
        ])
        return expression.AND([[("is_open", "=", True)], due])

    def _ar_escalate(self, today):
        """Escalate each dispute of ``self`` as far as it is due on ``today``, each step once."""
        for dispute in self:
            company = dispute.company_id
            values = {}
            if dispute.sla_deadline and dispute.sla_deadline < today and not dispute.sla_breached:
                values["sla_breached"] = True
                if dispute.sla_escalation == "none":
                    values["sla_escalation"] = "manager"
                dispute._ar_escalation_activity(company._ar_escalation_user(), self.env._(
                    "Dispute not resolved by %(date)s", date=fields.Date.to_string(dispute.sla_deadline)))
            if dispute.sla_escalation != "second" and \
                    dispute.date_opened < today - timedelta(days=company.ar_dispute_escalation_days):
                values["sla_escalation"] = "second"
                dispute._ar_escalation_activity(company._ar_dispute_escalation_user(), self.env._(
                    "Dispute open for more than %(days)s days", days=company.ar_dispute_escalation_days))
            dispute.sudo().write(values)

    def _ar_escalation_activity(self, user, summary):
        self.ensure_one()
        self.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=summary,
            note=self.env._("The dispute of %(partner)s on %(invoices)s (owner: %(owner)s) is still open. "
                            "Get it resolved.", partner=self.partner_id.display_name,
                            invoices=", ".join(self.invoice_ids.mapped("name")), owner=self.user_id.name or "-"),
            user_id=user.id,
        )

    @api.model
    def _cron_escalate_disputes(self, batch_size=BATCH_SIZE):
        """Scheduled action: escalate the disputes past their SLA or open too long, one
        bounded batch per call (Odoo 18 cron batch protocol)."""
        today = fields.Date.context_today(self)
        domain = self._ar_escalation_domain(today)
        disputes = self.sudo().search(domain, limit=batch_size, order="id")
        disputes._ar_escalate(today)
        self.env["ir.cron"]._notify_progress(done=len(disputes), remaining=self.sudo().search_count(domain))

    # ------------------------------------------------------------------
    # One open dispute per invoice
    # ------------------------------------------------------------------

    @api.constrains("stage", "invoice_ids")
    def _check_without_other_open_dispute(self):  # named to run after the checks of the values
        """An invoice is in one open dispute at most, whoever opens it (portal, back office)
        and however many requests open one at the same time."""
        busy = self._ar_invoices_open_elsewhere([("is_open", "=", True)])
        if busy:
            raise ValidationError(self.env._(
                "%(invoices)s already in an open dispute: resolve or cancel it first.",
                invoices=", ".join(busy.mapped("name"))))
