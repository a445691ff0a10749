import base64
from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import ArCollectionsCommon
from .hostile_catalogue import PNG


@tagged("post_install", "-at_install")
class TestDisputeSla(ArCollectionsCommon):
    """Disputes: amount, stage transitions, credit note resolution, SLA and escalations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.ar_manager_user_id = cls.user_ar_manager
        cls.director = cls.env["res.users"].create({
            "name": "Dora Director", "login": "ar_director", "company_id": cls.company.id,
            "company_ids": [Command.set(cls.company.ids)],
            "groups_id": [Command.set(cls.env.ref("ar_collections.group_ar_collections_manager").ids)],
        })
        # a Thursday, so that the business days cross a weekend
        cls.thursday = cls.today + timedelta(days=(3 - cls.today.weekday()) % 7)

    def _dispute(self, invoices, on=None, **values):
        with freeze_time(on or self.thursday):
            return self.env["ar.dispute"].with_user(self.user_collector).create({
                "partner_id": invoices.commercial_partner_id.id,
                "invoice_ids": [Command.set(invoices.ids)],
                "reason": "pricing",
                **values,
            })

    def _escalate(self, days, batch_size=200):
        with freeze_time(self.thursday + timedelta(days=days)):
            self.env["ar.dispute"]._cron_escalate_disputes(batch_size=batch_size)

    def _activities(self, dispute):
        return [(act.user_id, act.summary) for act in dispute.sudo().activity_ids.sorted("id")]

    def _tracked(self, dispute, action):
        """Run ``action`` with tracking on and return the stage change it tracked."""
        Value = self.env["mail.tracking.value"].sudo()
        # as if committed since: the changes of a record created in this transaction are not tracked
        self.env.flush_all()
        self.env.cr.precommit.run()
        before = Value.search([]).ids
        getattr(dispute.with_context(tracking_disable=False, mail_notrack=False), action)()
        self.env.flush_all()
        self.env.cr.precommit.run()
        values = Value.search([("id", "not in", before), ("field_id.name", "=", "stage"),
                               ("mail_message_id.model", "=", "ar.dispute"), ("mail_message_id.res_id", "=", dispute.id)])
        return values.old_value_char, values.new_value_char

    def test_amount_defaults_to_open_amount_and_is_checked(self):
        dispute = self._dispute(self.inv_partial)
        self.assertEqual((dispute.amount, dispute.currency_id), (350.0, self.company.currency_id))
        dispute.action_cancel()  # an invoice is in one open dispute at a time
        both = self._dispute(self.inv_overdue | self.inv_partial)
        self.assertEqual(both.amount, 1350.0)
        both.action_cancel()
        partial = self._dispute(self.inv_partial, amount=120.0)
        self.assertEqual(partial.amount, 120.0)
        partial.action_cancel()
        with self.assertRaisesRegex(ValidationError, "more than the invoices still have open"):
            self._dispute(self.inv_partial, amount=350.01)
        with self.assertRaisesRegex(ValidationError, "must be positive"):
            self._dispute(self.inv_partial, amount=0.0)
        with self.assertRaisesRegex(ValidationError, "must be positive"):
            dispute.amount = -5.0

    def test_sla_deadline_skips_weekends(self):
        dispute = self._dispute(self.inv_overdue)
        # Thursday + 5 business days (Fri, Mon, Tue, Wed, Thu) = the next Thursday
        self.assertEqual((dispute.date_opened, dispute.sla_deadline), (self.thursday, self.thursday + timedelta(days=7)))
        self.company.ar_dispute_sla_days = 2
        self.assertEqual(self._dispute(self.inv_partial).sla_deadline, self.thursday + timedelta(days=4), "Fri, Mon")
        self.assertEqual(dispute.sla_deadline, self.thursday + timedelta(days=7), "a new setting leaves older disputes")
        with self.assertRaisesRegex(ValidationError, "at least one day"):
            self.company.ar_dispute_sla_days = 0

    def test_sla_deadline_follows_the_company_calendar(self):
        calendar = self.company.resource_calendar_id
        calendar.tz = "UTC"  # the holiday below is in UTC
        monday = self.thursday + timedelta(days=4)
        # a public holiday of the company (a leave of no one in particular) on the Monday after
        self.env["resource.calendar.leaves"].create({
            "name": "Whit Monday", "company_id": self.company.id, "calendar_id": calendar.id,
            "date_from": datetime.combine(monday, time(0, 0)), "date_to": datetime.combine(monday, time(23, 59)),
        })
        # another company's public holiday on the Tuesday is not this company's
        other_company = self.env["res.company"].search([("id", "!=", self.company.id)], limit=1)
        elsewhere = self.env["resource.calendar.leaves"].create({
            "name": "Elsewhere's holiday", "calendar_id": False,
            "date_from": datetime.combine(monday + timedelta(days=1), time(0, 0)),
            "date_to": datetime.combine(monday + timedelta(days=1), time(23, 59)),
        })
        elsewhere.company_id = other_company  # computed from the current company at creation
        self.assertEqual((elsewhere.company_id, elsewhere.calendar_id), (other_company, calendar.browse()))
        self.assertEqual(self._dispute(self.inv_overdue).sla_deadline, self.thursday + timedelta(days=8),
                         "Fri, (holiday), Tue, Wed, Thu, Fri")
        # working days are the calendar's: a schedule of Mondays to Thursdays makes Friday a day off
        calendar.attendance_ids.filtered(lambda attendance: attendance.dayofweek == "4").unlink()
        self.assertEqual(self._dispute(self.inv_partial).sla_deadline, self.thursday + timedelta(days=12),
                         "Tue, Wed, Thu, Mon, Tue")
        # a company without working schedule: Monday to Friday
        self.company.resource_calendar_id = False
        self.assertEqual(self._dispute(self.inv_other).sla_deadline, self.thursday + timedelta(days=7))

    def test_stage_transitions(self):
        dispute = self._dispute(self.inv_overdue)
        self.assertEqual((dispute.stage, dispute.is_open), ("new", True))
        self.assertEqual(self._tracked(dispute, "action_review"), ("New", "Under review"))
        self.assertEqual((dispute.stage, dispute.is_open), ("review", True))
        with self.assertRaisesRegex(UserError, "Only a new dispute"):
            dispute.action_review()
        self.assertEqual(self._tracked(dispute, "action_reject"), ("Under review", "Resolved: rejected"))
        self.assertEqual((dispute.stage, dispute.is_open), ("resolved_rejected", False))
        with self.assertRaisesRegex(UserError, "already closed"):
            dispute.action_cancel()
        self.assertEqual(self._tracked(dispute, "action_reopen"), ("Resolved: rejected", "New"))
        self.assertEqual(self._tracked(dispute, "action_cancel"), ("New", "Cancelled"))
        self.assertEqual((dispute.stage, dispute.is_open), ("cancelled", False))
        with self.assertRaisesRegex(UserError, "already closed"):
            dispute.action_resolve_credit_note()
        self.assertEqual(self._tracked(dispute, "action_reopen"), ("Cancelled", "New"))
        self.assertEqual(self._tracked(dispute, "action_resolve_credit_note"), ("New", "Resolved: credit note"))

    def test_resolve_with_credit_note(self):
        dispute = self._dispute(self.inv_overdue | self.inv_partial, amount=300.0)
        self.assertEqual(self.inv_overdue.ar_pause_reason, "Disputed: Wrong price or quantity")
        action = dispute.action_resolve_credit_note()
        refund = dispute.credit_note_id
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", refund.id))
        self.assertEqual((refund.move_type, refund.state, refund.amount_total, refund.reversed_entry_id),
                         ("out_refund", "draft", 300.0, self.inv_overdue), "on the first disputed invoice")
        self.assertEqual((refund.partner_id, refund.currency_id), (self.customer, self.inv_overdue.currency_id))
        self.assertEqual(refund.invoice_line_ids.account_id, self.inv_overdue.invoice_line_ids.account_id)
        self.assertEqual((dispute.stage, dispute.is_open), ("resolved_credit", False))
        with self.assertRaisesRegex(UserError, "Only a rejected or cancelled"):
            dispute.action_reopen()
        # the reminders wait for the credit note: posted, they resume
        self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
        self.assertEqual(self.inv_overdue.ar_pause_reason, f"Credit note not yet posted: {refund.display_name}")
        refund.invoice_date = self.today
        refund.action_post()
        self.inv_overdue.invalidate_recordset(["ar_pause_reason"])
        self.assertFalse(self.inv_overdue.ar_pause_reason)
        self.assertEqual(dispute.action_view_credit_note()["res_id"], refund.id)

    def test_resolution_resumes_reminders_for_the_rest(self):
        """A credit-note resolution holds the reminders until the credit note is posted; a
        cancelled credit note resumes them too (nothing more will settle the invoice)."""
        engine = self.env["ar.dunning.engine"]
        dispute = self._dispute(self.inv_overdue, amount=300.0)
        self.assertEqual(engine._get_pause_reasons(self.inv_overdue, self.today),
                         {self.inv_overdue.id: "Disputed: Wrong price or quantity"})
        self._ar_run()
        self.assertFalse(self._ar_logs(self.inv_overdue), "no reminder while disputed")
        dispute.action_resolve_credit_note()
        refund = dispute.credit_note_id
        self.assertEqual(engine._get_pause_reasons(self.inv_overdue, self.today),
                         {self.inv_overdue.id: f"Credit note not yet posted: {refund.display_name}"},
                         "the full amount is not chased while the credit note is a draft")
        self._ar_run()
        self.assertFalse(self._ar_logs(self.inv_overdue), "no reminder before the credit note is posted")
        # the credit note once posted settles its part (it reverses the invoice): the pause is gone and
        # the next run reminds the rest
        refund.invoice_date = self.today
        refund.action_post()
        self.assertEqual(engine._get_pause_reasons(self.inv_overdue, self.today), {}, "the pause is gone")
        self.assertEqual(self.inv_overdue.amount_residual, 700.0)
        self._ar_run()
        self.assertTrue(self._ar_logs(self.inv_overdue), "reminded of the 700 left")

    def test_cancelled_credit_note_resumes_reminders(self):
        engine = self.env["ar.dunning.engine"]
        dispute = self._dispute(self.inv_overdue, amount=300.0)
        dispute.action_resolve_credit_note()
        self.assertIn(self.inv_overdue.id, engine._get_pause_reasons(self.inv_overdue, self.today))
        dispute.credit_note_id.button_cancel()
        self.assertEqual(engine._get_pause_reasons(self.inv_overdue, self.today), {},
                         "a cancelled credit note settles nothing: the invoice is chased again")

    def test_attachments(self):
        dispute = self._dispute(self.inv_overdue)
        photo = self.env["ir.attachment"].create({
            "name": "broken-crate.png", "datas": base64.b64encode(PNG),
            "res_model": "ar.dispute", "res_id": dispute.id,
        })
        dispute.attachment_ids = [Command.link(photo.id)]
        self.assertEqual(dispute.attachment_ids.mapped("name"), ["broken-crate.png"])
        # evidence is what its content is (odoo.tools.mimetypes), not what its name says
        fake = self.env["ir.attachment"].create({
            "name": "broken-crate-2.png", "datas": base64.b64encode(b"not really a png"),
            "res_model": "ar.dispute", "res_id": dispute.id,
        })
        with self.assertRaisesRegex(ValidationError, "broken-crate-2.png is not what its name says: its content is text"):
            dispute.attachment_ids = [Command.link(fake.id)]

    def test_sla_escalations_once_each(self):
        self.company.ar_dispute_escalation_user_id = self.director
        dispute = self._dispute(self.inv_overdue)
        self._escalate(7)  # the deadline itself
        self.assertEqual((dispute.sla_breached, dispute.sla_escalation), (False, "none"))
        self.assertFalse(self._activities(dispute))
        self._escalate(8)
        self.assertEqual((dispute.sla_breached, dispute.sla_escalation), (True, "manager"))
        expected = [(self.user_ar_manager, f"Dispute not resolved by {self.thursday + timedelta(days=7)}")]
        self.assertEqual(self._activities(dispute), expected)
        self._escalate(9)
        self._escalate(10)  # exactly 10 days: not yet
        self.assertEqual(self._activities(dispute), expected, "the manager is told once")
        self._escalate(11)
        expected.append((self.director, "Dispute open for more than 10 days"))
        self.assertEqual(self._activities(dispute), expected)
        self.assertEqual(dispute.sla_escalation, "second")
        self._escalate(12)
        self._escalate(30)
        self.assertEqual(self._activities(dispute), expected, "and the director once")

    def test_late_first_run_does_both_and_falls_back_to_manager(self):
        dispute = self._dispute(self.inv_overdue)
        self._escalate(15)
        self.assertEqual(self._activities(dispute), [
            (self.user_ar_manager, f"Dispute not resolved by {self.thursday + timedelta(days=7)}"),
            (self.user_ar_manager, "Dispute open for more than 10 days"),
        ])
        self.assertEqual((dispute.sla_breached, dispute.sla_escalation), (True, "second"))

    def test_second_escalation_before_the_sla(self):
        self.company.write({"ar_dispute_sla_days": 15, "ar_dispute_escalation_days": 3})
        dispute = self._dispute(self.inv_overdue)
        self.assertEqual(dispute.sla_deadline, self.thursday + timedelta(days=21))
        self._escalate(4)
        self.assertEqual((dispute.sla_breached, dispute.sla_escalation), (False, "second"))
        self._escalate(22)
        self.assertEqual((dispute.sla_breached, dispute.sla_escalation), (True, "second"))
        self.assertEqual(len(self._activities(dispute)), 2)

    def test_closed_disputes_are_not_escalated(self):
        resolved = self._dispute(self.inv_overdue)
        resolved.action_reject()
        cancelled = self._dispute(self.inv_partial)
        cancelled.action_cancel()
        self._escalate(20)
        self.assertFalse(self._activities(resolved) + self._activities(cancelled))
        self.assertFalse(resolved.sla_breached or cancelled.sla_breached)

    def test_cron_batches(self):
        first, second = self._dispute(self.inv_overdue), self._dispute(self.inv_other)
        self._escalate(8, batch_size=1)
        self.assertEqual((first.sla_breached, second.sla_breached), (True, False))
        self._escalate(8, batch_size=1)
        self.assertEqual((first.sla_breached, second.sla_breached), (True, True))
        self.assertEqual((len(first.activity_ids), len(second.activity_ids)), (1, 1))
