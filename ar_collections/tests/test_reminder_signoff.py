from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReminderSignoff(ArCollectionsCommon):
    """What the accountant who signs the reminders off checks: a statement never shows a credit
    as an amount owed, an invoice due today is not called overdue, a reminder that could not
    leave neither counts as sent nor is lost, review edits are what is sent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("1900-01-01", 0.9)])
        cls.buyer = cls.env["res.partner"].create({
            "name": "Credit Rich Ltd", "is_company": True, "email": "ap@credit-rich.example.com"})
        cls.usd_overdue = cls._ar_invoice(cls.buyer, 1000.0, days_overdue=40)
        cls.eur_overdue = cls._ar_invoice(cls.buyer, 500.0, days_overdue=10, currency=cls.eur)
        cls.usd_due_today = cls._ar_invoice(cls.buyer, 200.0, days_overdue=0)
        # a USD credit note above what is owed in USD, not applied to any invoice
        cls.usd_refund = cls.env["account.move"].create({
            "move_type": "out_refund", "partner_id": cls.buyer.id, "invoice_date": cls.today,
            "invoice_line_ids": [Command.create({"name": "Returned goods", "quantity": 1, "price_unit": 1500.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        cls.usd_refund.action_post()
        cls.invoices = cls.usd_overdue | cls.eur_overdue | cls.usd_due_today
        cls.final = cls.policy.level_ids.sorted("offset_days")[-1]

    def _statement(self, level=None):
        partner = self.buyer.with_context(ar_level_id=(level or self.final).id)
        return lxml_html.fromstring(str(partner._ar_dunning_table(self.invoices.ids)))

    @staticmethod
    def _texts(tree, xpath):
        return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]

    def test_credit_above_what_is_owed_is_not_a_balance_due(self):
        statement = self.buyer._ar_dunning_statement(self.invoices)
        totals = {total["currency"].name: total for total in statement["totals"]}
        self.assertEqual((totals["USD"]["overdue"], totals["USD"]["not_due"], totals["USD"]["credit"]),
                         (1000.0, 200.0, 1500.0))
        self.assertEqual(totals["USD"]["balance"], -300.0)
        self.assertEqual(totals["EUR"]["balance"], 500.0, "never netted across currencies")
        tree = self._statement()
        balances = self._texts(tree, "//tr[hasclass('o_ar_statement_balance')]")
        self.assertEqual(len(balances), 1, balances)
        self.assertIn("Balance EUR", balances[0])
        self.assertIn("500.00", balances[0])
        in_favour = self._texts(tree, "//tr[hasclass('o_ar_statement_in_favour')]")
        self.assertEqual(len(in_favour), 1, in_favour)
        self.assertIn("In your favour USD", in_favour[0])
        self.assertIn("300.00", in_favour[0])
        self.assertNotIn("-", in_favour[0], "a credit is shown as such, never as a negative amount owed")
        how_to_pay = " ".join(self._texts(tree, "//div[@name='ar_how_to_pay']"))
        self.assertNotIn("USD", how_to_pay, "nothing to transfer in USD")

    def test_invoice_due_today_is_not_overdue_in_a_final_notice(self):
        tree = self._statement()
        overdue = " ".join(self._texts(tree, "//table[@name='ar_invoices_overdue']//tr"))
        not_due = " ".join(self._texts(tree, "//table[@name='ar_invoices_not_due']//tr"))
        self.assertNotIn(self.usd_due_today.name, overdue)
        self.assertIn(self.usd_due_today.name, not_due)
        subtotals = self._texts(tree, "//tr[hasclass('o_ar_statement_subtotal')]")
        self.assertTrue(any("Total overdue USD" in row and "1,000.00" in row for row in subtotals), subtotals)
        self.assertTrue(any("Total not yet due USD" in row and "200.00" in row for row in subtotals), subtotals)

    def _customer_emails(self, run):
        return run.message_ids.filtered(lambda msg: msg.partner_id == self.customer and msg.channel == "email")

    def test_no_sender_address_shows_in_the_run_and_the_level_waits(self):
        self.company.email = False
        run = self._ar_run()
        self._ar_dispatch()
        message = self._customer_emails(run)
        self.assertEqual(message.state, "failed")
        self.assertIn("has no sender email address", message.state_reason)
        self.assertGreaterEqual(run.failed_count, 1, "the run says why nothing left")
        self.assertFalse(self.env["mail.mail"].sudo().search([("model", "=", "res.partner"),
                                                              ("res_id", "=", self.customer.id)]))
        self.assertFalse(self.inv_overdue.ar_last_level_id, "the customer received no level")
        # a week later, the customer is not sent the second reminder of a first one it never got
        with freeze_time(self.today + timedelta(days=7)):
            later = self._ar_run()
        self.assertFalse(later.log_ids.filtered(lambda log: log.invoice_id in self.inv_overdue | self.inv_partial),
                         "nothing above a reminder that failed")
        self.assertEqual(self.customer.ar_followup_status, "needs_action")
        self.assertIn("has no sender email address", self.customer.ar_followup_reason)
        # the company's address set, the failed reminders are sent again, as they were
        self.company.email = "billing@company-one.example.com"
        run.with_user(self.user_collector).action_retry_failed()
        self.assertEqual(message.state, "queued")
        self._ar_dispatch()
        self.assertEqual(message.state, "queued", "in the mail queue")
        self.assertTrue(message.mail_message_id)
        self.assertEqual(run.failed_count, 0)
        self.assertEqual(set(self._ar_logs(self.inv_overdue).mapped("level_offset")), {3})
        self.assertEqual(self.inv_overdue.ar_last_level_id.offset_days, 3)
        with self.assertRaisesRegex(UserError, "waiting to be sent again"):
            run.with_user(self.user_collector).action_retry_failed()

    def test_review_excluded_line_keeps_its_level_and_changed_level_is_sent(self):
        Run = self.env["ar.dunning.run"].with_user(self.user_collector)
        run = Run._ar_start_review(self.company)
        line_other = run.line_ids.filtered(lambda line: line.invoice_id == self.inv_other)
        line_overdue = run.line_ids.filtered(lambda line: line.invoice_id == self.inv_overdue)
        proposed = line_other.level_id
        run.write({"line_ids": [Command.update(line_other.id, {"excluded": True}),
                                Command.update(line_overdue.id, {"level_id": self.final.id})]})
        run.action_send()
        self._ar_dispatch()
        self.assertFalse(self.inv_other.ar_last_level_id, "excluded: not reminded")
        email = self._customer_emails(run)
        self.assertEqual(email.level_id, self.final)
        self.assertIn("This is our final notice", email.body_html, "the text of the level chosen")
        # a week later the excluded invoice is proposed at the level it had, not one above
        with freeze_time(self.today + timedelta(days=7)):
            again = Run._ar_start_review(self.company)
        self.assertEqual(again.line_ids.filtered(lambda line: line.invoice_id == self.inv_other).level_id, proposed)

    def test_no_hold_announced_that_nobody_puts(self):
        """Without Credit Control nothing blocks orders or deliveries: a level set to announce a
        hold does not tell the customer deliveries are suspended (with it, see
        ar_collections_credit's test_level_announcing_a_hold_puts_it_when_sent)."""
        self.final.announces_hold = True
        template = self.final.mail_template_id.with_context(ar_invoice_ids=self.invoices.ids, ar_announces_hold=True)
        with patch.object(type(self.env["res.partner"]), "_ar_dunning_puts_hold", return_value=False):
            body = str(template._render_field("body_html", self.buyer.ids)[self.buyer.id])
        self.assertNotIn("suspend", body)
        self.assertNotIn("credit hold", body)
        self.assertEqual(self.env["res.partner"]._ar_dunning_puts_hold(),
                         self.env["ir.module.module"]._get("ar_collections_credit").state == "installed")

    def test_invoices_settled_by_unapplied_credits_are_not_chased(self):
        reasons = self.invoices._ar_get_pause_reasons()
        self.assertEqual(set(reasons), {self.usd_overdue.id, self.usd_due_today.id}, "the credit note settles both")
        self.assertIn("Settled by credits not yet applied", reasons[self.usd_overdue.id])
        self.assertIn("1,500.00", reasons[self.usd_overdue.id])
        # applied to the oldest first: the older invoice is settled, the newer one still owes 400
        partner = self.env["res.partner"].create({"name": "Part Credit Ltd", "email": "ap@part-credit.example.com"})
        older = self._ar_invoice(partner, 300.0, days_overdue=30)
        newer = self._ar_invoice(partner, 500.0, days_overdue=10)
        self._ar_credit_note(self._ar_invoice(partner, 400.0, days_overdue=-30), 400.0)  # reconciled: no credit left
        self.assertFalse((older | newer)._ar_get_pause_reasons())
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id, "amount": 400.0,
            "date": self.today})
        payment.action_post()
        self.assertEqual(set((older | newer)._ar_get_pause_reasons()), {older.id})
        run = self._ar_run()
        chased = run.log_ids.filtered(lambda log: log.partner_id in self.buyer | partner).invoice_id
        self.assertEqual(chased, self.eur_overdue | newer, "only what the credits do not settle")
        # another payment not applied: everything is settled, the customer is paused and told why
        self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id, "amount": 400.0,
            "date": self.today}).action_post()
        self.assertEqual(partner.ar_followup_status, "paused")
        self.assertIn("Settled by credits not yet applied", partner.ar_followup_reason)

    def test_review_run_warns_before_sending_without_sender(self):
        self.company.email = False
        run = self.env["ar.dunning.run"].with_user(self.user_collector)._ar_start_review(self.company)
        self.assertIn("has no email address", run.sender_warning)
        self.assertIn("First reminder", run.sender_warning)
        self.policy.level_ids.mail_template_id.email_from = "Collections <ar@company-one.example.com>"
        run.invalidate_recordset(["sender_warning"])
        self.assertFalse(run.sender_warning, "a fixed sender on the templates is enough")
        self.policy.level_ids.mail_template_id.email_from = "{{ object.company_id.email_formatted }}"
        self.company.email = "billing@company-one.example.com"
        run.invalidate_recordset(["sender_warning"])
        self.assertFalse(run.sender_warning)
        run.action_send()
        self.assertFalse(run.sender_warning, "a run done warns no more")
