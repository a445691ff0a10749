import random
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestFirstContact(ArCollectionsCommon):
    """Going live on a book of old overdue invoices: the first reminder of an invoice is the
    policy's entry level, then it climbs one level per run with the days between reminders.
    The book: one customer per invoice 10, 40, 100 and 300 days overdue, and a year of overdue
    invoices of 24 customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.book = {}
        for days in (10, 40, 100, 300):
            partner = cls.env["res.partner"].create({
                "name": f"Late {days}", "is_company": True, "email": f"ap{days}@late.example.com"})
            cls.book[days] = cls._ar_invoice(partner, 100.0 + days, days_overdue=days)
        cls.levels = {level.offset_days: level for level in cls.policy.level_ids}
        # a year of overdue invoices, never reminded
        rng = random.Random(2326)
        cls.book_partners = cls.env["res.partner"].create([{
            "name": f"Year book {index}", "is_company": True, "email": f"ap{index}@yearbook.example.com",
        } for index in range(24)])
        year = []
        for partner in cls.book_partners:
            for _invoice in range(rng.randint(1, 4)):
                due = cls.today - timedelta(days=rng.randint(3, 365))
                year.append({
                    "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": due - timedelta(days=30),
                    "invoice_date_due": due, "invoice_line_ids": [Command.create({
                        "name": "Goods", "quantity": 1, "price_unit": rng.randint(50, 5000),
                        "tax_ids": [Command.clear()]})],
                })
        cls.env["account.move"].create(year).action_post()
        cls.final = cls.policy.level_ids.sorted("offset_days")[-1]

    def _run_on(self, days_later):
        with freeze_time(self.today + timedelta(days=days_later)):
            return self._ar_run()

    def _email_offsets(self, invoice):
        return self._ar_logs(invoice).filtered(lambda log: log.channel == "email").mapped("level_offset")

    def _book_offsets(self):
        return {days: self._email_offsets(invoice) for days, invoice in self.book.items()}

    def test_defaults(self):
        self.assertFalse(self.policy.jump_to_reached)
        self.assertEqual(self.policy.spacing_days, 7)
        self.assertFalse(self.policy.entry_level_id)
        self.assertEqual(self.policy._get_entry_level(), self.levels[3], "the first level after the due date")

    def test_first_run_sends_the_entry_level_to_everyone(self):
        run = self._ar_run()
        self.assertEqual(self._book_offsets(), {10: [3], 40: [3], 100: [3], 300: [3]})
        # every customer of the run, the common scenario's too (20, 12 and 5 days overdue)
        self.assertEqual(set(run.log_ids.mapped("level_offset")), {3})
        self.assertEqual(set(run.message_ids.level_id.mapped("name")), {"First reminder"})
        self.assertEqual(set(run.message_ids.mapped("channel")), {"email"}, "no call nor letter at first contact")
        self.assertFalse(self.customer.ar_dunning_hold)

    def test_climbs_one_level_per_run_after_the_spacing(self):
        self._ar_run()
        self.assertFalse(self._ar_run().log_ids, "a second run the same day sends nothing")
        self.assertFalse(self._run_on(3).log_ids.filtered(lambda log: log.invoice_id in self.book.values()),
                         "3 days later: the days between reminders have not passed")
        self._run_on(7)
        self.assertEqual(self._book_offsets(), {days: [3, 7] for days in self.book}, "one level up, not the highest")
        self._run_on(10)
        self.assertEqual(self._book_offsets(), {days: [3, 7] for days in self.book})
        self._run_on(14)
        self.assertEqual(self._book_offsets(), {days: [3, 7, 14] for days in self.book})
        # the invoice 10 days overdue on the first run is 31 days overdue now: the final notice too
        self._run_on(21)
        self.assertEqual(self._book_offsets(), {days: [3, 7, 14, 30] for days in self.book})
        self.assertFalse(self._run_on(60).log_ids.filtered(lambda log: log.invoice_id in self.book.values()),
                         "nothing above the final notice")

    def test_never_above_the_level_reached(self):
        # no days between reminders: one level per run, still only once the invoice reaches it
        self.policy.spacing_days = 0
        invoice = self._ar_invoice(self.book[10].partner_id, 50.0, days_overdue=4)
        self._ar_run()
        self.assertEqual(self._email_offsets(invoice), [3])
        self.assertEqual(self._book_offsets(), {days: [3] for days in self.book})
        self._run_on(1)
        self.assertEqual(self._email_offsets(invoice), [3], "+7 not reached yet (5 days overdue)")
        self.assertEqual(self._book_offsets(), {days: [3, 7] for days in self.book}, "one level per run")
        self._run_on(3)
        self.assertEqual(self._email_offsets(invoice), [3, 7])

    def test_spacing_counts_from_the_last_reminder(self):
        """Reminded a day after +3, the +7 level waits its four days from that reminder."""
        invoice = self._ar_invoice(self.book[10].partner_id, 50.0, days_overdue=4)
        self._ar_run()
        self._run_on(3)
        self.assertEqual(self._email_offsets(invoice), [3], "7 days overdue but 3 days since the last reminder")
        self._run_on(4)
        self.assertEqual(self._email_offsets(invoice), [3, 7])

    def test_invoices_reminded_on_time_keep_the_policy_rhythm(self):
        """The days between reminders never hold back a level the policy itself places closer:
        -7, 0, +3, +7, +14, +30 each on its day, one run per level."""
        partner = self.env["res.partner"].create({"name": "On time", "email": "ontime@example.com"})
        invoice = self._ar_invoice(partner, 80.0, days_overdue=-7)
        for offset in (-7, 0, 3, 7, 14, 30):
            self._run_on(offset + 7)
        self.assertEqual(self._email_offsets(invoice), [-7, 0, 3, 7, 14, 30])

    def test_pre_due_history_does_not_lower_the_climb(self):
        """Reminded before the due date, then not chased for weeks: the next reminder is the entry
        level (not "due today", which no longer fits), then one level per run."""
        partner = self.env["res.partner"].create({"name": "Heads-up only", "email": "hu@example.com"})
        invoice = self._ar_invoice(partner, 80.0, days_overdue=-7)
        self._ar_run()
        self._run_on(40)
        self.assertEqual(self._email_offsets(invoice), [-7, 3])

    def test_go_live_option_jumps_to_the_level_reached(self):
        self.policy.jump_to_reached = True
        self._ar_run()
        self.assertEqual(self._book_offsets(), {10: [7], 40: [30], 100: [30], 300: [30]})
        self._run_on(4)
        self.assertEqual(self._book_offsets(), {10: [7, 14], 40: [30], 100: [30], 300: [30]},
                         "missed levels skipped, no spacing")

    def test_entry_level_is_configurable(self):
        self.policy.entry_level_id = self.levels[7]
        self._ar_run()
        self.assertEqual(self._book_offsets(), {days: [7] for days in self.book})
        self.assertEqual(self._email_offsets(self.inv_partial), [3], "5 days overdue: the level it reached")
        self._run_on(7)
        self.assertEqual(self._book_offsets(), {days: [7, 14] for days in self.book})

    def test_entry_level_of_another_policy_is_refused(self):
        other = self.policy.copy({"name": "Other reminders"})
        with self.assertRaises(ValidationError):
            self.policy.entry_level_id = other.level_ids[0]
        with self.assertRaises(ValidationError):
            self.policy.spacing_days = -1

    def test_customer_history_is_not_an_entry_level(self):
        """A customer who had the final notice for an invoice it then paid gets the first
        reminder for a new one; counted per invoice, not per customer."""
        partner = self.book[300].partner_id
        self.policy.jump_to_reached = True
        self._ar_run()
        self.assertEqual(self._email_offsets(self.book[300]), [30])
        self._ar_pay(self.book[300], self.book[300].amount_residual)
        self.policy.jump_to_reached = False
        new = self._ar_invoice(partner, 90.0, days_overdue=60)
        run = self._run_on(1)
        self.assertEqual(self._email_offsets(new), [3])
        self.assertEqual(run.message_ids.filtered(lambda msg: msg.partner_id == partner).level_id, self.levels[3])
        self.assertEqual(self._email_offsets(self.book[300]), [30], "the paid invoice is not chased")
        self.assertEqual(self._email_offsets(self.book[100]), [30], "others keep their level, nothing new")

    def test_broken_promise_escalates_without_waiting(self):
        self._ar_run()
        self.book[40].ar_escalate_level = True
        self._run_on(1)
        self.assertEqual(self._email_offsets(self.book[40]), [3, 7], "next level at once, spacing or not")
        self.assertFalse(self.book[40].ar_escalate_level, "the escalation is used up")
        self.assertEqual(self._email_offsets(self.book[100]), [3])

    def test_next_reminder_date(self):
        engine = self.env["ar.dunning.engine"]
        not_due = self.inv_not_due  # due in 10 days: the -7 heads-up in 3 days
        invoices = self.book[300] | self.book[10] | not_due
        dates = engine._get_next_reminder_date(invoices, self.today)
        self.assertEqual(dates, {self.book[300].id: self.today, self.book[10].id: self.today,
                                 not_due.id: self.today + timedelta(days=3)})
        self._ar_run()
        dates = engine._get_next_reminder_date(invoices, self.today)
        # +7 is 4 days above +3: four days later, the policy's own gap being under the 7 days
        self.assertEqual(dates[self.book[300].id], self.today + timedelta(days=4))
        self.book[300].ar_escalate_level = True
        self.assertEqual(engine._get_next_reminder_date(self.book[300], self.today)[self.book[300].id], self.today)
        self.book[300].ar_escalate_level = False
        self.policy.jump_to_reached = True
        self._run_on(1)
        self.assertEqual(engine._get_next_reminder_date(self.book[300], self.today)[self.book[300].id], False,
                         "the final notice sent: no level left")
        # the same dates the planner acts on
        self.policy.jump_to_reached = False
        partner = self.env["res.partner"].create({"name": "Dated", "email": "dated@example.com"})
        invoice = self._ar_invoice(partner, 60.0, days_overdue=50)
        self._ar_run()
        expected = engine._get_next_reminder_date(invoice, self.today)[invoice.id]
        self._run_on((expected - self.today).days - 1)
        self.assertEqual(self._email_offsets(invoice), [3])
        self._run_on((expected - self.today).days)
        self.assertEqual(self._email_offsets(invoice), [3, 7])

    def _first_messages(self, run):
        return run.message_ids.filtered(lambda msg: msg.partner_id in self.book_partners)

    def test_year_book_no_customer_is_first_told_final_notice(self):
        run = self._ar_run()
        messages = self._first_messages(run)
        self.assertEqual(set(messages.partner_id.ids), set(self.book_partners.ids), "every customer is chased")
        self.assertFalse(messages.filtered(lambda msg: msg.level_id.tone in ("firm", "final")))
        templates = messages.level_id.mail_template_id
        self.assertNotIn(self.final.mail_template_id, templates)
        self.assertNotIn(self.env.ref("ar_collections.mail_template_dunning_firm"), templates,
                         "no “despite our previous reminders” to a customer never reminded")
        self.assertEqual(messages.level_id, self.levels[3], "the entry level, to every customer")

    def test_year_book_go_live_option_sends_the_final_notice_first(self):
        """The control: jumping to the level reached is what sent final notices first."""
        self.policy.jump_to_reached = True
        messages = self._first_messages(self._ar_run())
        self.assertIn(self.final, messages.level_id)

    def test_year_book_each_invoice_climbs_one_level_per_run(self):
        ladder = self.policy.level_ids.sorted("offset_days").mapped("offset_days")
        weekly = []
        for week in range(5):
            with freeze_time(self.today + timedelta(days=7 * week)):
                weekly.append(set(self._first_messages(self._ar_run()).level_id.mapped("offset_days")))
        self.assertEqual(weekly[:4], [{3}, {7}, {14}, {30}], "a week apart, each customer's reminder one level up")
        logs = self.env["ar.dunning.log"].sudo().search(
            [("partner_id", "in", self.book_partners.ids), ("channel", "=", "email")], order="date, id")
        for invoice in logs.invoice_id:
            offsets = logs.filtered(lambda log, inv=invoice: log.invoice_id == inv).mapped("level_offset")
            with self.subTest(invoice=invoice.name, days=invoice.invoice_date_due):
                self.assertEqual(offsets, ladder[ladder.index(offsets[0]):][:len(offsets)],
                                 "consecutive levels, none skipped")
                self.assertEqual(offsets[0], 3)
