from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestCallOutcome(ArCollectionsCommon):
    """A collector logs a call in two clicks; each outcome leaves a note and the next step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.with_company(cls.company).ar_collector_id = cls.user_collector
        cls.company.ar_manager_user_id = cls.user_ar_manager
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")
        cls.todo_type = cls.env.ref("mail.mail_activity_data_todo")

    def _log_call(self, outcome, action=None, user=None, **values):
        """Open the dialog like the "Log call" button, pick ``outcome``, confirm."""
        user = user or self.user_collector
        action = action or self.customer.with_user(user).action_ar_log_call()
        self.assertEqual((action["res_model"], action["target"]), ("ar.call.outcome", "new"))
        with Form(self.env["ar.call.outcome"].with_user(user).with_context(**action["context"])) as wizard_form:
            wizard_form.outcome = outcome
            for name, value in values.items():
                setattr(wizard_form, name, value)
        return wizard_form.record.action_confirm()

    def _activities(self, partner=None):
        return self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", (partner or self.customer).id)], order="id")

    def _last_note(self):
        return self.env["mail.message"].search([
            ("model", "=", "res.partner"), ("res_id", "=", self.customer.id),
            ("subtype_id", "=", self.env.ref("mail.mt_note").id)], order="id desc", limit=1)

    def _assert_note(self, text):
        note = self._last_note()
        self.assertIn(text, note.body)
        self.assertEqual(note.message_type, "comment")
        self.assertTrue(note.subtype_id.internal, "a note, not a message to the customer")
        self.assertFalse(note.partner_ids, "the customer is not notified of the note")
        self.assertEqual(note.author_id, self.user_collector.partner_id)
        self.assertEqual(note.mail_activity_type_id, self.call_type)
        self.assertEqual(note.record_company_id, self.company)
        return note

    def test_reached(self):
        result = self._log_call("reached", note="Will check with their accountant.")
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        note = self._assert_note("Call: Reached")
        self.assertIn("Will check with their accountant.", note.body)
        activity = self._activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.call_type)
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=7))
        self.assertEqual(activity.user_id, self.user_collector)
        self.assertEqual(activity.summary, "Follow-up call")

    def test_voicemail_marks_current_call_done(self):
        current = self.customer.activity_schedule(
            "mail.mail_activity_data_call", date_deadline=self.today, summary="Call about 2 unpaid invoices",
            user_id=self.user_collector.id)
        self._log_call("voicemail")
        self.assertFalse(current.exists().filtered("active"), "the call is done")
        done = self.env["mail.message"].search([
            ("model", "=", "res.partner"), ("res_id", "=", self.customer.id),
            ("subtype_id", "=", self.env.ref("mail.mt_activities").id)])
        self.assertEqual(len(done), 1)
        self.assertIn("Voicemail", done.body)
        self._assert_note("Call: Voicemail")
        activity = self._activities().filtered("active")
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            (activity.activity_type_id, activity.date_deadline, activity.user_id, activity.summary),
            (self.call_type, self.today + timedelta(days=2), self.user_collector, "Call again (voicemail left)"))

    def test_promised_opens_prefilled_promise(self):
        promised = self.today + timedelta(days=10)
        action = self._log_call("promised", promised_date=promised)
        self.assertEqual((action["res_model"], action["target"]), ("ar.promise", "new"))
        self._assert_note(f"Promised to pay by {fields.Date.to_string(promised)}")
        activity = self._activities()
        self.assertEqual(
            (activity.activity_type_id, activity.date_deadline, activity.user_id),
            (self.todo_type, promised + timedelta(days=1), self.user_collector))
        # the promise form: customer, its overdue invoices (not the one not due yet), amount = 1000 + 350
        promise_form = Form(self.env["ar.promise"].with_user(self.user_collector).with_context(**action["context"]))
        self.assertEqual(promise_form.partner_id, self.customer)
        self.assertEqual(promise_form.amount, 1350.0)
        self.assertEqual(promise_form.promised_date, promised)
        promise = promise_form.save()
        self.assertEqual(promise.invoice_ids, self.inv_overdue | self.inv_partial)
        self.assertEqual((promise.company_id, promise.state), (self.company, "open"))

    def test_promised_needs_a_future_date(self):
        with self.assertRaisesRegex(UserError, "Enter the date"):
            self.env["ar.call.outcome"].with_user(self.user_collector).create({
                "partner_id": self.customer.id, "company_id": self.company.id, "outcome": "promised",
                "invoice_ids": self.inv_overdue.ids,
            }).action_confirm()
        with self.assertRaisesRegex(UserError, "is in the past"):
            self._log_call("promised", promised_date=self.today - timedelta(days=1))
        self.assertFalse(self._activities())
        self.assertFalse(self._last_note())

    def test_disputed_opens_prefilled_dispute(self):
        action = self._log_call("disputed", note="Says the goods were damaged.")
        self.assertEqual((action["res_model"], action["target"]), ("ar.dispute", "new"))
        self._assert_note("Call: Disputed")
        self.assertFalse(self._activities(), "the dispute is the follow-up")
        dispute_form = Form(self.env["ar.dispute"].with_user(self.user_collector).with_context(**action["context"]))
        dispute_form.reason = "quality"
        dispute = dispute_form.save()
        self.assertEqual(dispute.partner_id, self.customer)
        self.assertEqual(dispute.invoice_ids, self.inv_overdue | self.inv_partial)
        self.assertTrue(dispute.is_open)

    def test_refused_escalates_to_manager(self):
        self._log_call("refused")
        self._assert_note("Call: Refused to pay")
        activity = self._activities()
        self.assertEqual(
            (activity.activity_type_id, activity.date_deadline, activity.user_id),
            (self.todo_type, self.today + timedelta(days=1), self.user_ar_manager))
        self.assertEqual(activity.summary, "Escalation: Overdue Industries refused to pay")

    def test_no_collector_assigns_the_caller(self):
        self.other_customer.with_company(self.company).ar_collector_id = False
        self._log_call("voicemail", action=self.other_customer.with_user(self.user_collector).action_ar_log_call())
        activity = self._activities(self.other_customer)
        self.assertEqual((activity.user_id, activity.date_deadline), (self.user_collector, self.today + timedelta(days=2)))

    def test_from_invoice_and_worklist(self):
        """From an invoice: its customer, the overdue invoices and this one. From the worklist: the row's."""
        action = self.inv_not_due.with_user(self.user_collector).action_ar_log_call()
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)
        with Form(self.env["ar.call.outcome"].with_context(**action["context"])) as wizard_form:
            wizard_form.outcome = "disputed"
        wizard = wizard_form.record
        self.assertEqual(wizard.invoice_ids, self.inv_overdue | self.inv_partial | self.inv_not_due)
        self.assertEqual(wizard.overdue_amount, 1650.0)
        row = self.env["ar.worklist"].with_user(self.user_collector).search([("partner_id", "=", self.customer.id)])
        action = row.action_log_call()
        self.assertEqual(action["context"]["default_company_id"], self.company.id)
        self._log_call("reached", action=action)
        row.invalidate_recordset()
        self.assertEqual(row.next_activity_summary, "Follow-up call")
        self.assertEqual(row.next_activity_date, self.today + timedelta(days=7))
