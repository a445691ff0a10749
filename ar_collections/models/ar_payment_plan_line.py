from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The last instalment of a plan: further away, it is a typo that would stop the reminders for decades.
MAX_PLAN_DAYS = 3660


class ArPaymentPlanLine(models.Model):
    """One instalment of a payment plan.

    Instalments are chased like invoices: the customer gets an email some days before
    the date and another the day after it when it was not paid. The day after its date
    the instalment is also marked paid on time or missed, for the plan's adherence.
    """

    _name = "ar.payment.plan.line"
    _description = "Payment Plan Instalment"
    _order = "date, id"

    plan_id = fields.Many2one("ar.payment.plan", required=True, ondelete="cascade", index=True)
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one(related="plan_id.currency_id")
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    partner_id = fields.Many2one(related="plan_id.partner_id")
    payment_status = fields.Selection(
        [("pending", "Not due yet"), ("on_time", "Paid on time"), ("missed", "Missed")],
        default="pending", required=True, readonly=True, copy=False,
        help="Decided the day after the instalment's date: were this and the earlier instalments paid by then?")
    amount_cumulated = fields.Monetary(
        string="Due in total", compute="_compute_amount_cumulated", currency_field="currency_id",
        help="This instalment and the earlier ones.")
    is_paid = fields.Boolean(string="Paid", compute="_compute_is_paid",
                             help="What the customer paid since approval covers this and the earlier instalments.")
    amount_residual = fields.Monetary(
        string="Left to pay", compute="_compute_is_paid", currency_field="currency_id",
        help="What is still to pay of this instalment once the payments since approval are applied to the "
             "earlier instalments first (an approved plan's).")
    reminder_before_sent = fields.Boolean(readonly=True, copy=False, help="Technical: the reminder before the date was sent.")
    reminder_after_sent = fields.Boolean(readonly=True, copy=False, help="Technical: the missed-instalment reminder was sent.")

    @api.constrains("date")
    def _check_date(self):
        latest = fields.Date.context_today(self) + timedelta(days=MAX_PLAN_DAYS)
        for line in self:
            if line.date > latest:
                raise ValidationError(self.env._(
                    "A payment plan runs for ten years at most: the instalment of %(date)s must be due by %(latest)s "
                    "at the latest.", date=fields.Date.to_string(line.date), latest=fields.Date.to_string(latest)))

    @api.constrains("date", "amount")
    def _check_company_limits(self):
        # instalments written on their own, not through the plan
        self.plan_id._ar_check_company_limits()

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.plan_id._ar_check_editable()
        return lines

    def write(self, vals):
        # the cron's bookkeeping (payment status, reminders sent) runs as superuser
        self.plan_id._ar_check_editable()
        return super().write(vals)

    def unlink(self):
        self.plan_id._ar_check_editable()
        return super().unlink()

    @api.depends("plan_id.line_ids.amount", "plan_id.line_ids.date")
    def _compute_amount_cumulated(self):
        for line in self:
            total = 0.0
            for sibling in line.plan_id.line_ids.sorted(lambda other: (other.date, other.id or 0)):
                total += sibling.amount
                if sibling == line:
                    break
            line.amount_cumulated = total

    @api.depends("amount_cumulated", "plan_id.amount_paid", "plan_id.state")
    def _compute_is_paid(self):
        for line in self:
            plan = line.plan_id
            line.is_paid = plan.state in ("active", "done", "broken") and (
                plan.state == "done" or plan.currency_id.compare_amounts(plan.amount_paid, line.amount_cumulated) >= 0)
            if plan.state not in ("active", "broken") or line.is_paid:
                line.amount_residual = 0.0 if line.is_paid else line.amount
            else:
                # payments go to the earliest instalments first
                line.amount_residual = plan.currency_id.round(
                    min(line.amount, line.amount_cumulated - max(plan.amount_paid, 0.0)))
