from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import ArCollectionsCommon

AS_OF = date(2025, 6, 30)


class ArAnalyticsMixin:
    """Invoices and credit notes with chosen dates, for the analytics tests. Every
    date is in 2025, before anything ``ArCollectionsCommon`` creates (around today),
    so as-of figures in 2025 only see what the test made."""

    @classmethod
    def _ana_move(cls, partner, amount, invoice_date, date_due=None, move_type="out_invoice", company=None):
        company = company or cls.company
        move = cls.env["account.move"].with_company(company).create({
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "invoice_date_due": date_due or invoice_date,
            "invoice_line_ids": [Command.create({
                "name": "Consulting services",
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": [Command.clear()],
            })],
        })
        move.action_post()
        return move

    def _aging(self, as_of, companies=None, domain=()):
        """{(partner id, bucket): open amount} of the aging as of ``as_of``."""
        report = self.env["ar.aging.report"].with_context(
            ar_aging_date=str(as_of), allowed_company_ids=(companies or self.company).ids)
        return {
            (partner.id, bucket): amount
            for partner, bucket, amount in report._read_group(
                list(domain), ["partner_id", "aging_bucket"], ["amount_residual:sum"])
        }


@tagged("post_install", "-at_install")
class TestAnalyticsAging(ArAnalyticsMixin, ArCollectionsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha = cls.env["res.partner"].create({"name": "Aging Alpha", "is_company": True})
        cls.beta = cls.env["res.partner"].create({"name": "Aging Beta", "is_company": True})
        # Days past due on 30 June 2025 in the comments.
        cls.inv_a = cls._ana_move(cls.alpha, 1000.0, date(2025, 1, 15), date(2025, 3, 17))   # 105 days
        cls._ar_pay(cls.inv_a, 400.0, date=date(2025, 4, 10))                                # 600 left
        cls.inv_b = cls._ana_move(cls.alpha, 250.0, date(2025, 3, 2), date(2025, 4, 1))      # 90 days
        cls.inv_c = cls._ana_move(cls.alpha, 300.0, date(2025, 4, 1), date(2025, 5, 1))      # 60 days
        cls.inv_d = cls._ana_move(cls.alpha, 1500.0, date(2025, 5, 20), date(2025, 5, 31))   # 30 days
        cls._ar_pay(cls.inv_d, 500.0, date=date(2025, 7, 5))                                 # after the date
        cls.inv_e = cls._ana_move(cls.alpha, 900.0, date(2025, 6, 20), date(2025, 6, 30))    # 0: due that day
        cls.inv_f = cls._ana_move(cls.alpha, 200.0, date(2025, 6, 10), date(2025, 7, 10))
        cls._ar_pay(cls.inv_f, 200.0, date=date(2025, 6, 15))                                # paid before
        cls.refund = cls._ana_move(cls.alpha, 100.0, date(2025, 6, 25), move_type="out_refund")  # 5 days
        cls.inv_late = cls._ana_move(cls.alpha, 800.0, date(2025, 7, 2), date(2025, 8, 1))   # after the date
        cls.env["account.move"].create({                                                     # never posted
            "move_type": "out_invoice",
            "partner_id": cls.alpha.id,
            "invoice_date": date(2025, 6, 1),
            "invoice_line_ids": [Command.create({"name": "Draft", "quantity": 1, "price_unit": 5000.0})],
        })
        cls.inv_beta = cls._ana_move(cls.beta, 700.0, date(2025, 5, 15), date(2025, 6, 14))  # 16 days

    def test_buckets_by_customer(self):
        """Hand-computed aging of 30 June 2025:
        not due 900 (inv_e, due that very day); 1-30: inv_d 1500 (30 days, the payment of
        5 July not deducted) - credit note 100 (5 days) = 1400; 31-60: inv_c 300 (60 days);
        61-90: inv_b 250 (90 days); 90+: inv_a 1000 - 400 = 600 (105 days).
        inv_f (paid on 15 June), the July invoice and the draft are not there."""
        aging = self._aging(AS_OF)
        alpha, beta = self.alpha.id, self.beta.id
        self.assertEqual({key: amount for key, amount in aging.items() if key[0] in (alpha, beta)}, {
            (alpha, "not_due"): 900.0,
            (alpha, "1_30"): 1400.0,
            (alpha, "31_60"): 300.0,
            (alpha, "61_90"): 250.0,
            (alpha, "90_plus"): 600.0,
            (beta, "1_30"): 700.0,
        })
        report = self.env["ar.aging.report"].with_context(
            ar_aging_date="2025-06-30", allowed_company_ids=self.company.ids)
        [[open_, not_due, b1, b2, b3, b4, overdue]] = report._read_group(
            [("partner_id", "=", alpha)], [],
            ["amount_residual:sum", "amount_not_due:sum", "amount_1_30:sum", "amount_31_60:sum",
             "amount_61_90:sum", "amount_90_plus:sum", "amount_overdue:sum"])
        self.assertEqual((open_, not_due, b1, b2, b3, b4, overdue), (3450.0, 900.0, 1400.0, 300.0, 250.0, 600.0, 2550.0))

    def test_rows_per_invoice(self):
        report = self.env["ar.aging.report"].with_context(
            ar_aging_date="2025-06-30", allowed_company_ids=self.company.ids)
        rows = report.search([("partner_id", "=", self.alpha.id)])
        by_move = {row.move_id: (row.days_overdue, row.aging_bucket, row.amount_residual) for row in rows}
        self.assertEqual(by_move, {
            self.inv_a: (105, "90_plus", 600.0),
            self.inv_b: (90, "61_90", 250.0),
            self.inv_c: (60, "31_60", 300.0),
            self.inv_d: (30, "1_30", 1500.0),
            self.inv_e: (0, "not_due", 900.0),
            self.refund: (5, "1_30", -100.0),
        })
        self.assertEqual(set(rows.mapped("as_of_date")), {AS_OF})
        self.assertEqual(rows.currency_id, self.company.currency_id)
        self.assertEqual(rows.filtered(lambda row: row.move_id == self.inv_a).amount_90_plus, 600.0)
        self.assertEqual(rows.filtered(lambda row: row.move_id == self.inv_a).amount_1_30, 0.0)

    def test_past_date_ignores_later_payments_and_invoices(self):
        """5 April 2025: inv_a still 1000 (the 400 came on 10 April), 19 days late;
        inv_b 250, 4 days late; inv_c (dated 1 April) not due; nothing else existed."""
        alpha = self.alpha.id
        self.assertEqual({key: amount for key, amount in self._aging(date(2025, 4, 5)).items() if key[0] == alpha}, {
            (alpha, "1_30"): 1250.0,
            (alpha, "not_due"): 300.0,
        })
        # 6 July: the 500 paid on 5 July now counts (inv_d 1000, 36 days), the July invoice
        # is there (800, not due); inv_a 600 (111 days), inv_b 250 (96), inv_c 300 (66),
        # inv_e 900 (6) and the credit note -100 (11).
        self.assertEqual({key: amount for key, amount in self._aging(date(2025, 7, 6)).items() if key[0] == alpha}, {
            (alpha, "not_due"): 800.0,
            (alpha, "1_30"): 800.0,
            (alpha, "31_60"): 1000.0,
            (alpha, "61_90"): 300.0,
            (alpha, "90_plus"): 850.0,
        })

    def test_today_matches_open_amounts(self):
        """Without a date the aging is today's: it agrees with the invoices' open amounts."""
        report = self.env["ar.aging.report"].with_context(allowed_company_ids=self.company.ids)
        rows = report.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            {row.move_id: row.amount_residual for row in rows},
            {self.inv_overdue: 1000.0, self.inv_partial: 350.0, self.inv_not_due: 300.0},
        )
        self.assertEqual(set(rows.mapped("days_overdue")), {20, 5, -10})
        self.assertEqual(sum(rows.mapped("amount_overdue")), self.customer.with_company(self.company).ar_overdue_amount)

    def test_company_isolation(self):
        company_b = self.setup_other_company()["company"]
        inv_b = self._ana_move(self.alpha, 480.0, date(2025, 6, 1), date(2025, 6, 10), company=company_b)
        alpha = self.alpha.id
        only_a = self._aging(AS_OF, self.company)
        self.assertEqual(sum(amount for (partner, _b), amount in only_a.items() if partner == alpha), 3450.0)
        self.assertEqual(self._aging(AS_OF, company_b), {(alpha, "1_30"): 480.0})
        both = self.env["ar.aging.report"].with_context(
            ar_aging_date="2025-06-30", allowed_company_ids=(self.company | company_b).ids)
        self.assertEqual(
            dict(both._read_group([("partner_id", "=", alpha)], ["company_id"], ["amount_residual:sum"])),
            {self.company: 3450.0, company_b: 480.0},
        )
        self.assertIn(inv_b, both.search([]).move_id)
        # a collector of the first company never sees the second company's items
        collector_rows = self.env["ar.aging.report"].with_user(self.user_collector).with_context(
            ar_aging_date="2025-06-30").search([("partner_id", "=", alpha)])
        self.assertEqual(len(collector_rows), 6)
        self.assertEqual(collector_rows.company_id, self.company)

    def test_pivot_names_customers_at_once(self):
        """The pivot's rows (one per customer) carry the names res.partner gives, without computing
        them partner by partner: only a customer named with its company name goes through
        res.partner's computation; a context changing names (show_email) computes them all."""
        spaced = self.env["res.partner"].create({"name": "  Aging Gamma \n Ltd ", "is_company": True})
        person = self.env["res.partner"].create({"name": "Aging Delta", "company_name": "Delta Works",
                                                 "email": "delta@example.com"})
        self._ana_move(spaced, 50.0, date(2025, 6, 1))
        self._ana_move(person, 70.0, date(2025, 6, 1))
        customers = self.alpha | self.beta | spaced | person
        report = self.env["ar.aging.report"].with_context(
            ar_aging_date="2025-06-30", allowed_company_ids=self.company.ids)
        partner_class = type(self.env["res.partner"])
        compute = partner_class._compute_display_name
        computed = self.env["res.partner"]

        def spy(partners):
            nonlocal computed
            computed |= partners
            return compute(partners)

        names = {}
        for context, expect_computed in (({}, person), ({"show_email": True}, customers)):
            self.env.invalidate_all()
            computed = self.env["res.partner"]
            with patch.object(partner_class, "_compute_display_name", spy):
                rows = report.with_context(**context).read_group(
                    [("partner_id", "in", customers.ids)], ["amount_residual:sum"], ["partner_id"], lazy=False)
            self.assertEqual(computed & customers, expect_computed)
            self.env.invalidate_all()
            self.assertEqual({row["partner_id"] for row in rows},
                             {(partner.id, partner.with_context(**context).display_name) for partner in customers})
            names[bool(context)] = dict(row["partner_id"] for row in rows)
        self.assertEqual(names[False][spaced.id], "Aging Gamma\n Ltd")
        self.assertEqual(names[False][person.id], "Delta Works, Aging Delta")
        self.assertEqual(names[True][person.id], "Delta Works, Aging Delta <delta@example.com>")

    def test_wizard_opens_aging_of_the_date(self):
        wizard = self.env["ar.aging.wizard"].with_user(self.user_collector).create({"date": "2025-04-05"})
        action = wizard.action_open_aging()
        self.assertEqual(action["res_model"], "ar.aging.report")
        self.assertEqual(action["context"]["ar_aging_date"], "2025-04-05")
        self.assertEqual(action["view_mode"].split(",")[0], "pivot")
        report = self.env["ar.aging.report"].with_user(self.user_collector).with_context(**action["context"])
        self.assertEqual(
            report._read_group([("partner_id", "=", self.alpha.id)], [], ["amount_residual:sum"]),
            [(1550.0,)],
        )
        self.assertEqual(self.env["ar.aging.wizard"].create({}).date, self.today)
