from datetime import timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestWorklist(ArCollectionsCommon):
    """The worklist ranks customers by expected loss = overdue × late-payment probability,
    probability = (paid late + 0.6) / (paid + 2) over the invoices paid in the last 365 days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha, cls.beta, cls.gamma = cls.env["res.partner"].create([
            {"name": "Alpha Late Payers", "is_company": True},
            {"name": "Beta Punctual Big", "is_company": True},
            {"name": "Gamma Newcomer", "is_company": True},
        ])
        # Alpha: 2 invoices paid 30 days late, 0 on time -> (2 + 0.6) / (2 + 2) = 0.65
        for _i in range(2):
            cls._ar_pay(cls._ar_invoice(cls.alpha, 100.0, days_overdue=40), 100.0, date=cls.today - timedelta(days=10))
        cls.alpha_overdue = cls._ar_invoice(cls.alpha, 1000.0, days_overdue=20)
        # Beta: 4 invoices paid 10 days before their due date -> 0.6 / (4 + 2) = 0.1
        for _i in range(4):
            cls._ar_pay(cls._ar_invoice(cls.beta, 200.0, days_overdue=10), 200.0, date=cls.today - timedelta(days=20))
        cls.beta_overdue = cls._ar_invoice(cls.beta, 3000.0, days_overdue=70)
        # Gamma: one invoice paid late, but 380 days ago: outside the window -> prior 0.6 / 2 = 0.3
        cls._ar_pay(cls._ar_invoice(cls.gamma, 100.0, days_overdue=400), 100.0, date=cls.today - timedelta(days=380))
        cls.gamma_overdue = cls._ar_invoice(cls.gamma, 1500.0, days_overdue=10)

    def _rows(self, domain=(), env=None):
        return (env or self.env)["ar.worklist"].search([("company_id", "=", self.company.id), *domain])

    def _row(self, partner, env=None):
        return self._rows([("partner_id", "=", partner.id)], env=env)

    def _filter_domain(self, name, user=None):
        """The domain of the search view's filter ``name``, evaluated as the web client does for ``user``."""
        arch = self.env["ar.worklist"].get_views([(False, "search")])["views"]["search"]["arch"]
        node = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")[0]
        return safe_eval(node.get("domain"), {
            "uid": (user or self.env.user).id,
            "context_today": lambda: fields.Date.context_today(self.env.user),
            "relativedelta": relativedelta,
        })

    def test_ranking_by_expected_loss(self):
        rows = self._rows([("partner_id", "in", (self.alpha | self.beta | self.gamma).ids)])
        self.assertEqual(rows.partner_id, self.alpha | self.gamma | self.beta)
        self.assertEqual(rows.mapped("partner_id.name"), ["Alpha Late Payers", "Gamma Newcomer", "Beta Punctual Big"])
        expected = {
            # partner: (overdue, paid, late, probability, expected loss, days overdue, band)
            self.alpha: (1000.0, 2, 2, 0.65, 650.0, 20, "high"),
            self.gamma: (1500.0, 0, 0, 0.3, 450.0, 10, "medium"),
            self.beta: (3000.0, 4, 0, 0.1, 300.0, 70, "low"),
        }
        for row in rows:
            overdue, paid, late, probability, loss, days, band = expected[row.partner_id]
            self.assertAlmostEqual(row.overdue_amount, overdue)
            self.assertEqual((row.paid_count, row.late_count), (paid, late))
            self.assertAlmostEqual(row.late_probability, probability)
            self.assertAlmostEqual(row.expected_loss, loss)
            self.assertEqual(row.oldest_days_overdue, days)
            self.assertEqual(row.risk_band, band)
            self.assertEqual(row.currency_id, self.company.currency_id)

    def test_whole_company_ranking(self):
        """The shared customers rank among them: Overdue Industries has 1000 + 350 overdue (the
        invoice not yet due does not count) and no paid invoice: 1350 × 0.3 = 405; Punctual
        Partners 700 × 0.3 = 210. A customer with nothing overdue has no row."""
        nothing_due = self.env["res.partner"].create({"name": "Not Due Yet", "is_company": True})
        self._ar_invoice(nothing_due, 5000.0, days_overdue=-5)
        rows = self._rows()
        self.assertEqual(rows.partner_id.ids,
                         [self.alpha.id, self.gamma.id, self.customer.id, self.beta.id, self.other_customer.id])
        self.assertEqual(rows.mapped("expected_loss"), [650.0, 450.0, 405.0, 300.0, 210.0])
        self.assertEqual(self._row(self.customer).oldest_days_overdue, 20)

    def test_payment_leaves_worklist_and_reranks(self):
        self._ar_pay(self.alpha_overdue, 1000.0)
        self.assertFalse(self._row(self.alpha))
        self._ar_pay(self.beta_overdue, 2000.0)
        # Beta 1000 overdue × 0.1 = 100 now ranks after Punctual Partners (210)
        self.assertAlmostEqual(self._row(self.beta).expected_loss, 100.0)
        self.assertEqual(self._rows().partner_id.ids, [self.gamma.id, self.customer.id, self.other_customer.id,
                                                        self.beta.id])

    def test_filters_mine_and_unassigned(self):
        self.alpha.with_company(self.company).ar_collector_id = self.user_collector
        self.gamma.with_company(self.company).ar_collector_id = self.user_ar_manager
        collector_env = self.env(user=self.user_collector)
        mine = collector_env["ar.worklist"].search(self._filter_domain("mine", self.user_collector))
        self.assertEqual(mine.partner_id, self.alpha)
        self.assertEqual(mine.collector_id, self.user_collector)
        unassigned = self._rows(self._filter_domain("unassigned"))
        self.assertEqual(unassigned.partner_id, self.beta | self.customer | self.other_customer)
        by_collector = dict(self.env["ar.worklist"]._read_group(
            [("company_id", "=", self.company.id)], ["collector_id"], ["__count"]))
        self.assertEqual(by_collector, {self.user_collector: 1, self.user_ar_manager: 1, self.env["res.users"]: 3})

    def test_filters_promise_and_dispute(self):
        promise_date = self.today + timedelta(days=5)
        gamma_second = self._ar_invoice(self.gamma, 300.0, days_overdue=4)  # one open promise per invoice
        self.env["ar.promise"].sudo().create([  # sudo: one is history, cancelled
            {"partner_id": self.gamma.id, "invoice_ids": [Command.set(self.gamma_overdue.ids)],
             "amount": 500.0, "promised_date": promise_date},
            {"partner_id": self.gamma.id, "invoice_ids": [Command.set(gamma_second.ids)],
             "amount": 250.0, "promised_date": promise_date + timedelta(days=7)},
            # a cancelled promise is no promise
            {"partner_id": self.alpha.id, "invoice_ids": [Command.set(self.alpha_overdue.ids)],
             "amount": 900.0, "promised_date": promise_date, "state": "cancelled"},
        ])
        dispute = self.env["ar.dispute"].create({
            "partner_id": self.beta.id, "invoice_ids": [Command.set(self.beta_overdue.ids)], "reason": "pricing",
        })
        self.env["ar.dispute"].sudo().create({  # resolved: not counted
            "partner_id": self.alpha.id, "invoice_ids": [Command.set(self.alpha_overdue.ids)],
            "stage": "resolved_rejected",
        })
        with_promise = self._rows(self._filter_domain("open_promise"))
        self.assertEqual(with_promise.partner_id, self.gamma)
        self.assertEqual((with_promise.promise_amount, with_promise.promise_date), (750.0, promise_date))
        with_dispute = self._rows(self._filter_domain("open_dispute"))
        self.assertEqual(with_dispute.partner_id, self.beta)
        self.assertEqual((with_dispute.dispute_count, with_dispute.dispute_amount), (1, 3000.0))
        dispute.action_resolve_credit()
        self.assertFalse(self._rows(self._filter_domain("open_dispute")))

    def test_filters_contact_and_age(self):
        self.assertEqual(self._rows(self._filter_domain("overdue_60")).partner_id, self.beta)
        self.assertEqual(len(self._rows(self._filter_domain("no_recent_contact"))), 5)
        self.env["ar.call.outcome"].create({
            "partner_id": self.alpha.id, "company_id": self.company.id, "outcome": "reached",
        }).action_confirm()
        alpha = self._row(self.alpha)
        self.assertTrue(alpha.last_contact_date)
        self.assertGreaterEqual(alpha.last_contact_date, fields.Datetime.now() - timedelta(minutes=5))
        self.assertEqual(alpha.next_activity_date, self.today + timedelta(days=7))
        self.assertEqual(alpha.next_activity_summary, "Follow-up call")
        stale = self._rows(self._filter_domain("no_recent_contact"))
        self.assertEqual(stale.partner_id, self.gamma | self.customer | self.beta | self.other_customer)

    def test_last_contact_from_reminders(self):
        """A reminder sent counts as contact; the call activity it creates does not."""
        self.policy.jump_to_reached = True  # +14 (with its call) on the first run (go-live option)
        self._ar_run()
        self._ar_dispatch()
        self._ar_send_mail_queue()
        sent = self.env["ar.dunning.message"].sudo().search([
            ("partner_id", "=", self.customer.id), ("state", "=", "sent"), ("channel", "=", "email")])
        self.assertTrue(sent)
        row = self._row(self.customer)
        self.assertEqual(row.last_contact_date, max(sent.mapped("dispatch_date")))
        # the firm reminder (14 days) asks for a call: it is the next action
        self.assertEqual(row.next_activity_date, self.today)

    def test_multi_company_isolation(self):
        company_b = self.setup_other_company(name="Worklist Company B")["company"]
        self._ar_invoice(self.alpha, 400.0, days_overdue=30, company=company_b)
        self.alpha.with_company(self.company).ar_collector_id = self.user_collector
        both = self.env["ar.worklist"].with_context(
            allowed_company_ids=[self.company.id, company_b.id]).search([("partner_id", "=", self.alpha.id)])
        self.assertEqual(both.company_id, self.company | company_b)
        row_b = both.filtered(lambda row: row.company_id == company_b)
        # history is per company: none in B -> 0.3; 400 × 0.3 = 120; the collector is company A's only
        self.assertEqual((row_b.overdue_amount, row_b.late_probability, row_b.expected_loss), (400.0, 0.3, 120.0))
        self.assertFalse(row_b.collector_id)
        self.assertEqual(both.filtered(lambda row: row.company_id == self.company).collector_id, self.user_collector)
        only_a = self.env["ar.worklist"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual(only_a.company_id, self.company)
        collector_rows = self.env["ar.worklist"].with_user(self.user_collector).search([])
        self.assertNotIn(company_b, collector_rows.company_id)
        self.assertIn(self.alpha, collector_rows.partner_id)
        with self.assertRaises(AccessError):
            row_b.with_user(self.user_collector).read(["expected_loss"])

    def test_assign_collector_wizard(self):
        rows = self._rows([("partner_id", "in", (self.beta | self.gamma).ids)])
        manager_env = self.env(user=self.user_ar_manager)
        wizard_form = Form(manager_env["ar.assign.collector"].with_context(
            active_model="ar.worklist", active_ids=rows.ids))
        wizard_form.user_id = self.user_collector
        wizard = wizard_form.save()
        self.assertEqual(wizard.line_ids.partner_id, self.beta | self.gamma)
        self.assertEqual(wizard.line_ids.company_id, self.company)
        wizard.action_assign()
        self.assertEqual(self.beta.with_company(self.company).ar_collector_id, self.user_collector)
        self.assertEqual(self.gamma.with_company(self.company).ar_collector_id, self.user_collector)
        self.assertFalse(self.alpha.with_company(self.company).ar_collector_id)
        self.assertEqual(self._rows(self._filter_domain("unassigned")).partner_id,
                         self.alpha | self.customer | self.other_customer)
        # from the customers list: the current company
        partner_wizard = Form(manager_env["ar.assign.collector"].with_context(
            active_model="res.partner", active_ids=self.customer_contact.ids))
        partner_wizard.user_id = self.user_ar_manager
        partner_wizard.save().action_assign()
        self.assertEqual(self.customer.with_company(self.company).ar_collector_id, self.user_ar_manager)

    def test_assign_collector_checks(self):
        company_b = self.setup_other_company(name="Worklist Company B")["company"]
        self._ar_invoice(self.alpha, 400.0, days_overdue=30, company=company_b)
        row_b = self.env["ar.worklist"].with_context(allowed_company_ids=company_b.ids).search([])
        wizard = self.env["ar.assign.collector"].with_context(
            active_model="ar.worklist", active_ids=row_b.ids).create({"user_id": self.user_collector.id})
        with self.assertRaisesRegex(UserError, "cannot work in Worklist Company B"):
            wizard.action_assign()
        self.assertFalse(self.alpha.with_company(company_b).ar_collector_id)
        with self.assertRaises(AccessError):
            self.env["ar.assign.collector"].with_user(self.user_collector).create({"user_id": self.user_collector.id})
        collector_b = new_test_user(self.env, "ar_worklist_b", groups="base.group_user",
                                    company_id=company_b.id, company_ids=[Command.set(company_b.ids)])
        wizard.user_id = collector_b
        wizard.action_assign()
        self.assertEqual(self.alpha.with_company(company_b).ar_collector_id, collector_b)
        self.assertFalse(self.alpha.with_company(self.company).ar_collector_id)
