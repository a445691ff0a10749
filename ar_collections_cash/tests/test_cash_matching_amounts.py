import time
from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from ..tools import cash_matching
from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashMatchingAmounts(ArCashCommon):
    """Exact, combined, short, over, discounted and foreign-currency payments."""

    def test_one_payment_for_the_oldest_invoices(self):
        oldest = self._ar_invoice(self.payer, 200.0, days_overdue=30)
        middle = self._ar_invoice(self.payer, 350.0, days_overdue=10)
        newest = self._ar_invoice(self.payer, 90.0, days_overdue=-5)
        st_line = self._ar_bank_line(550.0, "PAYMENT", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.rule, "combination")
        self.assertEqual(match.invoice_ids, oldest | middle)
        self.assertEqual(newest.amount_residual, 90.0)

    def test_combination_that_is_not_the_oldest(self):
        self._ar_invoice(self.payer, 1000.0, days_overdue=40)
        b = self._ar_invoice(self.payer, 260.0, days_overdue=20)
        c = self._ar_invoice(self.payer, 145.5, days_overdue=8)
        self._ar_invoice(self.payer, 999.0, days_overdue=2)
        st_line = self._ar_bank_line(405.5, "PAYMENT", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, b | c)

    def test_ambiguous_combination_waits_for_a_person(self):
        for amount in (100.0, 150.0, 200.0, 250.0):
            self._ar_invoice(self.payer, amount, days_overdue=int(amount / 10))
        # 350 = 100 + 250 = 150 + 200, and no run of oldest invoices adds up to it
        st_line = self._ar_bank_line(350.0, "PAYMENT", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled)
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertEqual(suggestion.rule, "combination")
        self.assertIn("other combinations add up too", suggestion.signals)

    def test_one_invoice_of_the_exact_amount_beats_a_combination(self):
        single = self._ar_invoice(self.payer, 300.0, days_overdue=5)
        self._ar_invoice(self.payer, 100.0, days_overdue=30)
        self._ar_invoice(self.payer, 200.0, days_overdue=20)
        st_line = self._ar_bank_line(300.0, "PAYMENT", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, single)

    def test_combination_search_is_bounded_in_time(self):
        invoices = [cash_matching.Invoice(i, 1, f"INV/{i}", "", 1, 1.0 + (i % 7) / 100.0, None)
                    for i in range(1, 41)]
        matcher = cash_matching.CashMatcher(invoices, {1: ("Payer", "")}, {}, lambda a, *args: a, {1: 0.01},
                                            time_budget=0.05)
        line = cash_matching.Line(1, 23.456, 1, None, "")  # no subset reaches it: the full tree
        started = time.perf_counter()
        found = matcher._combination(line, [inv.id for inv in invoices], 23.45)
        elapsed = time.perf_counter() - started
        self.assertLess(elapsed, 0.5, "the search stops at its budget")
        # a combination found before the deadline is reported as unconfirmed, never as unique
        self.assertNotEqual(len(found), 1)

    def test_short_payment_within_tolerance_leaves_the_rest_open(self):
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(985.0, invoice.name)  # bank charges: 1.5%
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.difference_kind, "short_open")
        self.assertEqual(invoice.amount_residual, 15.0)
        self.assertEqual(invoice.payment_state, "partial")

    def test_short_payment_within_tolerance_written_off_when_configured(self):
        account = self._ar_set_writeoff_account()
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(985.0, invoice.name)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.difference_kind, "short_writeoff")
        self.assertEqual(invoice.amount_residual, 0.0)
        writeoff = st_line.move_id.line_ids.filtered(lambda line: line.account_id == account)
        self.assertEqual(writeoff.balance, 15.0)

    def test_short_payment_beyond_tolerance_is_a_partial_payment_suggested(self):
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(600.0, invoice.name)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled, "a large short payment is a person's decision")
        suggestion = st_line.ar_suggestion_ids[:1]
        suggestion.with_user(self.user_collector).action_accept()
        self.assertEqual(invoice.amount_residual, 400.0)

    def test_reference_plus_other_open_invoices_that_add_up(self):
        named = self._ar_invoice(self.payer, 400.0, days_overdue=5)
        other = self._ar_invoice(self.payer, 125.0, days_overdue=15)
        self._ar_invoice(self.payer, 980.0, days_overdue=1)
        st_line = self._ar_bank_line(525.0, named.name, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, named | other, "not 400 paid and 125 left as credit")
        self.assertEqual(match.difference_kind, "exact")

    def test_overpayment_stays_as_customer_credit(self):
        invoice = self._ar_invoice(self.payer, 400.0, days_overdue=5)
        st_line = self._ar_bank_line(450.0, invoice.name, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.difference_kind, "overpayment")
        self.assertEqual(invoice.amount_residual, 0.0)
        credit = st_line.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled)
        self.assertEqual(credit.partner_id, self.payer)
        self.assertEqual(credit.amount_residual, -50.0)

    def _ar_discount_invoice(self, computation="excluded", days_ago=3, amount=500.0, taxes=None):
        """A customer invoice of ``amount`` under 2 % early-payment discount within 10 days."""
        terms = self.env["account.payment.term"].create({
            "name": "2/10 net 30", "early_discount": True, "discount_percentage": 2.0, "discount_days": 10,
            "early_pay_discount_computation": computation,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.payer.id,
            "invoice_date": self.today - timedelta(days=days_ago), "invoice_payment_term_id": terms.id,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": amount,
                                                 "tax_ids": [Command.set((taxes or self.env["account.tax"]).ids)]})],
        })
        invoice.action_post()
        return invoice

    def test_early_payment_discount_of_the_payment_terms(self):
        invoice = self._ar_discount_invoice()
        st_line = self._ar_bank_line(490.0, invoice.name)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.difference_kind, "discount")
        self.assertEqual(invoice.amount_residual, 0.0)
        discount = st_line.move_id.line_ids.filtered(
            lambda line: line.account_id == self.company.account_journal_early_pay_discount_loss_account_id)
        self.assertEqual(sum(discount.mapped("balance")), 10.0)

    def test_early_payment_discount_reduces_the_tax_when_the_terms_say_so(self):
        tax = self.company_data["default_tax_sale"]
        invoice = self._ar_discount_invoice("included", amount=1000.0, taxes=tax)
        discounted = invoice.currency_id.round(invoice.amount_total * 0.98)
        st_line = self._ar_bank_line(discounted, invoice.name)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).difference_kind, "discount")
        self.assertEqual(invoice.amount_residual, 0.0)
        tax_lines = st_line.move_id.line_ids.filtered("tax_repartition_line_id")
        self.assertEqual(tax_lines.tax_line_id, tax, "the discount takes its share of tax back")
        self.assertAlmostEqual(sum(tax_lines.mapped("balance")), 0.02 * (invoice.amount_tax), places=2)

    def test_discount_is_not_granted_after_its_date(self):
        invoice = self._ar_discount_invoice(days_ago=20)
        st_line = self._ar_bank_line(490.0, invoice.name)
        self._ar_match(st_line)
        self.assertNotEqual(st_line.ar_match_ids[:1].difference_kind, "discount")
        self.assertFalse(st_line.ar_match_ids.filtered(lambda m: m.difference_kind == "discount"))

    def test_foreign_currency_line_pays_invoice_in_that_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": self.company.id,
                                              "name": self.today - timedelta(days=60), "rate": 0.9})
        invoice = self._ar_invoice(self.payer, 900.0, days_overdue=3, currency=eur)
        # a USD account receiving EUR: the bank converted at its own rate
        st_line = self._ar_bank_line(1003.5, invoice.name, foreign_currency_id=eur.id, amount_currency=900.0)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.currency_id, eur)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertTrue(st_line.is_reconciled)

    def test_line_in_company_currency_pays_a_foreign_invoice(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": self.company.id,
                                              "name": self.today - timedelta(days=60), "rate": 0.8})
        invoice = self._ar_invoice(self.payer, 800.0, days_overdue=3, currency=eur)
        st_line = self._ar_bank_line(1005.0, invoice.name)  # 800 EUR = 1000 USD at our rate; the bank took 0.5%
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)
        self.assertEqual(invoice.amount_residual, 0.0, "settled: the gap is an exchange difference")

    def test_foreign_currency_line_pays_invoice_in_company_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": self.company.id,
                                              "name": self.today - timedelta(days=60), "rate": 0.9})
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=3)
        # the customer paid 900 EUR (1,000 USD at our rate); our bank credited 1,003 USD
        st_line = self._ar_bank_line(1003.0, invoice.name, foreign_currency_id=eur.id, amount_currency=900.0)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)
        self.assertEqual(invoice.amount_residual, 0.0)
        gain = st_line.move_id.line_ids.filtered(
            lambda line: line.account_id == self.company.income_currency_exchange_account_id)
        self.assertEqual(gain.balance, -3.0, "the bank's margin is an exchange gain, not customer credit")
        self.assertTrue(st_line.is_reconciled)

    def test_typo_naming_another_open_invoice_of_the_payer(self):
        meant = self._ar_invoice(self.payer, 500.0, days_overdue=6)
        named = self._ar_invoice(self.payer, 300.0, days_overdue=2)
        self.assertEqual(len(meant.name), len(named.name))
        st_line = self._ar_bank_line(500.0, named.name)  # a digit off: the other invoice's number
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, meant, "the exact amount of the invoice one typo away")
        self.assertEqual(match.rule, "reference_fuzzy")
        self.assertEqual(named.amount_residual, 300.0)

    def test_less_than_the_invoice_named_and_a_neighbour_of_that_amount_is_a_persons_call(self):
        """Paid less than the invoice named, whose number is right, and exactly the amount of an
        invoice one typo away: a partial payment of the first as likely as a typo; not applied."""
        meant = self._ar_invoice(self.payer, 500.0, days_overdue=6)
        named = self._ar_invoice(self.payer, 800.0, days_overdue=2)
        self.assertEqual(len(meant.name), len(named.name))
        st_line = self._ar_bank_line(500.0, named.name, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertFalse(self._ar_applied(st_line))
        self.assertEqual(set(st_line.ar_suggestion_ids.mapped("invoice_ids").ids), {meant.id, named.id})
        self.assertEqual((meant | named).mapped("amount_residual"), [500.0, 800.0])

    def test_overpayment_that_could_pay_other_invoices_waits_for_a_person(self):
        named = self._ar_invoice(self.payer, 400.0, days_overdue=6)
        self._ar_invoice(self.payer, 300.0, days_overdue=2)
        st_line = self._ar_bank_line(750.0, named.name, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled, "350 more than named: another invoice, or credit?")
        self.assertIn("could pay other open invoices", "\n".join(st_line.ar_suggestion_ids.mapped("signals")))

    def test_partial_payment_of_the_invoice_named_by_a_known_payer_is_applied(self):
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(600.0, invoice.name, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).difference_kind, "short_open")
        self.assertEqual(invoice.amount_residual, 400.0)

    def test_partial_payment_of_the_invoice_named_by_the_payers_name_is_applied(self):
        """The name of the customer whose invoice is named confirms the reference: a partial payment."""
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(600.0, f"Payment {invoice.name}", partner_name="NORTHWIND TRADERS LTD")
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.difference_kind, "short_open")
        self.assertIn("name Northwind Traders", match.signals)
        self.assertEqual(invoice.amount_residual, 400.0)

    def test_a_little_less_than_the_only_invoice_it_could_be_of_a_known_payer_is_applied(self):
        """No reference, a payer known by its account, 1.5 % less than one open invoice (the banks'
        charges) and nothing else fits: that invoice, the rest left open."""
        invoice = self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        self._ar_invoice(self.payer, 2400.0, days_overdue=2)
        st_line = self._ar_bank_line(985.0, "Zahlung", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual((match.invoice_ids, match.difference_kind), (invoice, "short_open"))
        self.assertEqual(invoice.amount_residual, 15.0)

    def test_a_little_less_than_an_invoice_of_a_payer_known_by_name_only_waits(self):
        self._ar_invoice(self.payer, 1000.0, days_overdue=5)
        st_line = self._ar_bank_line(985.0, "Zahlung", partner_name="NORTHWIND TRADERS")
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled, "a name and an amount that does not fit: a person decides")

    def test_combination_ignores_invoices_in_another_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": self.company.id,
                                              "name": self.today - timedelta(days=60), "rate": 0.9})
        self._ar_invoice(self.payer, 450.0, days_overdue=40, currency=eur)  # 500 USD: would "fit" 2 % margins
        first = self._ar_invoice(self.payer, 120.0, days_overdue=20)
        second = self._ar_invoice(self.payer, 380.0, days_overdue=10)
        st_line = self._ar_bank_line(500.0, "PAYMENT", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, first | second)
