from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from ..const import OPEN_INVOICE_DOMAIN, OPEN_PAYMENT_STATES
from ..models.ar_promise import MAX_PROMISE_DAYS

OUTCOMES = [
    ("reached", "Reached"),
    ("voicemail", "Voicemail"),
    ("promised", "Promised to pay"),
    ("disputed", "Disputed"),
    ("refused", "Refused to pay"),
]

# Days from today to the next activity each outcome schedules (promises: from the promised date).
NEXT_ACTIVITY_DAYS = {"reached": 7, "voicemail": 2, "promised": 1, "refused": 1}


class ArCallOutcome(models.TransientModel):
    """Log the outcome of a call to a customer in two clicks: pick the outcome, confirm.

    Posts an internal note on the customer, marks their open call activity done and
    schedules the next step (or opens the promise or dispute form to fill in).
    """

    _name = "ar.call.outcome"
    _description = "Call Outcome"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    outcome = fields.Selection(OUTCOMES, required=True)
    note = fields.Text(help="What was said; added to the note on the customer.")
    promised_date = fields.Date(string="Promised for",
                                help="A follow-up is scheduled the day after this date.")
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices",
        domain="[('commercial_partner_id', '=', partner_id), ('company_id', '=', company_id), "
               "('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
               "('payment_state', 'in', ('not_paid', 'partial'))]",
        help="Invoices the promise or the dispute is about: the overdue invoices by default.",
    )
    overdue_amount = fields.Monetary(string="Overdue", compute="_compute_overdue_amount",
                                     currency_field="currency_id")

    @api.depends("invoice_ids")
    def _compute_overdue_amount(self):
        for wizard in self:
            wizard.overdue_amount = sum(wizard.invoice_ids.mapped("amount_residual_signed"))

    @api.model
    def _ar_action_open(self, partner, company, invoices=None):
        """The action opening this dialog for ``partner`` (its commercial entity) in
        ``company``, with the customer's overdue invoices (and ``invoices``) selected."""
        customer = partner.commercial_partner_id
        overdue = self.env["account.move"].search([
            ("commercial_partner_id", "=", customer.id),
            ("company_id", "=", company.id),
            *OPEN_INVOICE_DOMAIN,
            ("invoice_date_due", "<", fields.Date.context_today(self)),
        ], order="invoice_date_due, id")
        if invoices:
            overdue |= invoices.filtered(lambda move: move.payment_state in OPEN_PAYMENT_STATES)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a call: %(customer)s", customer=customer.display_name),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(self.env.ref("ar_collections.ar_call_outcome_view_form").id, "form")],
            "target": "new",
            "context": {
                "default_partner_id": customer.id,
                "default_company_id": company.id,
                "default_invoice_ids": [fields.Command.set(overdue.ids)],
            },
        }

    def action_confirm(self):
        """Record the outcome: note on the customer, call activity done, next step."""
        self.ensure_one()
        # with_company: the note and the activity feedback are recorded for this company,
        # which the worklist's "last contact" reads.
        wizard = self.with_company(self.company_id)
        wizard._ar_check()
        partner = wizard.partner_id
        label = dict(self._fields["outcome"]._description_selection(self.env))[self.outcome]
        call_type = self.env.ref("mail.mail_activity_data_call")
        current_call = wizard._ar_current_call_activity()
        if current_call:
            # sudo: the call may be assigned to another collector; the feedback's author stays the current user
            current_call.sudo().action_feedback(feedback=label)
        body = Markup("<p><b>%s</b></p>") % self.env._("Call: %(outcome)s", outcome=label)
        if self.outcome == "promised":
            body += Markup("<p>%s</p>") % self.env._(
                "Promised to pay by %(date)s.", date=fields.Date.to_string(self.promised_date))
        if self.note:
            body += Markup("<p>%s</p>") % self.note
        # sudo: a collector may log a call on a customer they cannot edit; the author stays the collector.
        partner.sudo().message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            mail_activity_type_id=call_type.id,
            record_company_id=self.company_id.id,
        )
        wizard._ar_schedule_next_activity()
        if self.outcome == "promised":
            return wizard._ar_action_open_form("ar.promise", self.env._("Promise to pay"), {
                "default_amount": self.overdue_amount,
                "default_currency_id": self.currency_id.id,
                "default_promised_date": fields.Date.to_string(self.promised_date),
            })
        if self.outcome == "disputed":
            return wizard._ar_action_open_form("ar.dispute", self.env._("Dispute"), {})
        return {"type": "ir.actions.act_window_close"}

    def _ar_check(self):
        # The note and the activity are written as superuser: the user must see the customer.
        self.partner_id.check_access("read")
        today = fields.Date.context_today(self)
        if self.outcome == "promised":
            latest = today + timedelta(days=MAX_PROMISE_DAYS)
            if not self.promised_date:
                raise UserError(self.env._("Enter the date the customer promised to pay by."))
            if self.promised_date < today:
                raise UserError(self.env._("The promised date %(date)s is in the past.",
                                           date=fields.Date.to_string(self.promised_date)))
            if self.promised_date > latest:
                raise UserError(self.env._(
                    "A promise to pay is for the coming weeks: choose a date within a year, by %(date)s at the "
                    "latest, or set up a payment plan.", date=fields.Date.to_string(latest)))
        if self.outcome in ("promised", "disputed") and not self.invoice_ids:
            raise UserError(self.env._("%(customer)s has no open invoice to attach the promise or dispute to.",
                                       customer=self.partner_id.display_name))
        foreign = self.invoice_ids.filtered(
            lambda move: move.commercial_partner_id != self.partner_id or move.company_id != self.company_id)
        if foreign:
            raise UserError(self.env._("Invoices %(invoices)s are not invoices of %(customer)s in %(company)s.",
                                       invoices=", ".join(foreign.mapped("name")),
                                       customer=self.partner_id.display_name, company=self.company_id.name))
        not_open = self.invoice_ids.filtered(
            lambda move: move.move_type != "out_invoice" or move.state != "posted"
            or move.payment_state not in OPEN_PAYMENT_STATES)
        if not_open:
            raise UserError(self.env._(
                "%(invoices)s are not open customer invoices: choose among the unpaid invoices of %(customer)s.",
                invoices=", ".join(not_open.mapped("display_name")), customer=self.partner_id.display_name))

    def _ar_current_call_activity(self):
        """The customer's open call activity this call answers: the current user's
        first, then the earliest due."""
        calls = self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"),
            ("res_id", "=", self.partner_id.id),
            ("activity_type_id.category", "=", "phonecall"),
        ], order="date_deadline, id")
        mine = calls.filtered(lambda activity: activity.user_id == self.env.user)
        return (mine or calls)[:1]

    def _ar_schedule_next_activity(self):
        if self.outcome not in NEXT_ACTIVITY_DAYS:
            return self.env["mail.activity"]
        today = fields.Date.context_today(self)
        partner = self.partner_id.with_company(self.company_id)
        collector = partner.ar_collector_id or self.env.user
        delay = timedelta(days=NEXT_ACTIVITY_DAYS[self.outcome])
        if self.outcome == "reached":
            values = ("mail.mail_activity_data_call", today + delay, collector,
                      self.env._("Follow-up call"))
        elif self.outcome == "voicemail":
            values = ("mail.mail_activity_data_call", today + delay, collector,
                      self.env._("Call again (voicemail left)"))
        elif self.outcome == "promised":
            values = ("mail.mail_activity_data_todo", self.promised_date + delay, collector,
                      self.env._("Check the payment promised for %(date)s",
                                 date=fields.Date.to_string(self.promised_date)))
        else:
            values = ("mail.mail_activity_data_todo", today + delay, self.company_id._ar_escalation_user(),
                      self.env._("Escalation: %(customer)s refused to pay", customer=partner.display_name))
        xmlid, deadline, user, summary = values
        # sudo as for the note; quick_update: no "activity assigned" email, it is in their to-do list
        return partner.sudo().with_context(mail_activity_quick_update=True).activity_schedule(
            xmlid, date_deadline=deadline, summary=summary,
            note=plaintext2html(self.note) if self.note else False, user_id=user.id)

    def _ar_action_open_form(self, model, name, context):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.partner_id.id,
                "default_company_id": self.company_id.id,
                "default_invoice_ids": [fields.Command.set(self.invoice_ids.ids)],
                **context,
            },
        }
