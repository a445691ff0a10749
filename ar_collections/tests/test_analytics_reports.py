from datetime import date, datetime

from odoo import Command
from odoo.tests import tagged

from .common import ArCollectionsCommon
from .test_analytics_aging import ArAnalyticsMixin


@tagged("post_install", "-at_install")
class TestAnalyticsReports(ArAnalyticsMixin, ArCollectionsCommon):
    """Collector performance and dunning effectiveness on a small book of 2025 (before
    anything the common set-up makes), for one customer of Colin Collector:

    d1 1000 due 31 March, d2 500 due 9 April.
    5 April: reminder R1 (level A) for d1, sent by email.
    10 April: 600 paid on d1 (5 days after R1).
    20 April: reminder R2 (level B) for d1 (400 open then) and d2 (500).
    25 April: 400 paid on d1 (5 days after R2, 20 after R1).
    2 May: calls by Colin and by Mia.
    1 June: 500 paid on d2 (30 days after the calls, 42 after R2).
    Promises: 400 on d1 for 25 April kept, 500 on d2 for 15 May broken.
    Disputes on d2, resolved: one within its SLA, one breached."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.delta = cls.env["res.partner"].create({"name": "Report Delta", "is_company": True})
        cls.delta.with_company(cls.company).ar_collector_id = cls.user_collector
        cls.d1 = cls._ana_move(cls.delta, 1000.0, date(2025, 3, 1), date(2025, 3, 31))
        cls.d2 = cls._ana_move(cls.delta, 500.0, date(2025, 3, 10), date(2025, 4, 9))
        level_a, level_b = cls.policy.level_ids.sorted("offset_days")[:2]
        cls.level_a, cls.level_b = level_a, level_b
        Message = cls.env["ar.dunning.message"].sudo()
        r1, r2 = Message.create([{
            "partner_id": cls.delta.id, "company_id": cls.company.id, "channel": "email", "level_id": level.id,
            "state": "sent", "dispatch_date": sent,
        } for level, sent in ((level_a, datetime(2025, 4, 5, 9)), (level_b, datetime(2025, 4, 20, 9)))])
        Message.create({  # never sent: not a contact
            "partner_id": cls.delta.id, "company_id": cls.company.id, "channel": "email", "level_id": level_b.id,
            "state": "failed", "dispatch_date": datetime(2025, 5, 30, 9),
        })
        cls.env["ar.dunning.log"].sudo().create([{
            "message_id": message.id, "invoice_id": invoice.id, "partner_id": cls.delta.id,
            "company_id": cls.company.id, "level_id": level.id, "channel": channel, "state": state,
            "date": message.dispatch_date, "currency_id": cls.company.currency_id.id,
        } for message, invoice, level, channel, state in (
            (r1, cls.d1, level_a, "email", "sent"),
            (r1, cls.d1, level_a, "sms", "sent"),  # a second channel of the same level: one reminder
            (r2, cls.d1, level_b, "email", "sent"),
            (r2, cls.d2, level_b, "email", "sent"),
            (r2, cls.d2, level_a, "email", "failed"),
        )])
        call_type = cls.env.ref("mail.mail_activity_data_call")
        for user in (cls.user_collector, cls.user_ar_manager):
            cls.delta.with_company(cls.company).message_post(
                body="Called about the overdue invoices", subtype_xmlid="mail.mt_note",
                mail_activity_type_id=call_type.id, author_id=user.partner_id.id,
            ).sudo().date = datetime(2025, 5, 2, 14)
        cls.kept, cls.broken = cls.env["ar.promise"].create([{
            "partner_id": cls.delta.id, "invoice_ids": [Command.set(invoice.ids)], "amount": amount,
            "promised_date": promised,
        } for invoice, amount, promised in ((cls.d1, 400.0, date(2025, 4, 25)), (cls.d2, 500.0, date(2025, 5, 15)))])
        for stage, breached in (("resolved_rejected", False), ("resolved_credit", True)):
            dispute = cls.env["ar.dispute"].sudo().create({
                "partner_id": cls.delta.id, "invoice_ids": [Command.set(cls.d2.ids)], "date_opened": date(2025, 5, 3),
            })
            dispute.sudo().write({"stage": stage, "sla_breached": breached})
        cls._ar_pay(cls.d1, 600.0, date=date(2025, 4, 10))
        cls._ar_pay(cls.d1, 400.0, date=date(2025, 4, 25))
        cls._ar_pay(cls.d2, 500.0, date=date(2025, 6, 1))
        cls.kept.sudo().write({"state": "kept", "kept_date": date(2025, 4, 25)})
        cls.broken.sudo().write({"state": "broken", "broken_date": date(2025, 5, 19)})

    def test_collector_report(self):
        report = self.env["ar.collector.report"].with_user(self.user_collector)
        domain = [("partner_id", "=", self.delta.id)]
        rows = report._read_group(domain, ["collector_id", "kind"], [
            "promise_count:sum", "promise_kept_count:sum", "promise_kept_rate:avg", "promised_amount:sum",
            "paid_amount:sum", "contact_paid_amount:sum", "dispute_count:sum", "dispute_in_sla_count:sum",
            "dispute_in_sla_rate:avg", "reminder_count:sum", "call_count:sum"])
        # an empty average reads False, as the ORM gives it
        figures = {(collector.login, kind): values for collector, kind, *values in rows}
        self.assertEqual(figures, {
            # two promises due, one kept
            ("ar_collector", "promise"): [2, 1, 50.0, 900.0, 0.0, 0.0, 0, 0, False, 0, 0],
            # 600 five days after R1, 400 five days after R2; the 500 of June came 30 days after a call
            ("ar_collector", "cash"): [0, 0, False, 0.0, 1500.0, 1000.0, 0, 0, False, 0, 0],
            ("ar_collector", "dispute"): [0, 0, False, 0.0, 0.0, 0.0, 2, 1, 50.0, 0, 0],
            # the failed reminder is not counted
            ("ar_collector", "reminder"): [0, 0, False, 0.0, 0.0, 0.0, 0, 0, False, 2, 0],
            # each call is the caller's
            ("ar_collector", "call"): [0, 0, False, 0.0, 0.0, 0.0, 0, 0, False, 0, 1],
            ("ar_manager", "call"): [0, 0, False, 0.0, 0.0, 0.0, 0, 0, False, 0, 1],
        })
        by_month = report._read_group(domain + [("kind", "=", "cash")], ["date:month"],
                                      ["paid_amount:sum", "contact_paid_amount:sum"])
        self.assertEqual([(amount, after_contact) for _month, amount, after_contact in by_month],
                         [(1000.0, 1000.0), (500.0, 0.0)])

    def test_collector_report_stored_cash(self):
        """The reconciliations stored as cash give the rows the live query gives; one made
        after the store is read live."""
        report = self.env["ar.collector.report"]
        domain = [("partner_id", "=", self.delta.id)]
        fields = ["id", "kind", "date", "collector_id", "partner_id", "paid_amount", "contact_paid_amount"]
        live = report.search_read(domain, fields)
        report._ar_store_cash_partials()
        self.env.cr.execute("""SELECT count(*) FROM ar_collector_cash_partial stored
                                 JOIN account_partial_reconcile partial ON partial.id = stored.partial_id
                                WHERE stored.is_cash AND stored.partner_id = %s""", [self.delta.id])
        self.assertEqual(self.env.cr.fetchone()[0], 3)
        self.assertEqual(report.search_read(domain, fields), live)
        d3 = self._ana_move(self.delta, 200.0, date(2025, 6, 1), date(2025, 7, 1))
        self._ar_pay(d3, 200.0, date=date(2025, 7, 2))
        rows = report.search_read(domain + [("kind", "=", "cash"), ("date", "=", date(2025, 7, 2))], fields)
        self.assertEqual([row["paid_amount"] for row in rows], [200.0])

    def test_dunning_effectiveness(self):
        """R1 on d1: 1000 open, 600 paid 5 days after: 60% within 7 and 14 days.
        R2 on d1: 400 open (600 came before), paid 5 days after: 100%.
        R2 on d2: 500 open, paid 42 days after: 0%. The failed reminder is no row."""
        report = self.env["ar.dunning.effectiveness"].with_user(self.user_collector)
        rows = report.search_read([("partner_id", "=", self.delta.id)], [
            "invoice_id", "level_id", "date", "reminded_amount", "paid_7_amount", "paid_14_amount",
            "paid_7_rate", "paid_14_rate"])
        figures = {
            (row["invoice_id"][0], row["level_id"][0], row["date"]): (
                row["reminded_amount"], row["paid_7_amount"], row["paid_14_amount"], row["paid_7_rate"],
                row["paid_14_rate"])
            for row in rows
        }
        self.assertEqual(figures, {
            (self.d1.id, self.level_a.id, date(2025, 4, 5)): (1000.0, 600.0, 600.0, 60.0, 60.0),
            (self.d1.id, self.level_b.id, date(2025, 4, 20)): (400.0, 400.0, 400.0, 100.0, 100.0),
            (self.d2.id, self.level_b.id, date(2025, 4, 20)): (500.0, 0.0, 0.0, 0.0, 0.0),
        })
        by_level = dict(report._read_group([("partner_id", "=", self.delta.id)], ["level_id"],
                                           ["paid_14_amount:sum"]))
        self.assertEqual(by_level, {self.level_a: 600.0, self.level_b: 400.0})
