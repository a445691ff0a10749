from collections import Counter

from dateutil.relativedelta import relativedelta

from odoo.tests import TransactionCase, tagged

from odoo.addons.ar_collections.tools.demo_book import PAYMENT_TERMS, PROFILE_SHARES, _plan_book, generate_ar_book

BOOK = {"invoices": 200, "customers": 20, "seed": 7, "months": 12}


@tagged("post_install", "-at_install")
class TestDemoBook(TransactionCase):
    """The generated demo book really has the promised mix of behaviours."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.summary = generate_ar_book(cls.env, **BOOK)
        cls.partners = cls.env["res.partner"].browse(cls.summary["partner_ids"])
        cls.invoices = cls.env["account.move"].browse(cls.summary["invoice_ids"])
        cls.refunds = cls.env["account.move"].browse(cls.summary["refund_ids"])
        # AR-DEMO-<PROFILE>-NNN
        cls.profile_of = {partner: partner.ref.split("-")[2].lower() for partner in cls.partners}
        cls.start, cls.today = cls.summary["period"]

    def _invoices_of(self, profile):
        return self.invoices.filtered(lambda move: self.profile_of[move.partner_id] == profile)

    def _days_late(self, invoice):
        """Days between the due date and the last payment of a paid invoice."""
        payments = invoice._get_reconciled_payments()
        self.assertTrue(payments, f"{invoice.name} is paid without a payment")
        return (max(payments.mapped("date")) - invoice.invoice_date_due).days

    def test_profiles(self):
        counts = Counter(self.profile_of.values())
        self.assertEqual(set(counts), set(PROFILE_SHARES), "every behaviour profile is present")
        self.assertEqual(dict(counts), self.summary["profiles"])
        for profile, share in PROFILE_SHARES.items():
            self.assertAlmostEqual(counts[profile] / len(self.partners), share, delta=0.05, msg=profile)
        for partner in self.partners:
            self.assertRegex(partner.ref, r"^AR-DEMO-[A-Z_]+-\d{3,}$")
            self.assertTrue(partner.is_company and partner.email and partner.city and partner.country_id)
            self.assertRegex(partner.mobile, r"^\+\d{1,3}( \d+)+$", "E.164 mobile")
        self.assertEqual(len(set(self.partners.mapped("name"))), len(self.partners), "names are unique")

    def test_invoices(self):
        self.assertEqual(len(self.invoices), BOOK["invoices"])
        self.assertEqual(set(self.invoices.mapped("move_type")), {"out_invoice"})
        self.assertEqual(set(self.invoices.mapped("state")), {"posted"})
        self.assertTrue(all(1 <= len(inv.invoice_line_ids) <= 4 for inv in self.invoices))
        self.assertGreaterEqual(min(self.invoices.mapped("invoice_date")), self.today - relativedelta(months=12))
        self.assertLess(max(self.invoices.mapped("invoice_date")), self.today)
        terms = {self.env.ref(xmlid) for xmlid in PAYMENT_TERMS}
        self.assertEqual(set(self.invoices.invoice_payment_term_id), terms, "all four payment terms used")
        self.assertEqual(set(self.invoices.partner_id), set(self.partners), "every customer is invoiced")

    def test_currencies(self):
        company_currency = self.env.company.currency_id
        self.assertEqual(len(self.invoices.currency_id), 2)
        foreign = self.invoices.filtered(lambda inv: inv.currency_id != company_currency)
        self.assertAlmostEqual(len(foreign) / len(self.invoices), 0.2, delta=0.08)
        self.assertEqual(self.summary["currencies"], sorted(self.invoices.currency_id.mapped("name")))
        # converted at the rate of their date, not at 1:1
        self.assertTrue(any(inv.amount_total != abs(inv.amount_total_signed) for inv in foreign))

    def test_payment_states(self):
        states = Counter(self.invoices.mapped("payment_state"))
        for state in ("paid", "partial", "not_paid"):
            self.assertTrue(states[state], f"no invoice is {state}")
        self.assertEqual(dict(states), self.summary["payment_states"])
        # invoices not yet due are mostly still open
        future = self.invoices.filtered(lambda inv: inv.invoice_date_due > self.today)
        self.assertTrue(future)
        self.assertGreater(len(future.filtered(lambda inv: inv.payment_state == "not_paid")), len(future) / 2)
        open_total = sum((self.invoices | self.refunds).mapped("amount_residual_signed"))
        self.assertAlmostEqual(self.summary["open_receivable"], open_total, places=2)
        self.assertGreater(open_total, 0)

    def test_credit_notes(self):
        self.assertTrue(self.refunds)
        self.assertEqual(set(self.refunds.mapped("move_type")), {"out_refund"})
        self.assertEqual(set(self.refunds.mapped("state")), {"posted"})
        for refund in self.refunds:
            self.assertIn(refund.reversed_entry_id, self.invoices)
            self.assertTrue(refund.currency_id.is_zero(refund.amount_residual), f"{refund.name} is not reconciled")
            self.assertIn(refund.reversed_entry_id, refund._get_reconciled_invoices())
        per_customer = Counter(self.profile_of[refund.partner_id] for refund in self.refunds)
        customers = Counter(self.profile_of.values())
        disputer_rate = per_customer["disputer"] / customers["disputer"]
        other_rate = (len(self.refunds) - per_customer["disputer"]) / (len(self.partners) - customers["disputer"])
        self.assertGreater(disputer_rate, 2 * other_rate, "disputers get many more credit notes")
        disputed_open = self._invoices_of("disputer").filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial") and inv.invoice_date_due < self.today - relativedelta(days=60))
        self.assertTrue(disputed_open, "disputers leave some invoices open long")

    def test_late_payers(self):
        paid = self._invoices_of("late").filtered(lambda inv: inv.payment_state == "paid")
        self.assertTrue(paid)
        delays = [self._days_late(inv) for inv in paid]
        self.assertGreaterEqual(sum(delays) / len(delays), 15)
        self.assertGreater(min(delays), 0)

    def test_on_time_payers(self):
        paid = self._invoices_of("on_time").filtered(lambda inv: inv.payment_state == "paid")
        self.assertGreater(len(paid), len(self._invoices_of("on_time")) / 2)
        for invoice in paid:
            self.assertLessEqual(self._days_late(invoice), 0, f"{invoice.name} paid after its due date")

    def test_deteriorating_payers(self):
        invoices = self._invoices_of("deteriorating")
        span = (self.today - self.start).days
        early = invoices.filtered(lambda inv: (inv.invoice_date - self.start).days < span * 0.3)
        middle = invoices.filtered(lambda inv: span * 0.5 <= (inv.invoice_date - self.start).days < span * 0.75)
        recent = invoices.filtered(lambda inv: (inv.invoice_date - self.start).days >= span * 0.8)
        self.assertTrue(early and middle and recent)
        early_paid = early.filtered(lambda inv: inv.payment_state == "paid")
        self.assertTrue(early_paid)
        self.assertTrue(all(self._days_late(inv) <= 0 for inv in early_paid), "on time early in the period")
        middle_delays = [self._days_late(inv) for inv in middle if inv.payment_state == "paid"]
        self.assertTrue(middle_delays)
        self.assertGreater(sum(middle_delays) / len(middle_delays), 10, "increasingly late")
        self.assertFalse(recent.filtered(lambda inv: inv.payment_state == "paid"), "recent invoices unpaid")

    def test_partial_payers(self):
        invoices = self._invoices_of("partial")
        partial = invoices.filtered(lambda inv: inv.payment_state == "partial")
        self.assertGreaterEqual(len(partial), 2, "several invoices partially paid")
        self.assertTrue(any(len(inv._get_reconciled_payments()) >= 2 for inv in invoices), "pays in instalments")
        others = self.invoices - invoices
        self.assertGreater(
            len(partial) / len(invoices),
            len(others.filtered(lambda inv: inv.payment_state == "partial")) / len(others),
        )

    def test_reproducible(self):
        args = dict(BOOK, today=self.today)
        plan = _plan_book(**args)
        self.assertEqual(plan, _plan_book(**args), "same seed, same plan")
        self.assertNotEqual(plan["untaxed_total"], _plan_book(**dict(args, seed=8))["untaxed_total"])
        # the database holds exactly what the plan describes
        self.assertEqual(len(plan["invoices"]), len(self.invoices))
        self.assertEqual([c["ref"] for c in plan["customers"]], self.partners.mapped("ref"))
        self.assertAlmostEqual(sum(self.invoices.mapped("amount_untaxed")), plan["untaxed_total"], places=2)
        self.assertEqual(self.summary["untaxed_total"], plan["untaxed_total"])
        self.assertEqual([inv["date"] for inv in plan["invoices"]], self.invoices.mapped("invoice_date"))
