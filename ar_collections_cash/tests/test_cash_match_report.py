from datetime import date

from odoo.tests import tagged

from .common import ArCashCommon

MARCH, APRIL = date(2021, 3, 15), date(2021, 4, 12)


@tagged("post_install", "-at_install")
class TestCashMatchReport(ArCashCommon):
    """The match-rate report counts bank lines as a person would: applied automatically, by a
    person, queued, reversed, per rule and per month."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        invoices = [cls._ar_invoice(cls.payer, amount, days_overdue=5) for amount in (100.0, 200.0, 1000.0, 300.0)]
        cls.auto_line = cls._ar_bank_line(100.0, invoices[0].name, date=MARCH)
        cls.reversed_line = cls._ar_bank_line(200.0, invoices[1].name, date=MARCH)
        cls.unknown_line = cls._ar_bank_line(77.0, "no idea", date=MARCH)
        cls.partial_line = cls._ar_bank_line(600.0, invoices[2].name, date=MARCH)
        cls.april_line = cls._ar_bank_line(300.0, invoices[3].name, date=APRIL)
        cls.lines = cls.auto_line | cls.reversed_line | cls.unknown_line | cls.partial_line | cls.april_line
        cls.lines._ar_cash_match()
        cls.reversed_line.ar_match_ids.filtered(lambda m: m.state == "applied").with_user(
            cls.user_ar_manager).action_reverse()
        cls.partial_line.ar_suggestion_ids[:1].with_user(cls.user_collector).action_accept()
        cls.env.flush_all()

    def _rows(self):
        return self.env["ar.cash.match.report"].search([("statement_line_id", "in", self.lines.ids)])

    def test_each_line_counted_once_with_its_outcome(self):
        rows = {row.statement_line_id: row for row in self._rows()}
        self.assertEqual(len(rows), 5)
        self.assertEqual(rows[self.auto_line].outcome, "auto")
        self.assertEqual(rows[self.auto_line].rule, "reference")
        self.assertEqual(rows[self.reversed_line].outcome, "queued")
        self.assertEqual(rows[self.reversed_line].reversed_count, 1)
        self.assertEqual(rows[self.reversed_line].rule, "reference", "the reversed match's rule")
        self.assertEqual(rows[self.unknown_line].outcome, "queued")
        self.assertEqual(rows[self.partial_line].outcome, "manual")
        self.assertEqual(rows[self.april_line].outcome, "auto")

    def test_per_month_and_per_rule(self):
        Report = self.env["ar.cash.match.report"]
        domain = [("statement_line_id", "in", self.lines.ids)]
        by_month = {month: (lines, auto, queued, reversed_, rate) for month, lines, auto, queued, reversed_, rate
                    in Report._read_group(domain, ["date:month"], ["line_count:sum", "auto_count:sum",
                                                                   "queued_count:sum", "reversed_count:sum",
                                                                   "auto_rate:avg"])}
        self.assertEqual(by_month[date(2021, 3, 1)], (4, 1, 2, 1, 25.0))
        self.assertEqual(by_month[date(2021, 4, 1)], (1, 1, 0, 0, 100.0))
        by_rule = dict(Report._read_group(domain, ["rule"], ["auto_count:sum"]))
        self.assertEqual(by_rule["reference"], 2)

    def test_match_rate_for_the_dashboard(self):
        rate = self.env["ar.cash.match.report"]._ar_match_rate(date(2021, 3, 1), date(2021, 4, 30))
        self.assertEqual(rate, {"lines": 5, "automatic": 2, "manual": 1, "queued": 2, "reversed": 1,
                                "automatic_rate": 40.0})
        march = self.env["ar.cash.match.report"]._ar_match_rate(date(2021, 3, 1), date(2021, 3, 31))
        self.assertEqual((march["lines"], march["automatic_rate"]), (4, 25.0))
