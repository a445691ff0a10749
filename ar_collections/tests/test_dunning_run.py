from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestDunningRun(ArCollectionsCommon):

    def test_levels_reached_and_grouping(self):
        """One reminder per customer and channel, at the highest level reached."""
        self.policy.jump_to_reached = True  # first reminders at the level reached (go-live option)
        run = self._ar_run()
        self.assertEqual(run.state, "done")
        email = self._ar_messages(self.customer, "email")
        self.assertEqual(len(email), 1)
        self.assertEqual(email.level_id.offset_days, 14, "the message takes the highest level of its invoices")
        self.assertEqual(email.invoice_ids, self.inv_overdue | self.inv_partial)
        self.assertEqual(self._ar_logs(self.inv_overdue).mapped(lambda log: (log.channel, log.level_offset)),
                         [("email", 14), ("phone", 14)])
        self.assertEqual(self._ar_logs(self.inv_partial).mapped(lambda log: (log.channel, log.level_offset)),
                         [("email", 3)])
        self.assertFalse(self._ar_logs(self.inv_not_due), "due in 10 days: no level reached yet")
        phone = self._ar_messages(self.customer, "phone")
        self.assertEqual(phone.invoice_ids, self.inv_overdue, "the +14 level also asks for a call")
        other = self._ar_messages(self.other_customer)
        self.assertEqual((other.channel, other.level_id.offset_days), ("email", 7))

    def test_each_level_fires_on_its_day(self):
        self.policy.jump_to_reached = True  # each level on its day, also as a first reminder (go-live option)
        expected = {-8: None, -7: -7, -1: -7, 0: 0, 2: 0, 3: 3, 6: 3, 7: 7, 13: 7, 14: 14, 29: 14, 30: 30, 200: 30}
        invoices = {}
        for days in expected:
            partner = self.env["res.partner"].create({"name": f"Customer {days}", "email": f"c{days}@example.com"})
            invoices[days] = self._ar_invoice(partner, 100.0, days_overdue=days)
        self._ar_run()
        for days, offset in expected.items():
            with self.subTest(days_overdue=days):
                logs = self._ar_logs(invoices[days])
                self.assertEqual(set(logs.mapped("level_offset")), {offset} if offset is not None else set())

    def test_missed_levels_jump_to_highest_then_continue(self):
        self.policy.jump_to_reached = True  # missed levels skipped: the go-live option
        self._ar_run()
        self.assertEqual(self._ar_logs(self.inv_overdue).filtered(lambda lvl: lvl.channel == "email").level_offset, 14)
        # ten days later the invoice is 30 days overdue: the final notice, nothing in between
        with freeze_time(self.today + timedelta(days=10)):
            self._ar_run()
        offsets = self._ar_logs(self.inv_overdue).filtered(lambda lvl: lvl.channel == "email").mapped("level_offset")
        self.assertEqual(offsets, [14, 30])

    def test_rerun_same_day_sends_nothing(self):
        first = self._ar_run()
        count = self.env["ar.dunning.message"].sudo().search_count([])
        logs = self.env["ar.dunning.log"].sudo().search_count([])
        second = self._ar_run()
        self.assertNotEqual(first, second)
        self.assertEqual(second.state, "done")
        self.assertEqual(self.env["ar.dunning.message"].sudo().search_count([]), count)
        self.assertEqual(self.env["ar.dunning.log"].sudo().search_count([]), logs)
        # the scheduler does not even start a second run the same day
        self.assertFalse(self.env["ar.dunning.run"]._ar_get_run(self.company, trigger="cron"))

    def test_lower_level_never_sent_after_higher(self):
        self.policy.jump_to_reached = True  # the +14 level sent on the first run (go-live option)
        self._ar_run()
        # the policy changes: a new level at +10 that the invoice (20 days) already passed
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 14).offset_days = 25
        self._ar_run()
        offsets = self._ar_logs(self.inv_overdue).filtered(lambda lvl: lvl.channel == "email").mapped("level_offset")
        self.assertEqual(offsets, [14], "the +7 level (now highest reached) is below what was sent")

    def test_partial_payment_and_credit_note_amounts(self):
        self._ar_credit_note(self.inv_overdue, 400.0)
        self._ar_run()
        self._ar_dispatch()
        logs = self._ar_logs(self.inv_overdue) | self._ar_logs(self.inv_partial)
        self.assertEqual(sorted(set(logs.mapped("amount_residual"))), [350.0, 600.0])
        body = str(self._ar_messages(self.customer, "email").body_html)
        self.assertIn("600.00", body)
        self.assertIn("350.00", body)
        self.assertNotIn("1,000.00", body)

    def test_fully_credited_invoice_not_chased(self):
        self._ar_credit_note(self.inv_other, 700.0)
        self._ar_run()
        self.assertFalse(self._ar_messages(self.other_customer))

    def test_min_amount(self):
        self.policy.jump_to_reached = True  # the other customer gets +7 on the first run (go-live option)
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7).min_amount = 1000.0
        self._ar_run()
        self.assertFalse(self._ar_messages(self.other_customer), "700 is below the level minimum of 1,000")
        self.assertTrue(self._ar_messages(self.customer))

    def test_foreign_currency(self):
        self.policy.jump_to_reached = True  # the invoice gets +7 on the first run (go-live option)
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        customer = self.env["res.partner"].create({"name": "Euro Client", "email": "eu@example.com"})
        invoice = self._ar_invoice(customer, 900.0, days_overdue=8, currency=eur)
        # 900 EUR is 450 in company currency: the +7 minimum of 500 applies to that
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7).min_amount = 500.0
        self._ar_run()
        self.assertFalse(self._ar_logs(invoice))
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7).min_amount = 400.0
        self._ar_run()
        log = self._ar_logs(invoice)
        self.assertEqual((log.amount_residual, log.currency_id), (900.0, eur))
        self._ar_dispatch()
        body = str(self._ar_messages(customer).body_html)
        self.assertIn("900.00", body)
        self.assertIn("€", body)

    def test_pause_reasons(self):
        replier = self.env["res.partner"].create({"name": "Replier", "email": "r@example.com", "is_company": True})
        inv_replier = self._ar_invoice(replier, 100.0, days_overdue=9)
        self.inv_partial.write({"ar_no_chase": True, "ar_no_chase_reason": "Agreed extension"})
        self.other_customer.write({
            "ar_no_chase": True, "ar_no_chase_reason": "Key account",
            "ar_no_chase_until": self.today + timedelta(days=5),
        })
        replier.message_post(body="We paid last week, see attached.", message_type="email", author_id=replier.id)
        self.assertEqual(self.inv_partial.ar_pause_reason, "Excluded from reminders: Agreed extension")
        self.assertEqual(self.inv_other.ar_pause_reason, "Customer excluded from reminders: Key account")
        self.assertTrue(inv_replier.ar_pause_reason.startswith("Customer replied on"))
        self.assertTrue(replier.ar_pause_reason.startswith("Customer replied on"))
        self.assertEqual(self.other_customer.ar_pause_reason, "Excluded from reminders: Key account")
        self._ar_run()
        self.assertEqual(self._ar_messages(self.customer, "email").invoice_ids, self.inv_overdue)
        self.assertFalse(self._ar_messages(self.other_customer))
        self.assertFalse(self._ar_messages(replier))
        # pauses end: the exclusion after its end date, the reply after the pause period
        with freeze_time(self.today + timedelta(days=8)):
            self.inv_other.invalidate_recordset()
            self._ar_run()
            self.assertTrue(self._ar_messages(self.other_customer))
            self.assertTrue(self._ar_messages(replier))

    def test_our_own_reminder_is_not_a_reply(self):
        self._ar_run()
        self._ar_dispatch()
        self.assertFalse(self.inv_overdue.ar_pause_reason)

    def test_paid_between_run_and_dispatch(self):
        self._ar_run()
        self._ar_pay(self.inv_other, 700.0)
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer)
        self.assertEqual(message.state, "cancelled")
        self.assertFalse(message.mail_message_id, "nothing was rendered nor queued")
        self.assertEqual(self._ar_logs(self.inv_other).state_reason, "Paid")

    def test_paid_between_dispatch_and_send_all(self):
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.mail_message_id.id)])
        self.assertEqual(mail.state, "outgoing", "the reminder waits in the mail queue")
        self._ar_pay(self.inv_other, 700.0)
        self._ar_send_mail_queue()
        self.assertFalse([m for m in self._mails if "ap@punctual.example.com" in str(m["email_to"])],
                         "no email left for a paid invoice")
        self.assertEqual(mail.state, "cancel")
        self.assertEqual(message.state, "cancelled")
        self.assertEqual(self._ar_logs(self.inv_other).state, "cancelled")
        self.assertIn("Not sent", str(message.mail_message_id.body), "the chatter says it never left")
        self.assertEqual(set(message.mail_message_id.notification_ids.mapped("notification_status")), {"canceled"})

    def test_paid_between_dispatch_and_send_some(self):
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.customer, "email")
        first_mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.mail_message_id.id)])
        self._ar_pay(self.inv_partial, 350.0)
        self._ar_send_mail_queue()
        self.assertFalse([m for m in self._mails if self.inv_partial.name in m["body"]],
                         "nothing mentioning the paid invoice left")
        self.assertEqual(first_mail.state, "cancel", "the stale reminder never leaves")
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.invoice_ids, self.inv_overdue)
        # rendered again with what is left, then sent
        self._ar_dispatch()
        self.assertIn(self.inv_overdue.name, str(message.body_html))
        self.assertNotIn(self.inv_partial.name, str(message.body_html))
        self._ar_send_mail_queue()
        sent = [m for m in self._mails if "ap@overdue-industries.example.com" in str(m["email_to"])]
        self.assertEqual(len(sent), 1)
        self.assertIn(self.inv_overdue.name, sent[0]["body"])
        self.assertNotIn(self.inv_partial.name, sent[0]["body"])
        self.assertEqual(message.state, "sent")
        self.assertEqual(self._ar_logs(self.inv_overdue).filtered(lambda lvl: lvl.channel == "email").state, "sent")
        self.assertEqual(self._ar_logs(self.inv_partial).state, "cancelled")

    def test_email_goes_through_queue_and_is_logged_sent(self):
        # a follower of the customer must not get a copy of every reminder
        self.other_customer.message_subscribe(partner_ids=self.user_collector.partner_id.ids)
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer)
        self.assertEqual(message.state, "queued")
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.mail_message_id.id)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.other_customer)
        self.assertIn(self.inv_other.name, mail.body_html)
        self.assertIn(f"/my/invoices/{self.inv_other.id}?access_token=", mail.body_html)
        self.assertIn("payment reminder", mail.subject)
        self.assertEqual(message.mail_message_id.model, "res.partner", "the reminder is on the customer's chatter")
        self._ar_send_mail_queue()
        sent = [m for m in self._mails if "ap@punctual.example.com" in str(m["email_to"])]
        self.assertEqual(len(sent), 1, "exactly one email left")
        self.assertIn(self.inv_other.name, sent[0]["body"])
        self.assertEqual(message.state, "sent")
        self.assertEqual(self._ar_logs(self.inv_other).state, "sent")

    def test_mail_failure_is_logged(self):
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.mail_message_id.id)])
        mail._postprocess_sent_message(success_pids=[], failure_reason="SMTP refused", failure_type="mail_smtp")
        self.assertEqual(message.state, "failed")
        # the server could not be reached: the error is kept and another attempt planned
        self.assertRegex(self._ar_logs(self.inv_other).state_reason,
                         r"^Mail server unreachable \(SMTP refused\): next attempt at \d{4}-\d\d-\d\d ")
        self.assertTrue(message.retry_date)

    def test_phone_sms_letter_channels_and_escalation(self):
        self.policy.jump_to_reached = True  # +7 and +14 on the first run (go-live option)
        level = self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7)
        level.write({"channel_ids": [Command.create({"channel": "sms"}), Command.create({"channel": "letter"})]})
        self.other_customer.mobile = "+32470998877"
        self.other_customer.with_company(self.company).ar_collector_id = self.user_collector
        self._ar_run()
        self._ar_dispatch()
        sms_message = self._ar_messages(self.other_customer, "sms")
        sms = self.env["sms.sms"].sudo().search([("mail_message_id", "=", sms_message.mail_message_id.id)])
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(sms.number, "+32470998877")
        self.assertIn("1 invoice(s) open", sms.body)
        self.assertIn("access_token=", sms.body)
        letter = self._ar_messages(self.other_customer, "letter")
        self.assertEqual(letter.state, "sent")
        self.assertTrue(letter.letter_attachment_id.raw)
        self.assertIn(self.inv_other.name, str(letter.body_html))
        # +14 on the other customer's side: a call for the collector and the escalation
        phone = self._ar_messages(self.customer, "phone")
        self.assertEqual(phone.state, "sent")
        self.assertEqual(phone.activity_id.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertIn(self.inv_overdue.name, str(phone.activity_id.note))
        escalation = self.customer.activity_ids.filtered(lambda a: a.summary and a.summary.startswith("Escalation"))
        self.assertEqual(len(escalation), 1)

    def _ar_queued_sms(self):
        """Run and dispatch with SMS on the +7 level: the other customer's SMS reminder and its sms.sms."""
        self.policy.jump_to_reached = True  # the other customer gets +7 on the first run (go-live option)
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7).channel_ids = [
            Command.create({"channel": "sms"})]
        self.other_customer.mobile = "+32470998877"
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer, "sms")
        return message, self.env["sms.sms"].sudo().search([("mail_message_id", "=", message.mail_message_id.id)])

    def test_sms_without_number_fails_clearly(self):
        self.policy.jump_to_reached = True  # the other customer gets +7 on the first run (go-live option)
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7).channel_ids = [
            Command.create({"channel": "sms"})]
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer, "sms")
        self.assertEqual(message.state, "failed")
        self.assertIn("No valid mobile number", message.state_reason)

    def test_sms_paid_before_send_is_cancelled(self):
        message, sms = self._ar_queued_sms()
        self._ar_pay(self.inv_other, 700.0)
        sms.send()
        self.assertEqual(sms.state, "canceled")
        self.assertEqual(message.state, "cancelled")

    def test_final_notice_credit_hold_suggestion(self):
        self.policy.jump_to_reached = True  # the final notice on the first run (go-live option)
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 30).escalation = "credit_hold"
        late = self._ar_invoice(self.other_customer, 50.0, days_overdue=45)
        self._ar_run()
        self.assertTrue(self._ar_logs(late))
        self.assertTrue(self.other_customer.ar_dunning_hold)
        self.assertIn("Final notice", self.other_customer.ar_dunning_hold_reason)

    def test_killed_batch_leaves_nothing_and_resumes(self):
        """A batch that dies halfway writes nothing; the next call redoes it, once."""
        customers = self.env["res.partner"].create([{"name": f"Batch {i}", "email": f"b{i}@example.com"}
                                                    for i in range(5)])
        self._ar_invoices([(customer, 100.0, 4) for customer in customers])
        run = self.env["ar.dunning.run"]._ar_get_run(self.company, trigger="cron", new=True)
        run._ar_process_batch(2)
        cursor = run.cursor_partner_id
        original = type(self.env["ar.dunning.run"])._ar_queue

        def die_after_queueing(self_run, plan):
            original(self_run, plan)
            raise KeyboardInterrupt("killed")

        with patch.object(type(self.env["ar.dunning.run"]), "_ar_queue", die_after_queueing), \
                self.assertRaises(KeyboardInterrupt), self.env.cr.savepoint():
            run._ar_process_batch(2)
        run.invalidate_recordset()
        self.assertEqual(run.cursor_partner_id, cursor, "the killed batch did not move the cursor")
        while run.state == "running":
            run._ar_process_batch(2)
        logs = self.env["ar.dunning.log"].sudo().search([("run_id", "=", run.id)])
        per_key = {}
        for log in logs:
            key = (log.invoice_id.id, log.level_id.id, log.channel)
            per_key[key] = per_key.get(key, 0) + 1
        self.assertTrue(all(count == 1 for count in per_key.values()))
        chased = logs.invoice_id
        for customer in customers:
            self.assertEqual(len(chased.filtered(lambda inv, c=customer: inv.partner_id == c)), 1)
        self.assertEqual(run.partner_done, run.partner_total)

    def test_query_count_does_not_grow_with_invoices(self):
        """Deciding a batch costs the same number of queries for 1 or 4 invoices per customer."""
        self.policy.level_ids.filtered(lambda lvl: lvl.escalation != "none").escalation = "none"
        self.policy.level_ids.channel_ids.filtered(lambda line: line.channel == "phone").unlink()

        def batch_queries(invoices_per_customer, tag):
            customers = self.env["res.partner"].create([
                {"name": f"Q{tag}{index}", "email": f"q{tag}{index}@x.com"} for index in range(6)])
            self._ar_invoices([(customer, 100.0 + inv, 4 + inv * 5)
                               for customer in customers for inv in range(invoices_per_customer)])
            # everything else (the common scenario) is already chased
            run = self.env["ar.dunning.run"]._ar_get_run(self.company, trigger="cron", new=True)
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            run._ar_process_batch(100)
            self.env.flush_all()
            used = self.cr.sql_log_count - start
            self.assertEqual(run.state, "done")
            return used

        self._ar_run()  # chase the common scenario first
        one = batch_queries(1, "a")
        four = batch_queries(4, "b")
        self.assertLessEqual(four, one + 2, f"{one} queries for 6 invoices, {four} for 24")

    def test_run_progress_and_preview(self):
        self.policy.jump_to_reached = True  # +14 (email and call) on the first run (go-live option)
        preview = self.env["ar.dunning.preview"].with_user(self.user_ar_manager).create({})
        self.assertEqual(preview.customer_count, 2)
        self.assertEqual(preview.invoice_count, 3)
        self.assertEqual(preview.message_count, 3)
        self.assertFalse(self.env["ar.dunning.message"].sudo().search_count([]), "a preview sends nothing")
        self.inv_partial.write({"ar_no_chase": True, "ar_no_chase_reason": "On hold"})
        preview = self.env["ar.dunning.preview"].with_user(self.user_ar_manager).create({})
        skipped = preview.line_ids.filtered("skip_reason")
        self.assertEqual(skipped.invoice_id, self.inv_partial)
        action = preview.action_run()
        run = self.env["ar.dunning.run"].browse(action["res_id"])
        self.assertEqual((run.state, run.trigger, run.user_id), ("done", "manual", self.user_ar_manager))
        self.assertEqual(run.progress, 100.0)
        self.assertEqual(run.message_count, 3)
        self.assertEqual(self._ar_logs(self.inv_overdue)[:1].user_id, self.user_ar_manager)

    def test_cron_batches_and_reports_progress(self):
        for i in range(3):
            partner = self.env["res.partner"].create({"name": f"Cron {i}", "email": f"cron{i}@x.com"})
            self._ar_invoice(partner, 10.0, days_overdue=3)
        progress = []
        with patch.object(type(self.env["ir.cron"]), "_notify_progress",
                          lambda self_cron, **kw: progress.append(kw)):
            for _call in range(10):
                self.env["ar.dunning.run"]._cron_dunning_run(batch_size=2)
                if progress and progress[-1]["remaining"] == 0:
                    break
        self.assertEqual([p["done"] for p in progress], [2, 2, 1])
        self.assertEqual(progress[-1]["remaining"], 0)
        self.assertEqual(len(self._ar_messages(self.customer, "email")), 1)
        today_run = self.env["ar.dunning.run"].search([("date", "=", fields.Date.context_today(self.env.user))])
        self.assertEqual(today_run.state, "done")

    def test_attach_invoices(self):
        self.policy.jump_to_reached = True  # the other customer gets +7 on the first run (go-live option)
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 7).attach_invoices = True
        self._ar_run()
        self._ar_dispatch()
        message = self._ar_messages(self.other_customer)
        attachments = message.mail_message_id.attachment_ids
        self.assertEqual(len(attachments), 1)
        self.assertTrue(attachments.raw)
        self.assertIn(self.inv_other.name.replace("/", "_"), attachments.name)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.mail_message_id.id)])
        self.assertEqual(mail.attachment_ids, attachments)

    def test_sms_provider_outcome_is_logged(self):
        message, sms = self._ar_queued_sms()
        self.assertEqual(message.state, "queued")
        sms._update_sms_state_and_trackers("pending")  # what the SMS provider's answer does
        self.assertEqual(message.state, "sent")
        self.assertEqual(self._ar_logs(self.inv_other).filtered(lambda log: log.channel == "sms").state, "sent")

    def test_batch_queries_do_not_grow_with_escalations(self):
        """A batch costs the same queries for 3 or 9 customers escalating to their collector:
        the escalations are one create(), not an activity_schedule() per customer."""
        self.policy.jump_to_reached = True  # +14 (escalating) on the first run (go-live option)
        collector_level = self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 14)
        self.assertEqual(collector_level.escalation, "activity_collector")

        def batch_queries(count):
            customers = self.env["res.partner"].create([{
                "name": f"Escalating {count}-{i}", "is_company": True, "email": f"ap{count}-{i}@esc.example.com",
            } for i in range(count)])
            self._ar_invoices([(customer, 100.0, 20) for customer in customers])
            self.env.flush_all()
            run = self.env["ar.dunning.run"]._ar_get_run(self.company, trigger="cron", new=True)
            before = self.env.cr.sql_log_count
            run._ar_process_batch(1000)
            queries = self.env.cr.sql_log_count - before
            self.assertEqual(run.state, "done")
            escalations = self.env["mail.activity"].search([
                ("res_model", "=", "res.partner"), ("res_id", "in", customers.ids),
                ("summary", "like", "Escalation")])
            self.assertEqual(len(escalations), count)
            # no collector assigned: the company's escalation user gets them
            self.assertEqual(escalations.user_id, self.company._ar_escalation_user())
            return queries

        batch_queries(1)  # warm the caches (the second run still reads a few more things once)
        batch_queries(2)
        three, nine = batch_queries(3), batch_queries(9)
        self.assertLessEqual(nine, three + 2, f"3 customers: {three} queries, 9 customers: {nine}")
