from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, plaintext2html
from odoo.tools.misc import formatLang

RELEASE_STATES = [
    ("draft", "Draft"),
    ("requested", "Requested"),
    ("approved", "Approved"),
    ("used", "Used up"),
    ("refused", "Refused"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]
# Set only by the workflow buttons (which write as superuser after their checks).
WORKFLOW_FIELDS = ("state", "requested_by_id", "approved_by_id", "approved_date", "amount_used")
EDITABLE_STATES = ("draft", "requested")
MAX_VALIDITY_DAYS = 366


class ArCreditRelease(models.Model):
    """A manager-approved exception to the automatic credit holds of one customer.

    A salesperson requests it (amount, reason, expiry); a Credit Manager other than the
    requester approves it. Until it expires, documents of the customer that the automatic
    holds (credit limit, overdue invoices, reminders' hold flag) would block go through, each
    using part of the amount. A manual credit hold is never overridden: it must be lifted.
    """

    _name = "ar.credit.release"
    _description = "Credit Release"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True, check_company=True,
        domain="[('is_company', '=', True)]",
    )
    amount = fields.Monetary(
        required=True, tracking=True,
        help="How much new exposure the release lets through, in the company's currency.",
    )
    amount_used = fields.Monetary(readonly=True, copy=False, tracking=True)
    amount_remaining = fields.Monetary(compute="_compute_amount_remaining")
    expiry_date = fields.Date(
        string="Valid until", required=True, tracking=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
    )
    reason = fields.Text(required=True)
    state = fields.Selection(RELEASE_STATES, default="draft", required=True, readonly=True, copy=False,
                             tracking=True, index=True)
    requested_by_id = fields.Many2one("res.users", string="Requested by", readonly=True, copy=False,
                                      default=lambda self: self.env.user, tracking=True)
    approved_by_id = fields.Many2one("res.users", string="Approved by", readonly=True, copy=False, tracking=True)
    approved_date = fields.Datetime(readonly=True, copy=False)
    can_approve = fields.Boolean(
        compute="_compute_can_approve",
        help="The current user is a Credit Manager who did not request it: segregation of duties.",
    )

    @api.depends("amount", "amount_used")
    def _compute_amount_remaining(self):
        for release in self:
            release.amount_remaining = max(release.amount - release.amount_used, 0.0)

    @api.depends("requested_by_id")
    @api.depends_context("uid")
    def _compute_can_approve(self):
        is_manager = self.env.user.has_group("ar_collections_credit.group_ar_credit_manager")
        for release in self:
            release.can_approve = is_manager and release.requested_by_id != self.env.user

    @api.constrains("amount")
    def _check_amount(self):
        for release in self:
            if release.currency_id.compare_amounts(release.amount, 0) <= 0:
                raise ValidationError(self.env._("A credit release needs a positive amount."))

    @api.constrains("expiry_date")
    def _check_expiry_date(self):
        today = fields.Date.context_today(self)
        for release in self:
            if release.state in EDITABLE_STATES and release.expiry_date < today:
                raise ValidationError(self.env._(
                    "The release cannot be valid until %(date)s: that date is past.",
                    date=format_date(self.env, release.expiry_date),
                ))
            if release.expiry_date > today + timedelta(days=MAX_VALIDITY_DAYS):
                raise ValidationError(self.env._(
                    "A credit release is an exception: it can be valid for a year at most. "
                    "Raise the credit limit instead."
                ))

    @api.constrains("partner_id")
    def _check_partner(self):
        for release in self:
            if release.partner_id != release.partner_id.commercial_partner_id:
                raise ValidationError(self.env._(
                    "Request the release for the customer's company, %(company)s: holds apply to it as a whole.",
                    company=release.partner_id.commercial_partner_id.display_name,
                ))

    def _ar_check_reason(self, vals):
        if "reason" in vals and not (vals["reason"] or "").strip():
            raise ValidationError(self.env._(
                "Say why the customer should get more credit: the Credit Manager decides on it."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._ar_check_reason(dict({"reason": False}, **vals))
        if not self.env.su:
            for vals in vals_list:
                if any(vals.get(field) for field in WORKFLOW_FIELDS if field != "requested_by_id"):
                    raise AccessError(self.env._("A credit release starts as a draft: use its buttons to move it on."))
                vals["requested_by_id"] = self.env.uid
        releases = super().create(vals_list)
        for release in releases:
            if release.name == "/":
                release.name = self.env["ir.sequence"].with_company(release.company_id).next_by_code(
                    "ar.credit.release") or "/"
        return releases

    def write(self, vals):
        self._ar_check_reason(vals)
        if not self.env.su:
            if any(field in vals for field in WORKFLOW_FIELDS):
                raise AccessError(self.env._("Use the release's buttons to request, approve or refuse it."))
            locked = self.filtered(lambda release: release.state not in EDITABLE_STATES)
            if locked:
                raise UserError(self.env._(
                    "%(release)s is %(state)s: it can no longer be changed. Request a new release instead.",
                    release=locked[0].name, state=dict(RELEASE_STATES)[locked[0].state].lower(),
                ))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        if any(release.state not in ("draft", "cancelled") for release in self):
            raise UserError(self.env._("Only draft or cancelled credit releases can be deleted; cancel it instead."))

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def _ar_check_state(self, states, action):
        for release in self:
            if release.state not in states:
                raise UserError(self.env._(
                    "%(release)s is %(state)s: it cannot be %(action)s.",
                    release=release.name, state=dict(RELEASE_STATES)[release.state].lower(), action=action,
                ))

    def _ar_check_not_expired(self):
        today = fields.Date.context_today(self)
        for release in self:
            if release.expiry_date < today:
                raise UserError(self.env._(
                    "%(release)s expired on %(date)s: request a new release.",
                    release=release.name, date=format_date(self.env, release.expiry_date),
                ))

    def _ar_check_manager(self, action):
        if not self.env.user.has_group("ar_collections_credit.group_ar_credit_manager"):
            raise AccessError(self.env._("Only a Credit Manager can %(action)s a credit release.", action=action))

    def action_request(self):
        """Send the request to the Credit Managers."""
        self._ar_check_state(("draft",), self.env._("requested"))
        self._ar_check_not_expired()
        for release in self:
            release.sudo().state = "requested"
            manager = release.company_id._ar_credit_manager()
            if manager and manager != release.requested_by_id:
                release.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=manager.id,
                    summary=self.env._("Approve credit release %(release)s", release=release.name),
                    # the reason is text typed by the requester: shown as such, never as HTML
                    note=plaintext2html(release.reason),
                )
        return True

    def action_approve(self):
        """Approve: only a Credit Manager who did not request it, before it expires."""
        self._ar_check_manager(self.env._("approve"))
        self._ar_check_state(("requested",), self.env._("approved"))
        for release in self:
            if release.requested_by_id == self.env.user:
                raise AccessError(self.env._(
                    "You requested %(release)s: another Credit Manager must approve it (segregation of duties).",
                    release=release.name,
                ))
        self._ar_check_not_expired()
        self.sudo().write({
            "state": "approved", "approved_by_id": self.env.uid, "approved_date": fields.Datetime.now(),
        })
        self.activity_feedback(["mail.mail_activity_data_todo"], feedback=self.env._("Approved"))
        for release in self:
            release.partner_id.message_post(body=self.env._(
                "Credit release %(release)s of %(amount)s approved by %(user)s until %(date)s: %(reason)s",
                release=release.name, amount=formatLang(self.env, release.amount, currency_obj=release.currency_id),
                user=self.env.user.name, date=format_date(self.env, release.expiry_date), reason=release.reason,
            ))
        return True

    def action_refuse(self):
        """Refuse the request (Credit Managers)."""
        self._ar_check_manager(self.env._("refuse"))
        self._ar_check_state(("requested", "approved"), self.env._("refused"))
        self.sudo().write({"state": "refused"})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    def action_cancel(self):
        """Withdraw the request (the requester or a Credit Manager)."""
        self._ar_check_state(EDITABLE_STATES + ("approved",), self.env._("cancelled"))
        is_manager = self.env.user.has_group("ar_collections_credit.group_ar_credit_manager")
        if not is_manager and any(release.requested_by_id != self.env.user for release in self):
            raise AccessError(self.env._("Only the requester or a Credit Manager can cancel a credit release."))
        self.sudo().write({"state": "cancelled"})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    def action_draft(self):
        """Back to draft after a refusal or cancellation, to correct and request again."""
        self._ar_check_state(("refused", "cancelled"), self.env._("reset to draft"))
        if any(release.requested_by_id != self.env.user for release in self):
            raise AccessError(self.env._("Only the requester can reopen a credit release."))
        self.sudo().write({"state": "draft", "approved_by_id": False, "approved_date": False})
        return True

    @api.model
    def _cron_expire_releases(self):
        """Close requested or approved releases whose validity has ended."""
        today = fields.Date.context_today(self)
        expired = self.search([("state", "in", ("requested", "approved")), ("expiry_date", "<", today)])
        expired.sudo().write({"state": "expired"})
        expired.activity_unlink(["mail.mail_activity_data_todo"])
        return expired

    # ------------------------------------------------------------------
    # Use by the credit check
    # ------------------------------------------------------------------

    @api.model
    def _ar_pass_or_raise(self, blocks, company, amounts, documents):
        """Let blocked documents through on an approved release, else refuse with every reason.

        ``blocks``: ``{partner_id: {"manual": [...], "automatic": [...], "overdue": amount}}`` from
        ``res.partner._ar_credit_blocks``; ``amounts``: exposure added per partner; ``documents``:
        the orders, deliveries or invoices being checked.

        A release is spent by each document that needs it, until used up. The Sales bridge adds
        releases tied to one order (``_ar_release_domain``, ``_ar_candidates``, ``_ar_cover``).
        """
        today = fields.Date.context_today(self)
        partners = self.env["res.partner"].browse(list(blocks))
        releases = self.sudo().search([
            ("company_id", "=", company.id),
            ("partner_id", "in", partners.ids),
            *self._ar_release_domain(documents),
        ], order="expiry_date, id")
        errors = []
        for partner in partners:
            reasons = blocks[partner.id]
            partner_docs = documents.filtered(lambda doc, p=partner: doc.partner_id.commercial_partner_id == p)
            if reasons["manual"]:
                errors += reasons["manual"] + reasons["automatic"]
                continue
            amount = max(amounts.get(partner.id, 0.0), 0.0)
            candidates = releases._ar_candidates(partner, partner_docs)
            if candidates._ar_cover(partner_docs, reasons["automatic"]):
                continue
            valid = candidates.filtered(lambda rel: rel.state == "approved" and rel.expiry_date >= today)
            usable = valid.filtered(
                lambda rel, a=amount: rel.currency_id.compare_amounts(rel.amount_remaining, a) >= 0)
            if usable and usable[0]._ar_consume(amount, partner_docs, reasons["automatic"]):
                continue
            errors += reasons["automatic"]
            pending = candidates.filtered(lambda rel: rel.state == "requested" and rel.expiry_date >= today)
            expired = candidates.filtered(
                lambda rel: rel.state == "expired" or (rel.state != "used" and rel.expiry_date < today))
            if valid:
                errors.append(self.env._(
                    "Credit release %(release)s has %(left)s left, less than the %(amount)s needed.",
                    release=valid[0].name, amount=formatLang(self.env, amount, currency_obj=company.currency_id),
                    left=formatLang(self.env, valid[0].amount_remaining, currency_obj=company.currency_id),
                ))
            elif pending:
                errors.append(self.env._(
                    "Credit release %(release)s is still waiting for the approval of a Credit Manager.",
                    release=pending[0].name,
                ))
            elif expired:
                errors.append(self.env._(
                    "Credit release %(release)s expired on %(date)s.",
                    release=expired[-1].name, date=format_date(self.env, expired[-1].expiry_date),
                ))
            else:
                errors += candidates._ar_unusable_reasons(partner_docs)
            errors.append(self._ar_advice(partner, reasons.get("overdue", 0.0), pending[:1], company))
        if errors:
            raise UserError("\n".join(errors))

    @api.model
    def _ar_release_domain(self, documents):
        """Which releases of the blocked customers may serve ``documents`` (with the ones that only
        explain a refusal: requested or expired)."""
        return [("state", "in", ("requested", "approved", "expired"))]

    def _ar_candidates(self, partner, documents):
        """Of these releases, those ``documents`` of ``partner`` may use, the first to use first."""
        return self.filtered(lambda rel: rel.partner_id == partner)

    def _ar_cover(self, documents, reasons):
        """Hook: let ``documents`` through on one of these releases without spending it (True if so)."""
        return False

    def _ar_unusable_reasons(self, documents):
        """Hook: why none of these releases can serve ``documents`` when none is valid, pending or expired."""
        return []

    def _ar_used_up_by_one_use(self):
        """Hook: whether this release is used up by its first use, whatever its amount."""
        self.ensure_one()
        return False

    @api.model
    def _ar_release_menu(self):
        """Where a user requests a credit release, for the messages."""
        return self.env._("Collections > Credit > Credit Releases")

    @api.model
    def _ar_advice(self, partner, overdue, pending, company):
        """What the user can do about an automatic block: there is no hold to lift."""
        if company.currency_id.compare_amounts(overdue, 0.0) > 0:
            overdue = formatLang(self.env, overdue, currency_obj=company.currency_id)
            if pending:
                return self.env._(
                    "To go ahead, ask a Credit Manager to approve credit release %(release)s, "
                    "or have %(partner)s pay its overdue invoices (%(overdue)s).",
                    release=pending.name, partner=partner.display_name, overdue=overdue,
                )
            return self.env._(
                "To go ahead, request a credit release (%(menu)s), "
                "or have %(partner)s pay its overdue invoices (%(overdue)s).",
                menu=self._ar_release_menu(), partner=partner.display_name, overdue=overdue,
            )
        if pending:
            return self.env._(
                "To go ahead, ask a Credit Manager to approve credit release %(release)s.", release=pending.name)
        return self.env._("To go ahead, request a credit release (%(menu)s).", menu=self._ar_release_menu())

    def _ar_consume(self, amount, documents, reasons):
        """Use ``amount`` of this release for ``documents``; False if another user used it first."""
        self.ensure_one()
        # Two confirmations at once must not both spend the same remainder: lock, then re-read.
        self.env.cr.execute(SQL("SELECT id FROM ar_credit_release WHERE id = %s FOR UPDATE", self.id))
        self.invalidate_recordset(["amount_used", "state"])
        release = self.sudo()
        if release.state != "approved" or release.currency_id.compare_amounts(release.amount_remaining, amount) < 0:
            return False
        used = release.amount_used + amount
        used_up = release._ar_used_up_by_one_use() or release.currency_id.compare_amounts(used, release.amount) >= 0
        release.write({"amount_used": used, "state": "used" if used_up else "approved"})
        names = ", ".join(documents.mapped("display_name"))
        release.message_post(body=self.env._(
            "%(documents)s went through on this release (%(amount)s) despite: %(reasons)s",
            documents=names, amount=formatLang(self.env, amount, currency_obj=release.currency_id),
            reasons=" ".join(reasons),
        ))
        release._ar_note_on(documents)
        return True

    def _ar_note_on(self, documents):
        self.ensure_one()
        for document in documents:
            document.sudo().message_post(body=self._ar_note_body(document))

    def _ar_note_body(self, document):
        """What ``document``'s chatter says about the release that let it through."""
        return self.env._("Let through the credit check under credit release %(release)s approved by %(user)s.",
                          release=self.name, user=self.approved_by_id.name)
