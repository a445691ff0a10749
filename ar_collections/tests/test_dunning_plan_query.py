from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from odoo.addons.ar_collections.const import OPEN_PAYMENT_STATES, PAID_PAYMENT_STATES

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestDunningPlanQuery(ArCollectionsCommon):
    """The engine reads a plan's invoices in one query (issue 21: the run preview of the
    100,000-invoice book): the same plan, and so the same preview rows, as the invoices read
    record by record through the ORM."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        cls.strict = cls.policy.copy({"name": "Strict", "jump_to_reached": True})
        cls.lenient = cls.policy.copy({"name": "Lenient"})
        Partner = cls.env["res.partner"]
        cls.strict_customer, cls.excluded_customer, cls.replier, cls.plain, cls.writer = Partner.create([
            {"name": name, "is_company": True, "email": f"ap{index}@plan.example.com"}
            for index, name in enumerate(("Strict Ltd", "Excluded Ltd", "Replier Ltd", "Plain Ltd", "Writer Ltd"))])
        cls.strict_customer.with_company(company).ar_dunning_policy_id = cls.strict
        cls.excluded_customer.write({"ar_no_chase": True, "ar_no_chase_reason": "Key account",
                                     "ar_no_chase_until": cls.today})
        cls.book = cls._ar_invoices([
            (cls.strict_customer, 800.0, 40),
            (cls.strict_customer, 90.0, 9),
            (cls.excluded_customer, 500.0, 15),
            (cls.replier, 300.0, 31),
            (cls.plain, 20.0, 8),
            (cls.plain, 1200.0, 16),
            (cls.plain, 450.0, 4),
            (cls.plain, 650.0, 60),
            (cls.writer, 700.0, 12),
            (cls.writer, 350.0, 25),
        ])
        _strict_old, _strict_new, _excluded, _replied, small, own_policy, escalated, disputed, written_on, _other = \
            cls.book
        own_policy.ar_dunning_policy_id = cls.lenient
        escalated.ar_escalate_level = True
        small.write({"ar_no_chase": True, "ar_no_chase_reason": "Billing error"})
        cls.policy.level_ids.filtered(lambda level: level.offset_days == 3).min_amount = 500.0
        cls.env["ar.dispute"].create({
            "partner_id": cls.plain.id, "invoice_ids": [Command.set(disputed.ids)], "reason": "pricing",
        })
        cls.replier.message_post(body="Paid yesterday.", message_type="email", author_id=cls.replier.id)
        # a reply on an invoice's chatter pauses the customer's other invoices too
        written_on.message_post(body="Why this amount?", message_type="email", author_id=cls.writer.id)
        # a history to climb from: a run today, then plans of later days
        cls.env["ar.dunning.run"]._ar_get_run(company, trigger="cron", new=True)._ar_run_now()

    def _orm_plan(self, invoices, today):
        """The plan as the engine made it before issue 21, reading each invoice through the ORM."""
        engine = self.env["ar.dunning.engine"]
        sent, highest_sent, last_date = engine._read_reminder_history(invoices)
        reasons = {}
        for move in invoices:
            if move.payment_state not in OPEN_PAYMENT_STATES:
                reasons[move.id] = "Paid" if move.payment_state in PAID_PAYMENT_STATES else "Nothing left to pay"
            elif move._ar_no_chase_active(today):
                reasons[move.id] = f"Excluded from reminders: {move.ar_no_chase_reason}"
            elif move.commercial_partner_id._ar_no_chase_active(today):
                reasons[move.id] = f"Customer excluded from reminders: {move.commercial_partner_id.ar_no_chase_reason}"
        pending = invoices.filtered(lambda move: move.id not in reasons)
        reasons.update(engine._ask_pause_sources(engine._get_pause_sources(), pending, today))
        plan = []
        for invoice in invoices:
            policy = invoice._ar_get_policy()
            days = (today - invoice.invoice_date_due).days
            level = policy._get_levels_reached(days)[-1:]
            if not policy.jump_to_reached:
                level = engine._get_stepped_level(engine._get_policy_ladder(policy), level,
                                                  highest_sent.get(invoice.id), last_date.get(invoice.id), today)
            if invoice.ar_escalate_level:
                level = engine._get_escalated_level(policy, level, highest_sent.get(invoice.id))
            if not level or (invoice.id in highest_sent and highest_sent[invoice.id] > level.offset_days):
                continue
            channels = [channel for channel in level._get_channels() if (level.id, channel) not in sent[invoice.id]]
            if not channels:
                continue
            skip_reason = reasons.get(invoice.id, False)
            if not skip_reason and abs(invoice.amount_residual_signed) < level.min_amount:
                skip_reason = "Below the level's minimum amount"
            plan.append((invoice.id, invoice.commercial_partner_id.id, level.id, channels, days,
                         invoice.amount_residual, skip_reason))
        return plan

    def _rows(self, plan):
        return [(line["invoice"].id, line["partner"].id, line["level"].id, line["channels"], line["days_overdue"],
                 line["amount_residual"], line["skip_reason"]) for line in plan]

    def test_plan_equals_the_orm_plan(self):
        engine = self.env["ar.dunning.engine"]
        for days in (0, 8, 20, 45):
            today = self.today + timedelta(days=days)
            invoices = self.env["account.move"].sudo().with_company(self.company).search(
                engine._get_candidate_domain(self.company, today), order="commercial_partner_id, invoice_date_due, id")
            self.assertGreaterEqual(len(invoices), 10)
            with self.subTest(days=days):
                rows = self._rows(engine._plan_reminders(invoices, today))
                self.assertEqual(rows, self._orm_plan(invoices, today))
                if days == 0:
                    self.assertEqual({row[6] for row in rows if row[1] == self.writer.id},
                                     {f"Customer replied on {self.today}"})
                reasons = {row[6] for row in rows if row[6]}
                if days == 0:
                    # every way of not sending shows in the plan compared
                    for prefix in ("Excluded from reminders", "Customer excluded", "Disputed", "Customer replied",
                                   "Below the level's minimum"):
                        self.assertTrue(any(reason.startswith(prefix) for reason in reasons), prefix)

    def test_preview_rows_equal_the_orm_plan(self):
        preview = self.env["ar.dunning.preview"].with_user(self.user_ar_manager).create(
            {"date": self.today + timedelta(days=8)})
        engine = self.env["ar.dunning.engine"]
        invoices = self.env["account.move"].sudo().with_company(self.company).search(
            engine._get_candidate_domain(self.company, preview.date), order="commercial_partner_id, invoice_date_due, id")
        expected = self._orm_plan(invoices, preview.date)
        labels = dict(engine._get_channel_selection())
        self.assertEqual(
            sorted((line.invoice_id.id, line.partner_id.id, line.level_id.id, line.channels, line.days_overdue,
                    line.amount_residual, line.skip_reason) for line in preview.sudo().line_ids),
            sorted((invoice_id, partner_id, level_id, ", ".join(labels[channel] for channel in channels), days,
                    amount, reason) for invoice_id, partner_id, level_id, channels, days, amount, reason in expected))
        self.assertEqual(preview.invoice_count, len([row for row in expected if not row[6]]))
        self.assertEqual(preview.skipped_count, len([row for row in expected if row[6]]))

    def test_plan_reads_no_invoice_record_by_record(self):
        """Read through the ORM, each first use of an invoice field loaded every column of the
        invoices (then one read per field and invoice): the plan reads its columns in one query."""
        engine = self.env["ar.dunning.engine"]
        invoices = self.env["account.move"].sudo().search(
            engine._get_candidate_domain(self.company, self.today))
        self.env.invalidate_all()
        plan = engine._plan_reminders(invoices, self.today)
        self.assertTrue(plan)
        Move = self.env["account.move"]
        for fname in ("name", "invoice_date_due", "amount_residual", "payment_state"):
            self.assertFalse(any(self.env.cache.contains(invoice, Move._fields[fname]) for invoice in invoices),
                             f"{fname} read through the ORM")
        # the customer is read of the invoice a customer wrote on alone
        written_on = self.book[8]
        self.assertEqual(invoices.filtered(lambda invoice: self.env.cache.contains(
            invoice, Move._fields["commercial_partner_id"])), written_on)
