from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, consteq, create_index, hmac

from ..const import OPEN_INVOICE_DOMAIN, OPEN_PAYMENT_STATES, PAID_PAYMENT_STATES


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "ar.no.chase.mixin"]

    # Collections fields are internal: the portal shows what its pages choose to show (read with sudo()).
    ar_no_chase = fields.Boolean(groups="base.group_user")
    ar_no_chase_reason = fields.Char(groups="base.group_user")
    ar_no_chase_until = fields.Date(groups="base.group_user")
    ar_dunning_policy_id = fields.Many2one(
        "ar.dunning.policy",
        string="Dunning policy",
        copy=False,
        check_company=True,
        groups="base.group_user",
        help="Overrides the customer's and the company's dunning policy for this invoice.",
    )
    ar_dunning_log_ids = fields.One2many("ar.dunning.log", "invoice_id", string="Reminders sent", readonly=True,
                                         groups="base.group_user")
    ar_last_level_id = fields.Many2one(
        "ar.dunning.level", string="Last reminder level", compute="_compute_ar_last_level", groups="base.group_user",
        help="Highest level of reminder queued or sent for this invoice.",
    )
    ar_pause_reason = fields.Char(
        string="Reminders paused", compute="_compute_ar_pause_reason", groups="base.group_user",
        help="Why the reminder engine does not chase this invoice today.",
    )
    ar_days_overdue = fields.Integer(
        string="Days overdue",
        compute="_compute_ar_days_overdue",
        groups="base.group_user",
        help="Days since the due date (negative before it); 0 once nothing is left to pay.",
    )
    ar_escalate_level = fields.Boolean(
        string="Escalate next reminder", copy=False, groups="base.group_user",
        help="Set when a promise to pay on this invoice is broken: the next dunning run sends the "
             "policy's next level right away instead of waiting for its offset. Cleared once used.",
    )
    ar_predicted_pay_date = fields.Date(
        string="Predicted payment date", readonly=True, copy=False, groups="base.group_user",
        help="When the customer is expected to pay, from its payment history; refreshed daily.",
    )
    ar_predicted_days_late = fields.Integer(
        string="Predicted days late", readonly=True, copy=False, groups="base.group_user",
        help="Predicted payment date minus due date (negative: expected before the due date).",
    )

    ar_pay_link_clicked = fields.Datetime(
        string="Pay link clicked", readonly=True, copy=False, groups="base.group_user",
        help="Latest time the customer opened the pay link of a reminder for this invoice.",
    )

    def init(self):
        res = super().init()
        # The dunning run walks the open customer invoices of a company in customer order,
        # one batch per call: without this index each call scanned every customer invoice
        # (88 ms per call on setup/bench.py's 100k invoices, 0.3 ms with it).
        self.env.cr.execute(SQL(
            """CREATE INDEX IF NOT EXISTS ar_account_move_open_invoice_idx
                   ON account_move (company_id, commercial_partner_id, invoice_date_due)
                WHERE move_type = 'out_invoice' AND state = 'posted' AND payment_state IN %s""",
            OPEN_PAYMENT_STATES,
        ))
        # The worklist reads the open invoices' amounts by days overdue from this index alone
        # (0.1 s of reading the invoices themselves at 100,000 invoices, twice an opening).
        create_index(self.env.cr, "ar_account_move_open_invoice_risk_idx", "account_move",
                     ["company_id", "commercial_partner_id", "invoice_date_due", "invoice_date",
                      "amount_residual_signed", "ar_pay_link_clicked"],
                     where="move_type = 'out_invoice' AND state = 'posted' AND payment_state IN ('not_paid', 'partial')")
        return res

    @api.depends("invoice_date_due", "payment_state", "move_type")
    @api.depends_context("date")
    def _compute_ar_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            open_invoice = move.is_sale_document(include_receipts=True) and move.payment_state in OPEN_PAYMENT_STATES
            if open_invoice and move.invoice_date_due:
                move.ar_days_overdue = (today - move.invoice_date_due).days
            else:
                move.ar_days_overdue = 0

    @api.depends("ar_dunning_log_ids.state", "ar_dunning_log_ids.level_offset")
    def _compute_ar_last_level(self):
        for move in self:
            # a failed reminder never reached the customer (see ar.dunning.engine._read_reminder_history)
            live = move.ar_dunning_log_ids.filtered(lambda log: log.state not in ("cancelled", "failed"))
            move.ar_last_level_id = live.sorted("level_offset")[-1:].level_id

    @api.depends_context("date")
    def _compute_ar_pause_reason(self):
        reasons = self.filtered("id")._ar_get_pause_reasons()
        for move in self:
            move.ar_pause_reason = reasons.get(move.id, False)

    def _ar_get_policy(self):
        """The dunning policy that applies: the invoice's own, else its customer's
        (in the invoice's company), else the company default."""
        self.ensure_one()
        partner = self.commercial_partner_id.with_company(self.company_id)
        return self.ar_dunning_policy_id or partner.ar_dunning_policy_id or self.company_id.ar_dunning_policy_id

    def _ar_is_chase_excluded(self, today=None):
        """True when the invoice or its customer is marked "do not chase" for ``today``."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        return self._ar_no_chase_active(today) or self.commercial_partner_id._ar_no_chase_active(today)

    def _ar_reminder_lines(self):
        """What a reminder says about each invoice, amounts in the invoice's currency
        after partial payments and credit notes."""
        today = fields.Date.context_today(self)
        lines = []
        for move in self:
            lines.append({
                "invoice": move,
                "name": move.name,
                # what the customer quotes on the transfer (Odoo's invoice reference, else its number)
                "payment_reference": move.payment_reference or move.name,
                "date_due": move.invoice_date_due,
                "days_overdue": (today - move.invoice_date_due).days if move.invoice_date_due else 0,
                "amount_total": move.amount_total,
                "amount_residual": move.amount_residual,
                "currency": move.currency_id,
                "pay_url": move._ar_pay_link_url(),
            })
        return lines

    # ------------------------------------------------------------------
    # Pay links
    # ------------------------------------------------------------------

    def _ar_pay_link_token(self):
        self.ensure_one()
        # signed with the database secret: a link names one invoice and cannot be made for another
        return hmac(self.env(su=True), "ar_collections-pay-link", self.id)

    def _ar_pay_link_url(self):
        """The pay link of reminders: the invoice's portal page (where the customer pays) with
        ``ar_click``, the signature that makes the page record the click."""
        self.ensure_one()
        return f"{self.get_base_url()}{self._get_share_url(redirect=False)}&ar_click={self._ar_pay_link_token()}"

    def _ar_check_pay_link_token(self, token):
        self.ensure_one()
        return bool(token) and consteq(self._ar_pay_link_token(), token)

    def _ar_record_pay_link_click(self):
        """Note that the customer opened the pay link (the worklist's "clicked, not paid")."""
        # Raw SQL: account.move.write() runs lock-date and tracking checks for what is a
        # timestamp of a public page view; the portal user must not need write access.
        self.env["account.move"].flush_model(["ar_pay_link_clicked"])
        self.env.cr.execute(SQL("UPDATE account_move SET ar_pay_link_clicked = NOW() AT TIME ZONE 'UTC' WHERE id IN %s",
                                tuple(self.ids)))
        self.invalidate_recordset(["ar_pay_link_clicked"])

    # ------------------------------------------------------------------
    # Dunning engine
    # ------------------------------------------------------------------

    def _ar_get_pause_reasons(self, today=None):
        """Why each invoice of ``self`` must not be chased on ``today`` (the dunning engine
        decides; pause sources extend it, see ``ar.pause.source.mixin``).

        :return: {invoice id: reason shown to the collector}
        """
        return self.env["ar.dunning.engine"]._get_pause_reasons(self, today)

    def _ar_disputed_ids(self):
        """Ids of the invoices of ``self`` with an open dispute."""
        if not self.ids:
            return set()
        disputes = self.env["ar.dispute"].sudo().search_fetch(
            [("is_open", "=", True), ("invoice_ids", "in", self.ids)], ["invoice_ids"])
        return set(disputes.invoice_ids.ids) & set(self.ids)

    def _ar_customer_replies(self, today):
        """{customer id: date of their latest email} for customers of ``self`` who wrote
        to us (on their own or their invoices' chatter) within the company's pause period."""
        if not self:
            return {}
        # Customers and companies read in SQL: invoice by invoice through the ORM, they loaded every
        # column of the invoices (1 s of the run preview's 14,700 overdue invoices at 100,000), and
        # _read_group made records of the 5,000 customers' groups (0.1 s).
        self.env["account.move"].flush_model(["commercial_partner_id", "company_id"])
        self.env.cr.execute(SQL("SELECT DISTINCT commercial_partner_id, company_id FROM account_move WHERE id = ANY(%s)",
                                self.ids))
        groups = self.env.cr.fetchall()
        partners = self.env["res.partner"].browse({partner_id for partner_id, _company_id in groups if partner_id})
        if not partners:
            return {}
        companies = self.env["res.company"].sudo().browse({company_id for _partner_id, company_id in groups})
        days = max(companies.mapped("ar_reply_pause_days"))
        if days <= 0:
            return {}
        since = fields.Datetime.to_datetime(today) - timedelta(days=days)
        Message = self.env["mail.message"].sudo()
        base = [
            ("message_type", "=", "email"),
            ("date", ">=", since),
            ("author_id", "!=", False),
            ("author_id.commercial_partner_id", "in", partners.ids),
        ]
        replied = defaultdict(lambda: fields.Datetime.to_datetime("1970-01-01"))
        for res_id, date in Message._read_group(
            base + [("model", "=", "res.partner"), ("res_id", "in", partners.ids)], ["res_id"], ["date:max"]
        ):
            replied[res_id] = max(replied[res_id], date)
        on_invoices = Message._read_group(
            base + [("model", "=", "account.move"), ("res_id", "in", self.ids)], ["res_id"], ["date:max"])
        # the customers of the few invoices written on, read together
        invoices = self.env["account.move"].sudo().browse([res_id for res_id, _date in on_invoices])
        invoices.fetch(["commercial_partner_id"])
        for res_id, date in on_invoices:
            partner_id = invoices.browse(res_id).commercial_partner_id.id
            replied[partner_id] = max(replied[partner_id], date)
        return {partner_id: date.date() for partner_id, date in replied.items()}

    def _ar_ensure_access_tokens(self):
        """Give every invoice of ``self`` that has none a portal access token.

        Raw SQL, measured: account.move's write() costs several queries per invoice
        (lock dates, sequence and tracking checks), which made a dunning batch of 24
        invoices cost 146 queries instead of 58; one UPDATE does it for the batch.
        """
        missing = self.filtered(lambda inv: not inv.access_token)
        if not missing:
            return
        self.env.cr.execute(SQL(
            "UPDATE account_move SET access_token = gen_random_uuid()::text"
            " WHERE id IN %s AND access_token IS NULL",
            tuple(missing.ids),
        ))
        missing.invalidate_recordset(["access_token"])

    def action_ar_open_dispute(self):
        """Open a new dispute on this invoice."""
        self.ensure_one()
        return self._ar_open_form("ar.dispute", self.env._("Dispute"))

    def action_ar_log_promise(self):
        """Record the customer's promise to pay this invoice."""
        self.ensure_one()
        action = self._ar_open_form("ar.promise", self.env._("Promise to pay"))
        action["context"].update(default_amount=self.amount_residual, default_currency_id=self.currency_id.id)
        return action

    def action_ar_payment_plan(self):
        """Prepare a payment plan for this customer's overdue invoices."""
        self.ensure_one()
        action = self._ar_open_form("ar.payment.plan", self.env._("Payment plan"))
        overdue = self.search([
            ("commercial_partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", self.company_id.id),
            *OPEN_INVOICE_DOMAIN,
            ("invoice_date_due", "<", fields.Date.context_today(self)),
        ]) | self
        action["context"]["default_invoice_ids"] = [fields.Command.set(overdue.ids)]
        action["target"] = "current"
        return action

    def _ar_open_form(self, model, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.company_id.id,
                "default_invoice_ids": [fields.Command.set(self.ids)],
            },
        }

    def _ar_invoice_pdf_attachments(self):
        """The invoices' PDFs as attachments, reusing the ones Odoo already generated."""
        attachments = self.env["ir.attachment"]
        for invoice in self:
            if invoice.invoice_pdf_report_id:
                attachments |= invoice.invoice_pdf_report_id
                continue
            content, _type = self.env["ir.actions.report"]._render_qweb_pdf("account.account_invoices", invoice.ids)
            attachments |= self.env["ir.attachment"].create({
                "name": f"{invoice._get_invoice_report_filename()}",
                "raw": content,
                "mimetype": "application/pdf",
            })
        return attachments

    # ------------------------------------------------------------------
    # Broken promises escalate (see ar.promise)
    # ------------------------------------------------------------------

    @api.model
    def _ar_paid_invoices_query(self, where=None):
        """SQL for the posted customer invoices fully paid, each with its payment date.

        Columns: ``id``, ``name``, ``company_id``, ``partner_id`` (commercial partner),
        ``invoice_date``, ``invoice_date_due`` and ``paid_on``, the date of the latest
        reconciliation of its receivable (payment-term) lines. ``where``: an extra condition
        on ``move``. Raw SQL because that date is an aggregate the ORM only gives invoice by
        invoice; the scores, predictions, worklist and KPIs filter and aggregate around it.
        The tables it reads are flushed.
        """
        self.env["account.move"].flush_model([
            "name", "move_type", "state", "payment_state", "company_id", "commercial_partner_id",
            "invoice_date", "invoice_date_due"])
        self.env["account.move.line"].flush_model(["move_id", "display_type"])
        self.env["account.partial.reconcile"].flush_model(["debit_move_id", "max_date"])
        return SQL(
            """
            SELECT move.id, move.name, move.company_id, move.commercial_partner_id AS partner_id,
                   move.invoice_date, move.invoice_date_due, MAX(part.max_date) AS paid_on
              FROM account_move move
              JOIN account_move_line line ON line.move_id = move.id AND line.display_type = 'payment_term'
              JOIN account_partial_reconcile part ON part.debit_move_id = line.id
             WHERE move.move_type = 'out_invoice'
               AND move.state = 'posted'
               AND move.payment_state IN %s
               AND %s
          GROUP BY move.id
            """,
            PAID_PAYMENT_STATES, where or SQL("TRUE"),
        )

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        # Cheap here (one search on a few invoices): a promise is kept the moment its invoices
        # are paid, instead of at the next scheduled check.
        self.env["ar.promise"].sudo()._ar_check_invoices(self)
        return res

    # ------------------------------------------------------------------
    # Collector actions
    # ------------------------------------------------------------------

    def action_ar_log_call(self):
        """Log the outcome of a call to this invoice's customer."""
        self.ensure_one()
        return self.env["ar.call.outcome"]._ar_action_open(self.commercial_partner_id, self.company_id, invoices=self)

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------

    @api.model
    def _ar_load_demo_book(self, invoices=60, customers=10, months=6):
        """Demo data loaded from Apps: a small seeded receivables book in the current company
        (setup/demo_book.py builds the large one), with pay dates predicted. Once per database."""
        # imported here: the generators are not loaded at server start (see tools/__init__.py)
        from ..tools import demo_book

        if self.env["ir.config_parameter"].sudo().get_param(demo_book.MARKER_PARAM):
            return
        # scores are computed once at the end (credit control), not on each payment of the book
        book = demo_book.generate_ar_book(self.env(context={"ar_credit_skip_score": True}),
                                          invoices=invoices, customers=customers, months=months)
        self.env["ar.pay.prediction"]._ar_refresh(self.env["res.partner"].browse(book["partner_ids"]))
