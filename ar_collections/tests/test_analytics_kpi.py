from datetime import date, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.ar_collections.models.ar_customer_kpi import (
    collection_effectiveness,
    dso_countback,
    period_ends,
)

from .common import ArCollectionsCommon
from .test_analytics_aging import ArAnalyticsMixin

AS_OF = date(2025, 6, 30)


@tagged("post_install", "-at_install")
class TestAnalyticsKpi(ArAnalyticsMixin, ArCollectionsCommon):
    """Periods as of 30 June 2025 (month ends stay month ends):
    P1 (31 May, 30 Jun] 30 days, P2 (30 Apr, 31 May] 31 days,
    P3 (31 Mar, 30 Apr] 30 days, P4 (28 Feb, 31 Mar] 31 days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kilo = cls.env["res.partner"].create({"name": "Kpi Kilo", "is_company": True})
        cls.lima = cls.env["res.partner"].create({"name": "Kpi Lima", "is_company": True})
        # kilo: sales P4 1200, P3 1000, P2 2000, P1 1500
        cls.k1 = cls._ana_move(cls.kilo, 1200.0, date(2025, 3, 10), date(2025, 4, 9))
        cls._ar_pay(cls.k1, 1200.0, date=date(2025, 5, 19))   # 70 days after invoice, 40 beyond terms
        cls.k2 = cls._ana_move(cls.kilo, 1000.0, date(2025, 4, 15), date(2025, 5, 15))
        cls._ar_pay(cls.k2, 1000.0, date=date(2025, 5, 10))   # 25 days after invoice, 5 days early: 0
        cls.k3 = cls._ana_move(cls.kilo, 2000.0, date(2025, 5, 10), date(2025, 6, 9))
        cls._ar_pay(cls.k3, 500.0, date=date(2025, 6, 20))    # 1500 left, overdue on 30 June
        cls.k4 = cls._ana_move(cls.kilo, 1500.0, date(2025, 6, 15), date(2025, 7, 15))  # not due
        # lima: sales P2 1000, overdue on 30 June
        cls.l1 = cls._ana_move(cls.lima, 1000.0, date(2025, 5, 5), date(2025, 6, 4))

    def _kpis(self, as_of=AS_OF, companies=None):
        return self.env["ar.customer.kpi"]._ar_compute_kpis(as_of, companies or self.company)

    def test_periods_and_formulas(self):
        self.assertEqual(period_ends(AS_OF, 4), [
            date(2025, 6, 30), date(2025, 5, 31), date(2025, 4, 30), date(2025, 3, 31), date(2025, 2, 28)])
        self.assertEqual(period_ends(date(2025, 6, 15), 2), [date(2025, 6, 15), date(2025, 5, 15), date(2025, 4, 15)])
        # 3000 open, sales 1500 then 2000: 30 days + 31 x 1500 / 2000
        self.assertAlmostEqual(dso_countback(3000.0, [1500.0, 2000.0], [30, 31]), 53.25)
        # a month without sales counts in full
        self.assertAlmostEqual(dso_countback(1000.0, [0.0, 1000.0], [30, 31]), 61.0)
        # never exhausted: every day walked back
        self.assertAlmostEqual(dso_countback(5000.0, [100.0, 100.0], [30, 31]), 61.0)
        self.assertEqual(dso_countback(-50.0, [100.0], [30]), 0.0)
        # (1200 + 4500 - 3000) / (1200 + 4500 - 1500)
        self.assertAlmostEqual(collection_effectiveness(1200.0, 4500.0, 3000.0, 1500.0), 2700.0 / 4200.0 * 100)
        self.assertEqual(collection_effectiveness(0.0, 0.0, 0.0, 0.0), 0.0)

    def test_customer_kpis(self):
        """kilo on 30 June: open k3 1500 (overdue) + k4 1500 (not due) = 3000, 50% overdue.
        DSO: 3000 - P1 1500 = 1500 left after 30 days; P2 2000 covers it: 30 + 31 x 1500/2000 = 53.25.
        CEI (1 April - 30 June): beginning (31 March) k1 1200, sales 1500 + 2000 + 1000 = 4500,
        ending 3000, ending current 1500: (1200 + 4500 - 3000) / (1200 + 4500 - 1500) = 64.2857%.
        Paid in the last 365 days: k1 (70 days, 40 beyond terms), k2 (25 days, paid early: 0):
        47.5 days to pay, 20 beyond terms."""
        kilo = self._kpis()[self.company.id, self.kilo.id]
        self.assertAlmostEqual(kilo["open_amount"], 3000.0)
        self.assertAlmostEqual(kilo["overdue_amount"], 1500.0)
        self.assertAlmostEqual(kilo["overdue_pct"], 50.0)
        self.assertAlmostEqual(kilo["dso"], 53.25)
        self.assertAlmostEqual(kilo["cei"], 2700.0 / 4200.0 * 100)
        self.assertAlmostEqual(kilo["credit_sales"], 4500.0)
        self.assertAlmostEqual(kilo["avg_days_to_pay"], 47.5)
        self.assertAlmostEqual(kilo["avg_days_beyond_terms"], 20.0)
        self.assertEqual(kilo["paid_invoice_count"], 2)
        # lima: 1000 open, all overdue; DSO: P1 no sales (30 days), P2 1000 covers it: 30 + 31 = 61.
        # CEI: (0 + 1000 - 1000) / (0 + 1000 - 0) = 0%; nothing paid.
        lima = self._kpis()[self.company.id, self.lima.id]
        self.assertAlmostEqual(lima["overdue_pct"], 100.0)
        self.assertAlmostEqual(lima["dso"], 61.0)
        self.assertAlmostEqual(lima["cei"], 0.0)
        self.assertEqual((lima["avg_days_to_pay"], lima["paid_invoice_count"]), (0.0, 0))

    def test_company_kpis(self):
        """Company on 30 June: open 3000 + 1000 = 4000, overdue 1500 + 1000 = 2500 (62.5%).
        DSO: 4000 - P1 1500 = 2500 left after 30 days; P2 2000 + 1000 = 3000: 30 + 31 x 2500/3000 = 55.8333.
        CEI: (1200 + 5500 - 4000) / (1200 + 5500 - 1500) = 2700 / 5200 = 51.923%."""
        company = self._kpis()[self.company.id, False]
        self.assertAlmostEqual(company["open_amount"], 4000.0)
        self.assertAlmostEqual(company["overdue_amount"], 2500.0)
        self.assertAlmostEqual(company["overdue_pct"], 62.5)
        self.assertAlmostEqual(company["dso"], 30 + 31 * 2500.0 / 3000.0)
        self.assertAlmostEqual(company["cei"], 2700.0 / 5200.0 * 100)
        self.assertAlmostEqual(company["avg_days_to_pay"], 47.5)
        self.assertAlmostEqual(company["avg_days_beyond_terms"], 20.0)

    def test_kpis_as_of_mid_month(self):
        """15 June 2025: P1 (15 May, 15 Jun] 31 days: k4 1500; P2 (15 Apr, 15 May] 30 days: k3 2000;
        P3 (15 Mar, 15 Apr] 31 days: k2 1000.
        kilo open: k3 2000 (the 500 came on 20 June; overdue since 9 June) + k4 1500 (15 June, not due).
        DSO: 3500 - P1 1500 = 2000 left after 31 days; P2 2000 covers it: 31 + 30 x 2000/2000 = 61.
        CEI: beginning 15 March k1 1200; sales 1500 + 2000 + 1000 = 4500; ending 3500, current 1500:
        (1200 + 4500 - 3500) / (1200 + 4500 - 1500) = 2200 / 4200."""
        kilo = self._kpis(date(2025, 6, 15))[self.company.id, self.kilo.id]
        self.assertAlmostEqual(kilo["open_amount"], 3500.0)
        self.assertAlmostEqual(kilo["overdue_amount"], 2000.0)
        self.assertAlmostEqual(kilo["dso"], 61.0)
        self.assertAlmostEqual(kilo["cei"], 2200.0 / 4200.0 * 100)

    def test_dso_of_old_balance(self):
        """An invoice of 2022 still open with no sales since: the countback walks the 24
        months back to 30 June 2023 (731 days, 2024 is a leap year) without exhausting it."""
        mike = self.env["res.partner"].create({"name": "Kpi Mike", "is_company": True})
        self._ana_move(mike, 400.0, date(2022, 1, 10), date(2022, 2, 9))
        self.assertAlmostEqual(self._kpis()[self.company.id, mike.id]["dso"], 731.0)

    def test_overdue_trend(self):
        """Month ends: 31 March: k1 1200 not due until 9 April; 30 April: k1 overdue, k2 not due;
        31 May: k1 and k2 paid, k3 and l1 not due yet; 30 June: k3 1500 + l1 1000 overdue."""
        trend = self.env["ar.overdue.trend"].with_context(
            ar_trend_date="2025-06-30", allowed_company_ids=self.company.ids)
        rows = trend._read_group([], ["date:day"], ["overdue_amount:sum", "open_amount:sum"])
        self.assertEqual([day for day, _overdue, _open in rows], [
            date(2024, 7, 31), date(2024, 8, 31), date(2024, 9, 30), date(2024, 10, 31), date(2024, 11, 30),
            date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30),
            date(2025, 5, 31), date(2025, 6, 30)])
        self.assertEqual({day: (overdue, open_) for day, overdue, open_ in rows[7:]}, {
            date(2025, 2, 28): (0.0, 0.0),
            date(2025, 3, 31): (0.0, 1200.0),
            date(2025, 4, 30): (1200.0, 2200.0),
            date(2025, 5, 31): (0.0, 3000.0),
            date(2025, 6, 30): (2500.0, 4000.0),
        })
        # per customer, and the current month shows the end date itself
        mid_june = self.env["ar.overdue.trend"].with_context(
            ar_trend_date="2025-06-15", allowed_company_ids=self.company.ids)
        self.assertEqual(
            dict(mid_june._read_group([("date", "=", date(2025, 6, 15))], ["partner_id"], ["overdue_amount:sum"])),
            {self.kilo: 2000.0, self.lima: 1000.0, self.env["res.partner"]: 0.0},
        )

    def _trend(self, end="2025-06-30"):
        """{(month end, customer): (overdue, open)} of the overdue trend ending on ``end``."""
        trend = self.env["ar.overdue.trend"].with_context(ar_trend_date=end, allowed_company_ids=self.company.ids)
        return {(day, partner): (overdue, open_) for day, partner, overdue, open_ in trend._read_group(
            [], ["date:day", "partner_id"], ["overdue_amount:sum", "open_amount:sum"])}

    def test_overdue_trend_stored_month_ends(self):
        """The refresh stores the trend's past month ends as computed live; the trend then reads
        them (no running totals) and computes its last date live: an invoice or a payment posted
        after the refresh shows there at once, one dated in a past month from the next refresh."""
        live = self._trend()
        balances = self.env["ar.overdue.balance"]
        balances._ar_store(self.company, end=date(2025, 6, 30))
        month_ends = self.env["ar.overdue.trend"]._ar_trend_dates(date(2025, 6, 30))[:-1]
        self.assertEqual(balances._ar_stored_dates(month_ends, self.company.ids), set(month_ends))
        stored = balances.search([("company_id", "=", self.company.id), ("date", "in", month_ends),
                                  "|", ("open_amount", "!=", 0), ("overdue_amount", "!=", 0)])
        self.assertEqual({(row.date, row.partner_id): (row.overdue_amount, row.open_amount) for row in stored},
                         {key: amounts for key, amounts in live.items()
                          if key[0] != date(2025, 6, 30) and amounts != (0.0, 0.0)})
        self.assertEqual(stored.partner_id, self.kilo | self.lima)
        with patch("odoo.addons.ar_collections.report.ar_overdue_trend.open_balances_sql",
                   side_effect=AssertionError("month ends computed again")):
            self.assertEqual(self._trend(), live)
            # after the refresh: lima invoiced 800 due 25 June, kilo pays 300 of k4 on 28 June,
            # and an invoice of 20 May for lima (due 19 June) posted late
            self._ana_move(self.lima, 800.0, date(2025, 6, 20), date(2025, 6, 25))
            self._ar_pay(self.k4, 300.0, date=date(2025, 6, 28))
            self._ana_move(self.lima, 100.0, date(2025, 5, 20), date(2025, 6, 19))
            trend = self._trend()
        self.assertEqual(trend[date(2025, 6, 30), self.lima], (1900.0, 1900.0))
        self.assertEqual(trend[date(2025, 6, 30), self.kilo], (1500.0, 2700.0))
        self.assertEqual(trend[date(2025, 5, 31), self.lima], live[date(2025, 5, 31), self.lima])
        # the next refresh: the month ends agree with the live computation again
        balances._ar_store(self.company, end=date(2025, 6, 30))
        self.assertEqual(self._trend()[date(2025, 5, 31), self.lima], (0.0, 1100.0))
        balances.sudo().search([]).unlink()  # none stored: all computed live
        self.assertEqual(self._trend()[date(2025, 5, 31), self.lima], (0.0, 1100.0))

    def test_company_isolation(self):
        company_b = self.setup_other_company()["company"]
        self._ana_move(self.kilo, 480.0, date(2025, 6, 1), date(2025, 6, 10), company=company_b)
        kpis_a = self._kpis()
        self.assertAlmostEqual(kpis_a[self.company.id, self.kilo.id]["open_amount"], 3000.0)
        self.assertFalse([key for key in kpis_a if key[0] == company_b.id])
        # company B: 480 open and overdue, covered by June's 480 of sales: 30 days
        kpis_b = self._kpis(companies=company_b)
        self.assertEqual(set(kpis_b), {(company_b.id, self.kilo.id), (company_b.id, False)})
        self.assertAlmostEqual(kpis_b[company_b.id, self.kilo.id]["overdue_pct"], 100.0)
        self.assertAlmostEqual(kpis_b[company_b.id, False]["dso"], 30.0)
        # the customer KPI list of a user of both companies has one row per company
        action = self.env["ar.customer.kpi"].with_context(
            allowed_company_ids=(self.company | company_b).ids).action_open_customer_kpi(AS_OF)
        rows = self.env["ar.customer.kpi"].search(action["domain"])
        self.assertEqual(
            {(row.company_id, row.partner_id): row.open_amount for row in rows},
            {(self.company, self.kilo): 3000.0, (self.company, self.lima): 1000.0, (company_b, self.kilo): 480.0},
        )

    def test_dashboard_data(self):
        """The client dashboard's figures, from company aggregates, agree with the per-customer
        computation, the aging and the overdue trend. On 31 May: open k3 2000 + l1 1000, none
        overdue; DSO: May's sales 3000 cover it: 31 days; CEI (1 March - 31 May): nothing open on
        28 February, sales 1200 + 1000 + 3000, nothing overdue at the end: 100%."""
        data = self.env["ar.collections.dashboard"].with_user(self.user_collector).retrieve_dashboard("2025-06-30")
        self.assertEqual(data["as_of"], "2025-06-30")
        kpis = data["kpis"]
        self.assertAlmostEqual(kpis["open_amount"], 4000.0)
        self.assertAlmostEqual(kpis["overdue_amount"], 2500.0)
        self.assertAlmostEqual(kpis["dso"], 30 + 31 * 2500.0 / 3000.0)
        self.assertAlmostEqual(kpis["cei"], 2700.0 / 5200.0 * 100)
        self.assertAlmostEqual(kpis["avg_days_to_pay"], 47.5)
        self.assertAlmostEqual(kpis["avg_days_beyond_terms"], 20.0)
        # k4 1500 not due; k3 1500 (21 days) and l1 1000 (26 days) in 1-30
        self.assertEqual({row["key"]: row["amount"] for row in data["aging"]},
                         {"not_due": 1500.0, "1_30": 2500.0, "31_60": 0.0, "61_90": 0.0, "90_plus": 0.0})
        trend = {row["date"]: (row["overdue_amount"], row["open_amount"]) for row in data["trend"]}
        self.assertEqual(len(trend), 12)
        self.assertEqual([trend[day] for day in ("2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30")],
                         [(0.0, 0.0), (0.0, 1200.0), (1200.0, 2200.0), (0.0, 3000.0), (2500.0, 4000.0)])
        may = next(row for row in data["trend"] if row["date"] == "2025-05-31")
        self.assertAlmostEqual(may["dso"], 31.0)
        self.assertAlmostEqual(may["cei"], 100.0)
        self.assertEqual(data["trend"][-1]["dso"], kpis["dso"])
        # the worklist's first customers, each with an overdue amount; the forecast's 13 weeks and more
        self.assertTrue(data["top_risks"])
        self.assertTrue(all(row["overdue_amount"] > 0 and row["partner_name"] for row in data["top_risks"]))
        self.assertGreaterEqual(len(data["forecast"]), 13)

    def test_dashboard_as_collector(self):
        dashboard = self.env["ar.collections.dashboard"].with_user(self.user_collector).create({"date": AS_OF})
        self.assertEqual(dashboard.company_id, self.company)
        self.assertAlmostEqual(dashboard.open_amount, 4000.0)
        self.assertAlmostEqual(dashboard.overdue_amount, 2500.0)
        self.assertAlmostEqual(dashboard.overdue_pct, 62.5)
        self.assertAlmostEqual(dashboard.dso, 30 + 31 * 2500.0 / 3000.0)
        self.assertAlmostEqual(dashboard.cei, 2700.0 / 5200.0 * 100)
        self.assertAlmostEqual(dashboard.avg_days_to_pay, 47.5)
        self.assertAlmostEqual(dashboard.avg_days_beyond_terms, 20.0)
        # aging on 30 June: k4 1500 not due; k3 1500 (21 days) + l1 1000 (26 days)
        self.assertEqual(
            (dashboard.amount_not_due, dashboard.amount_1_30, dashboard.amount_31_60,
             dashboard.amount_61_90, dashboard.amount_90_plus),
            (1500.0, 2500.0, 0.0, 0.0, 0.0),
        )
        aging = dashboard.action_open_aging()
        self.assertEqual((aging["res_model"], aging["context"]["ar_aging_date"]), ("ar.aging.report", "2025-06-30"))
        trend = dashboard.action_open_overdue_trend()
        self.assertEqual((trend["res_model"], trend["context"]["ar_trend_date"]), ("ar.overdue.trend", "2025-06-30"))
        kpi_rows = self.env["ar.customer.kpi"].with_user(self.user_collector).search(
            dashboard.action_open_customer_kpi()["domain"])
        self.assertEqual(
            {row.partner_id: round(row.dso, 2) for row in kpi_rows}, {self.kilo: 53.25, self.lima: 61.0})
        opened = self.env["ar.collections.dashboard"].with_user(self.user_collector).action_open_dashboard()
        self.assertEqual(self.env["ar.collections.dashboard"].browse(opened["res_id"]).date, self.today)

    def test_customer_kpis_kept_until_refreshed(self):
        """The KPI rows are computed once per company and date and kept (opening them is
        instant on a large book): a payment shows after "Refresh" or the hourly cron."""
        Kpi = self.env["ar.customer.kpi"].with_user(self.user_collector)

        def lima_open(action):
            rows = Kpi.search(action["domain"])
            return rows.filtered(lambda row: row.partner_id == self.lima).open_amount

        opened = Kpi.action_open_customer_kpi(AS_OF)
        computed_at = Kpi.search(opened["domain"]).mapped("computed_at")
        self.assertEqual(len(set(computed_at)), 1)
        self.assertIn("computed", opened["name"])
        self.assertAlmostEqual(lima_open(opened), 1000.0)
        self._ar_pay(self.l1, 400.0, date=date(2025, 6, 20))
        again = Kpi.action_open_customer_kpi(AS_OF)
        self.assertAlmostEqual(lima_open(again), 1000.0)
        self.assertEqual(set(Kpi.search(again["domain"]).mapped("computed_at")), set(computed_at))
        refreshed = Kpi.with_context(ar_kpi_date=fields.Date.to_string(AS_OF)).action_refresh()
        self.assertAlmostEqual(lima_open(refreshed), 600.0)
        self.assertEqual(len(Kpi.search(refreshed["domain"]).filtered(lambda row: row.partner_id == self.lima)), 1)
        # the cron: today's rows of the companies opened again, older computations forgotten
        today = Kpi.action_open_customer_kpi()
        self.assertAlmostEqual(lima_open(today), 600.0)
        Kpi.search(refreshed["domain"]).computed_at = fields.Datetime.now() - timedelta(days=8)
        self._ar_pay(self.l1, 100.0)
        self.env["ar.customer.kpi"]._cron_refresh()
        self.assertAlmostEqual(lima_open(today), 500.0)
        self.assertFalse(Kpi.search(refreshed["domain"]))

    def test_dashboard_kept_until_refreshed(self):
        """The dashboard opens on the figures last computed for the company and date, with
        their time; "Refresh" (refresh=True) and the hourly cron compute them again."""
        Dashboard = self.env["ar.collections.dashboard"].with_user(self.user_collector)
        first = Dashboard.retrieve_dashboard("2025-06-30")
        self.assertAlmostEqual(first["kpis"]["open_amount"], 4000.0)
        self.assertTrue(first["computed_at"])
        self._ar_pay(self.l1, 400.0, date=date(2025, 6, 20))
        self.assertEqual(Dashboard.retrieve_dashboard("2025-06-30"), first)
        refreshed = Dashboard.retrieve_dashboard("2025-06-30", refresh=True)
        self.assertAlmostEqual(refreshed["kpis"]["open_amount"], 3600.0)
        self.assertAlmostEqual(refreshed["kpis"]["overdue_amount"], 2100.0)
        # the cron refreshes the figures opened of today
        today = Dashboard.retrieve_dashboard()["kpis"]["open_amount"]
        self._ar_pay(self.l1, 100.0)
        self.env["ar.collections.dashboard.snapshot"]._cron_refresh()
        self.assertAlmostEqual(Dashboard.retrieve_dashboard()["kpis"]["open_amount"], today - 100.0)
