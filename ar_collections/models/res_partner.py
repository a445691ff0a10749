from collections import defaultdict
from datetime import date

from odoo import api, fields, models
from odoo.tools.misc import formatLang

from ..const import OPEN_INVOICE_DOMAIN, OPEN_PAYMENT_STATES

# Key of the credits read for a batch of reminders in the cursor's cache (see _ar_unapplied_credits).
AR_BATCH_CREDITS = "ar_batch_credits"


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "ar.no.chase.mixin"]

    # Collections fields are the company's own assessment of the customer: internal users only,
    # the portal shows what its pages choose to show (read with sudo()).
    ar_no_chase = fields.Boolean(groups="base.group_user")
    ar_no_chase_reason = fields.Char(groups="base.group_user")
    ar_no_chase_until = fields.Date(groups="base.group_user")
    ar_dunning_policy_id = fields.Many2one(
        "ar.dunning.policy",
        string="Dunning policy",
        company_dependent=True,
        groups="base.group_user",
        help="Overrides the company's default dunning policy for this customer.",
    )
    ar_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        domain="[('share', '=', False)]",
        groups="base.group_user",
        help="Person responsible for collecting this customer's invoices.",
    )
    ar_dunning_hold = fields.Boolean(
        string="Credit hold suggested", tracking=True, copy=False, groups="base.group_user",
        help="Set by the reminder engine when a level with the 'credit hold' escalation is reached.",
    )
    ar_dunning_hold_reason = fields.Char(string="Why a hold is suggested", copy=False, groups="base.group_user")
    ar_dunning_log_ids = fields.One2many("ar.dunning.log", "partner_id", string="Reminder log", readonly=True,
                                         groups="base.group_user")
    ar_dunning_message_ids = fields.One2many("ar.dunning.message", "partner_id", string="Reminders", readonly=True,
                                             groups="base.group_user")
    ar_pause_reason = fields.Char(
        string="Reminders paused", compute="_compute_ar_pause_reason", groups="base.group_user",
        help="Why the customer's invoices are not chased today.",
    )
    ar_overdue_amount = fields.Monetary(
        string="Overdue amount",
        compute="_compute_ar_amounts",
        currency_field="ar_currency_id",
        groups="base.group_user",
        help="Open receivable past its due date, in the current company's currency.",
    )
    ar_open_amount = fields.Monetary(
        string="Open receivable",
        compute="_compute_ar_amounts",
        currency_field="ar_currency_id",
        groups="base.group_user",
    )
    ar_currency_id = fields.Many2one("res.currency", compute="_compute_ar_amounts", groups="base.group_user")
    ar_has_overdue = fields.Boolean(
        string="Has overdue invoices", compute="_compute_ar_amounts", search="_search_ar_has_overdue",
        groups="base.group_user",
    )
    ar_at_risk = fields.Boolean(
        string="At risk", readonly=True, copy=False, index=True, groups="base.group_user",
        help="The probability that the customer's overdue invoices are still unpaid in 30 days "
             "(the worklist's, weighted by their open amounts, in the company where it is highest) "
             "is at least 85 %: the worklist's high band. Refreshed nightly; the reason adds a change "
             "of payment pattern when there is one.",
    )
    ar_at_risk_reason = fields.Char(string="Why at risk", readonly=True, copy=False, groups="base.group_user")
    ar_prediction_date = fields.Date(
        string="Payment predictions refreshed on", readonly=True, copy=False, groups="base.group_user",
        help="Day the predicted payment dates of this customer's invoices and its at-risk flag were computed.",
    )

    @api.constrains("ar_dunning_policy_id")
    def _check_ar_dunning_policy_id(self):
        # company-dependent: the value checked is the one of the company being written
        company = self.env.company
        for partner in self:
            partner.sudo().ar_dunning_policy_id._ar_check_company_of(company)

    @api.depends_context("company", "date")
    def _compute_ar_pause_reason(self):
        today = fields.Date.context_today(self)
        for partner in self:
            partner.ar_pause_reason = False
            customer = partner.commercial_partner_id
            if customer._ar_no_chase_active(today):
                partner.ar_pause_reason = self.env._("Excluded from reminders: %(reason)s",
                                                     reason=customer.ar_no_chase_reason)
        invoices = self.env["account.move"].search([
            ("commercial_partner_id", "in", self.commercial_partner_id.ids),
            *OPEN_INVOICE_DOMAIN,
        ])
        replied = invoices._ar_customer_replies(today)
        for partner in self:
            date = replied.get(partner.commercial_partner_id.id)
            if date and not partner.ar_pause_reason:
                partner.ar_pause_reason = self.env._("Customer replied on %(date)s", date=fields.Date.to_string(date))

    @api.model
    def _ar_escalate(self, escalations, company):
        """Apply the escalations ``[(customer, level)]`` that one dunning batch reached.

        Set-based: one write per credit-hold level and one create() for all the
        activities, so a batch costs the same number of queries however many customers
        escalate (an activity_schedule() per customer cost six queries each).
        """
        today = fields.Date.context_today(self)
        holds = defaultdict(lambda: self.browse())
        activities = []
        todo = self.env.ref("mail.mail_activity_data_todo")
        model = self.env["ir.model"]._get_id("res.partner")
        escalation_user = None
        for partner, level in escalations:
            if level.escalation == "credit_hold":
                holds[level] |= partner
                continue
            if level.escalation not in ("activity_collector", "activity_manager"):
                continue
            if escalation_user is None:
                escalation_user = company._ar_escalation_user()
            user = escalation_user
            if level.escalation == "activity_collector":
                user = partner.with_company(company).ar_collector_id or escalation_user
            activities.append({
                "res_model_id": model,
                "res_id": partner.id,
                "activity_type_id": todo.id,
                "automated": True,
                "date_deadline": today,
                "summary": self.env._("Escalation: “%(level)s” reached", level=level.name),
                "note": self.env._("An invoice of %(partner)s reached the reminder level “%(level)s”. "
                                   "Review the account and decide the next step.",
                                   partner=partner.display_name, level=level.name),
                "user_id": user.id,
            })
        for level, partners in holds.items():
            partners.sudo().write({
                "ar_dunning_hold": True,
                "ar_dunning_hold_reason": self.env._("Reminder level “%(level)s” reached on %(date)s",
                                                     level=level.name, date=fields.Date.to_string(today)),
            })
        if activities:
            self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(activities)

    def _ar_receivable_domain(self):
        return [
            ("company_id", "in", self.env.companies.ids),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", "!=", 0),
        ]

    @api.depends_context("company", "allowed_company_ids")
    def _compute_ar_amounts(self):
        today = fields.Date.context_today(self)
        commercial = self.commercial_partner_id
        domain = self._ar_receivable_domain() + [("partner_id", "in", commercial.ids)]
        overdue, open_ = {}, {}
        for partner, late, amount in self.env["account.move.line"]._read_group(
            domain,
            groupby=["partner_id", "date_maturity:day"],
            aggregates=["amount_residual:sum"],
        ) if commercial else []:
            open_[partner.id] = open_.get(partner.id, 0.0) + amount
            if late and late < today:
                overdue[partner.id] = overdue.get(partner.id, 0.0) + amount
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.ar_currency_id = self.env.company.currency_id
            partner.ar_open_amount = open_.get(key, 0.0)
            partner.ar_overdue_amount = overdue.get(key, 0.0)
            partner.ar_has_overdue = overdue.get(key, 0.0) > 0

    def _search_ar_has_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Unsupported search on overdue invoices."))
        domain = self._ar_receivable_domain() + [
            ("date_maturity", "<", fields.Date.context_today(self)),
            ("amount_residual", ">", 0),
        ]
        partner_ids = [partner.id for [partner] in self.env["account.move.line"]._read_group(domain, ["partner_id"])]
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", partner_ids)]

    # ------------------------------------------------------------------
    # Dunning message helpers (used by mail and SMS templates)
    # ------------------------------------------------------------------

    def _ar_dunning_invoices(self, invoice_ids=None):
        """The open customer invoices a reminder to this customer lists.

        :param invoice_ids: the invoices chosen by the dunning run; when empty, every
            overdue invoice of the customer. Only this customer's open invoices are kept,
            whatever is passed, so a template can never show another customer's invoices.
        """
        self.ensure_one()
        by_partner = self.env.context.get("ar_invoice_ids_by_partner")
        if invoice_ids and by_partner:
            # Rendered for many customers at once: their invoices are read together, not one search each.
            batch = self.env["account.move"].browse(invoice_ids).with_prefetch(
                [invoice_id for ids in by_partner.values() for invoice_id in ids])
            return batch.filtered(lambda move: (
                move.commercial_partner_id == self.commercial_partner_id and move.move_type == "out_invoice"
                and move.state == "posted" and move.payment_state in OPEN_PAYMENT_STATES
            )).sorted(lambda move: (not move.invoice_date_due, move.invoice_date_due or date.min, move.id))
        domain = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            *OPEN_INVOICE_DOMAIN,
        ]
        if invoice_ids:
            domain.append(("id", "in", list(invoice_ids)))
        else:
            domain.append(("invoice_date_due", "<", fields.Date.context_today(self)))
        return self.env["account.move"].search(domain, order="invoice_date_due, id")

    def _ar_dunning_table(self, invoice_ids=None):
        """The statement of a reminder (HTML, for its email and letter): the invoices due, then
        those not yet due, each with its payment reference and pay link, a subtotal per currency,
        the customer's unapplied credits, the balance per currency and how to pay it (the
        company's bank account and, where the company shows them, a payment QR code).

        With ``ar_print`` in the context (the letter), links are printed as addresses and
        QR codes are embedded in the page instead of linked; with ``ar_announces_hold`` (a level
        that puts the customer on credit hold), the statement says deliveries are suspended.
        """
        if invoice_ids is None:
            # rendered for many customers at once (ar.dunning.message._ar_render_emails)
            invoice_ids = self.env.context.get("ar_invoice_ids_by_partner", {}).get(self.id)
        invoices = self._ar_dunning_invoices(invoice_ids)
        return self.env["ir.qweb"]._render("ar_collections.dunning_invoice_table", {
            "invoices": invoices, "partner": self, **self._ar_dunning_statement(invoices),
        })

    def _ar_dunning_statement(self, invoices):
        """What the statement of a reminder listing ``invoices`` says.

        Amounts are never added across currencies: every total is per currency.

        :return: ``lines`` (every invoice), ``overdue`` and ``not_due`` (the lines past their due
            date and the others), ``credits`` (see :meth:`_ar_unapplied_credits`), ``fees`` (the
            ``ar.dunning.fee`` charged by this reminder) and ``totals``, one dict per currency:
            ``overdue``, ``not_due``, ``credit`` (positive), ``fees``, ``balance``
            and the ``bank`` account and ``qr`` code (image URL or data URI) to pay it with.
        """
        self.ensure_one()
        company = invoices[:1].company_id or self.env.company
        lines = invoices._ar_reminder_lines()
        credits = self._ar_unapplied_credits(company)
        fees = self._ar_dunning_fees(invoices)
        keys = ("overdue", "not_due", "credit", "fees")
        totals = {}
        for line in lines:
            total = totals.setdefault(line["currency"], dict.fromkeys(keys, 0.0))
            total["overdue" if line["days_overdue"] > 0 else "not_due"] += line["amount_residual"]
        for fee in fees:
            totals.setdefault(fee.currency_id, dict.fromkeys(keys, 0.0))["fees"] += fee.amount
        if totals:  # credits only net what the reminder asks for; alone they are no reminder
            for credit in credits:
                totals.setdefault(credit["currency"], dict.fromkeys(keys, 0.0))
                totals[credit["currency"]]["credit"] += credit["amount"]
        printed = self.env.context.get("ar_print")
        total_list = []
        for currency, total in totals.items():
            balance = currency.round(total["overdue"] + total["not_due"] + total["fees"] - total["credit"])
            currency_invoices = invoices.filtered(lambda move, cur=currency: move.currency_id == cur)
            bank = company._ar_reminder_bank(currency, currency_invoices)
            total_list.append({
                **total, "currency": currency, "balance": balance, "bank": bank,
                "qr": self._ar_payment_qr(company, bank, currency, balance, currency_invoices, printed),
            })
        return {
            "lines": lines,
            "overdue": [line for line in lines if line["days_overdue"] > 0],
            "not_due": [line for line in lines if line["days_overdue"] <= 0],
            "credits": credits if totals else [],
            "fees": fees,
            "totals": total_list,
            "printed": printed,
            "announces_hold": self.env.context.get("ar_announces_hold") and self._ar_dunning_puts_hold(),
        }

    @api.model
    def _ar_dunning_puts_hold(self):
        """Whether sending a reminder of a level that announces a credit hold puts the hold
        (Credit Control does): without it, no reminder says deliveries are suspended."""
        return False

    def _ar_dunning_fees(self, invoices):
        """The late-payment fees charged on ``invoices`` by the level of the reminder being
        rendered (``ar_level_id`` in the context): its statement states them."""
        level = self.env["ar.dunning.level"].browse(self.env.context.get("ar_level_id"))
        if not invoices or not level or level.sudo().fee_type == "none":
            return self.env["ar.dunning.fee"]
        return self.env["ar.dunning.fee"].sudo().search(
            [("invoice_id", "in", invoices.ids), ("level_id", "=", level.id)], order="id")

    def _ar_unapplied_credits(self, company):
        """The customer's credits not yet applied to an invoice in ``company``: open credit
        notes and payments received but not reconciled, in their own currency.

        :return: list of dicts ``move``, ``name``, ``kind``, ``date``, ``amount`` (positive),
            ``currency``
        """
        self.ensure_one()
        domain = [
            ("company_id", "=", company.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", "<", 0),
        ]
        Line = self.env["account.move.line"].sudo()
        by_partner = self.env.context.get("ar_invoice_ids_by_partner")
        if by_partner:
            # Rendered for many customers at once: the credits of all of them in one search, kept
            # for this render only (see ar.dunning.message._ar_render_emails, which drops them).
            key = (AR_BATCH_CREDITS, company.id, tuple(sorted(by_partner)))
            if key not in self.env.cr.cache:
                partners = self.browse(list(by_partner)).commercial_partner_id
                grouped = defaultdict(list)
                for line in Line.search(domain + [("partner_id", "in", partners.ids)], order="date, id"):
                    grouped[line.partner_id.id].append(line.id)
                self.env.cr.cache[key] = grouped
            grouped = self.env.cr.cache[key]
            credit_lines = Line.browse(grouped.get(self.commercial_partner_id.id, [])).with_prefetch(
                [line_id for ids in grouped.values() for line_id in ids])
        else:
            credit_lines = Line.search(domain + [("partner_id", "=", self.commercial_partner_id.id)], order="date, id")
        credits = []
        for line in credit_lines:
            move = line.move_id
            if move.move_type == "out_refund":
                kind = self.env._("Credit note")
            elif line.payment_id:
                kind = self.env._("Payment received")
            else:
                kind = self.env._("Credit")
            credits.append({
                "move": move,
                "name": move.name if not move.ref else f"{move.name} ({move.ref})",
                "kind": kind,
                "date": line.date,
                "amount": -line.amount_residual_currency if line.currency_id else -line.amount_residual,
                "currency": line.currency_id or company.currency_id,
            })
        return credits

    def _ar_payment_qr(self, company, bank, currency, amount, invoices, printed):
        """The payment QR code of ``amount`` to ``bank`` (Odoo's QR methods: EPC/SEPA with
        account_qr_code_sepa, and the local ones of the installed localisations), when the
        company shows QR codes on its invoices; False when no method fits.

        :return: an image URL for emails, a data URI for letters (``printed``)
        """
        self.ensure_one()
        if not (bank and company.qr_code and currency.compare_amounts(amount, 0) > 0):
            return False
        references = invoices.mapped(lambda move: move.payment_reference or move.name)
        structured = references[0] if len(references) == 1 else None
        free = " ".join(references)[:140]
        partner = self.commercial_partner_id
        if printed:
            return bank.build_qr_code_base64(amount, free, structured, currency, partner) or False
        url = bank.build_qr_code_url(amount, free, structured, currency, partner)
        return url and company.get_base_url() + url

    def _ar_dunning_sms_summary(self, invoice_ids=None):
        """One line for an SMS: how many invoices, the open total per currency, a pay link."""
        lines = self._ar_dunning_invoices(invoice_ids)._ar_reminder_lines()
        totals = {}
        for line in lines:
            totals.setdefault(line["currency"], 0.0)
            totals[line["currency"]] += line["amount_residual"]
        amounts = ", ".join(
            # plain text (an SMS has no markup) in the customer's number format
            formatLang(self.env, amount, currency_obj=currency)
            for currency, amount in totals.items()
        )
        company = lines[0]["invoice"].company_id if lines else self.env.company
        return {
            "company": company.name,
            "count": len(lines),
            "amounts": amounts,
            "url": lines[0]["pay_url"] if lines else "",
        }

    # ------------------------------------------------------------------
    # Collector actions
    # ------------------------------------------------------------------

    def action_ar_log_call(self):
        """Log the outcome of a call to this customer (current company)."""
        self.ensure_one()
        return self.env["ar.call.outcome"]._ar_action_open(self, self.env.company)
