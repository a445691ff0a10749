from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..const import OPEN_PAYMENT_STATES

LINE_STATES = [
    ("draft", "To review"),
    ("queued", "Queued"),
    ("skipped", "Not queued"),
]
# What a collector may change on a line of a run waiting for review; the rest is the
# engine's decision and is written by the run only.
REVIEW_FIELDS = {"excluded", "level_id", "note"}


class ArDunningRunLine(models.Model):
    """One invoice a run in review mode proposes to chase, at one level.

    The engine's proposal (``ar.dunning.engine._plan_reminders``) is stored here instead of
    being queued; the collector may exclude the line, change its level (to another level
    of the same policy) or add an internal note, then the run's "Send" queues what is left
    through the same code as the scheduled run (``ar.dunning.run._ar_queue``).
    """

    _name = "ar.dunning.run.line"
    _description = "Reminder Run Proposal"
    _order = "partner_id, days_overdue desc, id"
    _rec_name = "invoice_id"
    _check_company_auto = True

    run_id = fields.Many2one("ar.dunning.run", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    run_state = fields.Selection(related="run_id.state", string="Run status")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    invoice_id = fields.Many2one("account.move", required=True, ondelete="cascade",
                                 readonly=True)
    policy_id = fields.Many2one("ar.dunning.policy", required=True, readonly=True)
    proposed_level_id = fields.Many2one("ar.dunning.level", string="Proposed level", readonly=True,
                                        ondelete="cascade")
    level_id = fields.Many2one("ar.dunning.level", required=True, ondelete="cascade",
                               domain="[('policy_id', '=', policy_id)]")
    level_changed = fields.Boolean(compute="_compute_level_changed")
    channels = fields.Char(compute="_compute_channels", help="The channels of the level, in sending order.")
    days_overdue = fields.Integer(readonly=True)
    amount_residual = fields.Monetary(string="Open amount", currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    skip_reason = fields.Char(string="Not proposed because", readonly=True,
                              help="Paused or below the level's minimum: shown, never sent by this run.")
    excluded = fields.Boolean(help="Not sent by this run. The next run proposes it again: to stop chasing "
                                   "an invoice, mark it 'Do not chase'.")
    note = fields.Text(string="Internal note",
                       help="Kept on the run and posted on the customer's chatter when the reminder is queued; "
                            "never sent to the customer.")
    fee_amount = fields.Monetary(string="Late-payment fee", currency_field="currency_id", compute="_compute_fee_amount",
                                 help="What the reminder charges on this invoice at this level (the level's "
                                      "late-payment fee): as of the run's date until it is sent, then what it charged.")
    state = fields.Selection(LINE_STATES, default="draft", required=True, readonly=True, index=True)
    state_reason = fields.Char(string="Outcome", readonly=True)

    @api.depends("level_id", "proposed_level_id")
    def _compute_level_changed(self):
        for line in self:
            line.level_changed = line.level_id != line.proposed_level_id

    @api.depends("level_id")
    def _compute_channels(self):
        labels = dict(self.env["ar.dunning.engine"]._get_channel_selection())
        for line in self:
            line.channels = ", ".join(labels[channel] for channel in line.level_id._get_channels())

    @api.depends("level_id", "invoice_id", "excluded", "state")
    def _compute_fee_amount(self):
        Fee = self.env["ar.dunning.fee"].sudo()
        # Sent: what this run's reminders charged; to send: what they would charge on the run's
        # date, each customer's reminder at the highest level of its lines kept.
        charged = defaultdict(float)
        for fee in Fee.search([("invoice_id", "in", self.invoice_id.ids)]):
            charged[fee.message_id.run_id.id, fee.invoice_id.id] += fee.amount
        expected = {}
        pending = self.filtered(lambda line: line._ar_fee_pending())
        for run in pending.run_id:
            lines = pending.filtered(lambda line, r=run: line.run_id == r)
            lines |= run._origin.line_ids.filtered(
                lambda line, ids=lines._origin.ids: line.id not in ids and line._ar_fee_pending())
            expected.update(Fee._ar_expected_for_plan([{
                "invoice": line.invoice_id, "partner": line.partner_id, "level": line.level_id,
                "channels": line.level_id._get_channels(), "skip_reason": False,
            } for line in lines], run.date))
        for line in self:
            if line in pending:
                line.fee_amount = sum(vals["amount"] for vals in expected.get(line.invoice_id.id, ()))
            else:
                line.fee_amount = charged[line.run_id._origin.id, line.invoice_id.id]

    def _ar_fee_pending(self):
        return self.state == "draft" and not self.skip_reason and not self.excluded

    @api.constrains("level_id", "policy_id")
    def _check_level_policy(self):
        for line in self:
            if line.level_id.policy_id != line.policy_id:
                raise ValidationError(self.env._(
                    "The level of %(invoice)s must be one of its policy “%(policy)s”.",
                    invoice=line.invoice_id.name, policy=line.policy_id.name))

    def write(self, vals):
        if not self.env.su:
            forbidden = set(vals) - REVIEW_FIELDS
            if forbidden:
                raise AccessError(self.env._("Only the exclusion, the level and the note of a proposal can be "
                                             "changed (not %(fields)s).", fields=", ".join(sorted(forbidden))))
            if any(line.state != "draft" or line.run_id.state != "review" for line in self):
                raise UserError(self.env._("Only the proposals of a run waiting for review can be changed."))
            if any(line.skip_reason for line in self) and vals.get("excluded") is False:
                raise UserError(self.env._("A paused proposal is not sent: lift the pause first."))
        return super().write(vals)

    def _ar_plan(self):
        """These lines as lines of ``ar.dunning.engine._plan_reminders``, with only the channels
        still to send: a level is not queued twice on a channel (the dunning log's unique index
        would refuse it), nor below a level already sent, nor for an invoice paid since the
        review. Lines with nothing left are marked ``skipped`` with the reason.

        :return: the plan lines, in the order of ``self``
        """
        Log = self.env["ar.dunning.log"].sudo()
        sent = {}
        for invoice, level, channel in Log._read_group(
            [("invoice_id", "in", self.invoice_id.ids), ("state", "!=", "cancelled")],
            ["invoice_id", "level_id", "channel"],
        ):
            sent.setdefault(invoice.id, []).append((level, channel))
        plan, skipped = [], {}
        for line in self:
            invoice, level = line.invoice_id, line.level_id
            previous = sent.get(invoice.id, [])
            if invoice.state != "posted" or invoice.payment_state not in OPEN_PAYMENT_STATES:
                skipped[line] = self.env._("Paid since the review")
                continue
            if any(sent_level.offset_days > level.offset_days for sent_level, _channel in previous):
                skipped[line] = self.env._("A higher level was sent already")
                continue
            channels = [channel for channel in level._get_channels() if (level, channel) not in previous]
            if not channels:
                skipped[line] = self.env._("Already queued")
                continue
            plan.append({
                "invoice": invoice,
                "partner": line.partner_id,
                "level": level,
                "channels": channels,
                "days_overdue": line.days_overdue,
                "amount_residual": invoice.amount_residual,
                "skip_reason": False,
                "run_line": line,
            })
        for line, reason in skipped.items():
            line.write({"state": "skipped", "state_reason": reason})
        return plan
