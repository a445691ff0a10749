from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# The preview lists this many lines (the list's first page: creating more made the preview of a
# large book slow); the totals count them all, and the run sends them all.
PREVIEW_LIMIT = 80


class ArDunningPreview(models.TransientModel):
    """"Run reminders now": shows what a run would send on a date (today by default), then
    starts it, or stores it as a run to review first (the only way for another date)."""

    _name = "ar.dunning.preview"
    _description = "Dunning Run Preview"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    date = fields.Date(default=fields.Date.context_today, required=True, string="Decide as of",
                       help="Today, or another day to check: a past day (back-dated run) or a future one "
                            "(what would be due then). Another day than today can only be reviewed.")
    is_today = fields.Boolean(compute="_compute_is_today")
    line_ids = fields.One2many("ar.dunning.preview.line", "preview_id", readonly=True)
    customer_count = fields.Integer(readonly=True)
    invoice_count = fields.Integer(readonly=True)
    skipped_count = fields.Integer(readonly=True)
    message_count = fields.Integer(string="Reminders to send", readonly=True)
    truncated = fields.Boolean(readonly=True)
    fee_summary = fields.Char(string="Late-payment fees", readonly=True,
                              help="The fees the reminders to send charge, per currency (see the levels' fees).")

    @api.model_create_multi
    def create(self, vals_list):
        previews = super().create(vals_list)
        for preview in previews:
            preview._ar_check_company()
            preview._compute_plan()
        return previews

    @api.depends("date")
    def _compute_is_today(self):
        today = fields.Date.context_today(self)
        for preview in self:
            preview.is_today = preview.date == today

    @api.onchange("date")
    def _onchange_date(self):
        if self.date:
            self._compute_plan()

    def _ar_check_company(self):
        """The plan is read and the run started as superuser: only for a company of the user."""
        if self.env.su:
            return
        elsewhere = self.company_id - self.env.user.company_ids
        if elsewhere:
            raise AccessError(self.env._("You do not work in %(company)s: you cannot preview or run its reminders.",
                                         company=elsewhere.sudo().name))

    def _compute_plan(self):
        """Plan today's reminders of the company without writing any of them."""
        self.ensure_one()
        engine = self.env["ar.dunning.engine"]
        invoices = self.env["account.move"].sudo().with_company(self.company_id).search(
            engine._get_candidate_domain(self.company_id, self.date),
            order="commercial_partner_id, invoice_date_due, id")
        plan = engine._plan_reminders(invoices, self.date)
        labels = dict(engine._get_channel_selection())
        to_send = [line for line in plan if not line["skip_reason"]]
        fees = self.env["ar.dunning.fee"]._ar_expected_for_plan(to_send, self.date)
        fee_totals = {}
        for vals in (vals for invoice_fees in fees.values() for vals in invoice_fees):
            fee_totals[vals["currency_id"]] = fee_totals.get(vals["currency_id"], 0.0) + vals["amount"]
        self.update({
            "customer_count": len({line["partner"].id for line in to_send}),
            "invoice_count": len(to_send),
            "skipped_count": len(plan) - len(to_send),
            "message_count": len({(line["partner"].id, channel) for line in to_send for channel in line["channels"]}),
            "truncated": len(plan) > PREVIEW_LIMIT,
            "fee_summary": ", ".join(self.env["res.currency"].browse(currency_id).format(amount)
                                     for currency_id, amount in sorted(fee_totals.items())) or False,
            "line_ids": [fields.Command.clear()] + [fields.Command.create({
                "partner_id": line["partner"].id,
                "invoice_id": line["invoice"].id,
                "level_id": line["level"].id,
                "channels": ", ".join(labels[channel] for channel in line["channels"]),
                "days_overdue": line["days_overdue"],
                "amount_residual": line["amount_residual"],
                "currency_id": line["invoice"].currency_id.id,
                "skip_reason": line["skip_reason"] or False,
                "fee_amount": sum(vals["amount"] for vals in fees.get(line["invoice"].id, ())),
            }) for line in plan[:PREVIEW_LIMIT]],
        })

    @api.model
    def action_open_preview(self):
        """Compute the preview of the current company and open it."""
        preview = self.create({"company_id": self.env.company.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Run reminders now"),
            "res_model": self._name,
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_run(self):
        """Start the run: queue the reminders shown (and any that became due since)."""
        self.ensure_one()
        self._ar_check_company()
        if not self.is_today:
            raise UserError(self.env._("A run for another day than today is reviewed first: use “Review first”."))
        run = self.env["ar.dunning.run"]._ar_get_run(self.company_id, trigger="manual", new=True)
        run._ar_run_now()
        return {
            "type": "ir.actions.act_window",
            "res_model": "ar.dunning.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }


    def action_review(self):
        """Store the reminders of the chosen day as a run to review (exclude, change the level,
        add a note), then send it from there."""
        self.ensure_one()
        self._ar_check_company()
        return self.env["ar.dunning.run"]._ar_start_review(self.company_id, self.date)._ar_action_open()


class ArDunningPreviewLine(models.TransientModel):
    _name = "ar.dunning.preview.line"
    _description = "Dunning Run Preview Line"
    _order = "partner_id, days_overdue desc"

    preview_id = fields.Many2one("ar.dunning.preview", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer")
    invoice_id = fields.Many2one("account.move")
    level_id = fields.Many2one("ar.dunning.level")
    channels = fields.Char()
    days_overdue = fields.Integer()
    amount_residual = fields.Monetary(string="Open amount", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency")
    skip_reason = fields.Char(string="Not sent because")
    fee_amount = fields.Monetary(string="Late-payment fee", currency_field="currency_id")
