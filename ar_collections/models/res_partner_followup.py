from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import OPEN_INVOICE_DOMAIN

FOLLOWUP_STATUSES = [
    ("needs_action", "Needs action"),
    ("waiting", "Waiting"),
    ("paused", "Paused"),
    ("none", "Nothing overdue"),
]


class ResPartner(models.Model):
    """A customer's follow-up: where its reminders stand today, and "send reminder now".

    Computed when read, not stored: what decides it (the reminder log, the pause sources,
    today's date) changes without the customer being written. Read for a page of customers
    it costs a few queries, whatever their number; the filters ask the engine once for every
    customer with open invoices of the company.
    """

    _inherit = "res.partner"

    ar_followup_status = fields.Selection(
        FOLLOWUP_STATUSES, string="Follow-up", compute="_compute_ar_followup", search="_search_ar_followup_status",
        groups="base.group_user",
        help="Needs action: a reminder is due today. Waiting: the next reminder is on a later day. "
             "Paused: every overdue invoice is paused (dispute, promise, plan, reply, payment being matched).")
    ar_followup_reason = fields.Char(string="Follow-up detail", compute="_compute_ar_followup",
                                     groups="base.group_user")
    ar_next_reminder_date = fields.Date(string="Next reminder", compute="_compute_ar_followup",
                                        groups="base.group_user",
                                        help="The day the next reminder level is due, pauses aside.")

    @api.depends_context("company", "date")
    def _compute_ar_followup(self):
        values = self._ar_followup_values(self.env.company, fields.Date.context_today(self))
        for partner in self:
            status, date, reason = values.get(partner.commercial_partner_id.id, ("none", False, False))
            partner.ar_followup_status = status
            partner.ar_next_reminder_date = date
            partner.ar_followup_reason = reason

    def _search_ar_followup_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the follow-up status."))
        wanted = {value} if isinstance(value, str) else set(value or [])
        if operator in ("!=", "not in"):
            wanted = {code for code, _label in FOLLOWUP_STATUSES} - wanted
        customers = self.env["account.move"].sudo()._read_group(
            [("company_id", "=", self.env.company.id), *OPEN_INVOICE_DOMAIN], ["commercial_partner_id"])
        values = self.browse([customer.id for [customer] in customers])._ar_followup_values(
            self.env.company, fields.Date.context_today(self))
        matching = [partner_id for partner_id, (status, _date, _reason) in values.items() if status in wanted]
        if "none" in wanted:
            others = [partner_id for partner_id, (status, _date, _reason) in values.items() if status not in wanted]
            return ["!", ("commercial_partner_id", "in", others)]
        return [("commercial_partner_id", "in", matching)]

    def _ar_followup_values(self, company, today):
        """Where the reminders of these customers stand in ``company`` on ``today``, set-based.

        :return: {commercial partner id: (status, next reminder date, detail)}
        """
        customers = self.commercial_partner_id
        if not customers:
            return {}
        engine = self.env["ar.dunning.engine"]
        invoices = self.env["account.move"].sudo().with_company(company).search(
            [("company_id", "=", company.id), ("commercial_partner_id", "in", customers.ids), *OPEN_INVOICE_DOMAIN],
            order="commercial_partner_id, invoice_date_due, id")
        if not invoices:
            return {}
        plan = engine._plan_reminders(invoices.filtered_domain(engine._get_candidate_domain(company, today)), today)
        due_now = {line["partner"].id for line in plan if not line["skip_reason"]}
        overdue = invoices.filtered(lambda move: move.invoice_date_due < today)
        pauses = engine._get_pause_reasons(overdue, today)
        dates = self._ar_next_reminder_dates(invoices.filtered(lambda move: move.id not in pauses), today)
        # a reminder that could not leave (no sender address...) waits for someone to act
        failed = {}
        for log in self.env["ar.dunning.log"].sudo().search(
                [("invoice_id", "in", invoices.ids), ("state", "=", "failed")], order="id"):
            failed.setdefault(log.partner_id.commercial_partner_id.id, log)
        by_customer = defaultdict(lambda: {"overdue": [], "paused": [], "next": []})
        for move in invoices:
            entry = by_customer[move.commercial_partner_id.id]
            if move in overdue:
                entry["overdue"].append(move)
            if move.id in pauses:
                entry["paused"].append(move)
            elif dates.get(move.id):
                entry["next"].append(dates[move.id])
        values = {}
        for partner_id, entry in by_customer.items():
            paused_detail = False
            if entry["paused"]:
                first = entry["paused"][0]
                paused_detail = self.env._("%(invoice)s: %(reason)s", invoice=first.name, reason=pauses[first.id])
            later = [date for date in entry["next"] if date > today]
            if partner_id in failed:
                values[partner_id] = ("needs_action", today, self.env._(
                    "A reminder could not be sent: %(reason)s", reason=failed[partner_id].state_reason))
            elif partner_id in due_now:
                values[partner_id] = ("needs_action", today, paused_detail)
            elif entry["overdue"] and len(entry["paused"]) == len(entry["overdue"]):
                values[partner_id] = ("paused", min(later, default=False), paused_detail)
            elif later:
                values[partner_id] = ("waiting", min(later), paused_detail)
            elif entry["overdue"]:
                values[partner_id] = ("waiting", False, paused_detail or self.env._(
                    "Every reminder level was sent: call the customer or escalate."))
            else:
                values[partner_id] = ("none", False, False)
        return values

    @api.model
    def _ar_next_reminder_dates(self, invoices, today):
        """{invoice id: the day its next reminder level is due (``today`` if due now), or False}.

        The engine's ``_get_next_reminder_date`` when it has one (it knows the entry level and
        the spacing between reminders); else the next level above the highest one sent, on
        the day the invoice's days overdue reach it.
        """
        engine = self.env["ar.dunning.engine"]
        if hasattr(engine, "_get_next_reminder_date"):
            return engine._get_next_reminder_date(invoices, today)
        highest_sent = {}
        for invoice, offset in self.env["ar.dunning.log"].sudo()._read_group(
                [("invoice_id", "in", invoices.ids), ("state", "!=", "cancelled")],
                ["invoice_id"], ["level_offset:max"]):
            highest_sent[invoice.id] = offset
        dates = {}
        for invoice in invoices:
            levels = invoice._ar_get_policy().level_ids.sorted("offset_days")
            sent = highest_sent.get(invoice.id)
            above = levels.filtered(lambda level, sent=sent: sent is None or level.offset_days > sent)[:1]
            dates[invoice.id] = above and max(today, invoice.invoice_date_due + timedelta(days=above.offset_days))
        return dates

    def action_ar_send_reminder_now(self):
        """Propose today's reminders of these customers (current company) for review, then send."""
        run = self.env["ar.dunning.run"]._ar_start_review(self.env.company, partners=self)
        return run._ar_action_open()
