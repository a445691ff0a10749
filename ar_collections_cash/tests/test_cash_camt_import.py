import base64
from unittest import SkipTest

from odoo import Command
from odoo.tests import tagged
from odoo.tools.misc import file_open, file_path

from odoo.addons.account.tools.structured_reference import format_structured_reference_iso

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashCamtImport(ArCashCommon):
    """Statement files imported by OCA's account_statement_import_camt are matched by our matcher.

    Runs only when that add-on is installed (its PyPI package next to ours: setup/oca_peers.sh);
    without it, nothing of the cash application depends on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "account_statement_import_camt" not in cls.env.registry._init_modules:
            raise SkipTest("OCA's account_statement_import_camt is not installed")
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        own_account = cls.env["res.partner.bank"].create({
            "acc_number": "NL77ABNA0574908765", "partner_id": cls.company.partner_id.id, "company_id": cls.company.id})
        cls.camt_journal = cls.env["account.journal"].create({
            "name": "Bank EUR (CAMT)", "code": "CAMT", "type": "bank", "company_id": cls.company.id,
            "bank_account_id": own_account.id, "currency_id": cls.eur.id,
        })

    def _ar_import(self, content):
        wizard = self.env["account.statement.import"].create({
            "statement_filename": "statement.xml", "statement_file": base64.b64encode(content)})
        wizard.import_file_button()
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", self.camt_journal.id)], order="id")

    def _ar_run_cron(self):
        """What the scheduler does after the import triggered the matcher."""
        cron = self.env.ref("ar_collections_cash.ir_cron_ar_cash_match")
        self.assertTrue(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
                        "importing a statement triggers the matcher")
        while self.env["account.bank.statement.line"]._cron_ar_cash_match()["done"]:
            pass

    def test_oca_sample_camt053_is_matched(self):
        """The sample statement OCA's module ships: its incoming transfer from a known account
        pays our customer's invoice of that amount."""
        customer = self.env["res.partner"].create({"name": "Sample Payer", "is_company": True})
        self.env["res.partner.bank"].create({"acc_number": "NL69ABNA0522123643", "partner_id": customer.id})
        invoice = self._ar_invoice(customer, 1405.31, days_overdue=2, currency=self.eur)
        with open(file_path("account_statement_import_camt/tests/samples/test-camt053"), "rb") as sample:
            lines = self._ar_import(sample.read())
        incoming = lines.filtered(lambda line: line.amount > 0)
        self.assertEqual(set(incoming.mapped("ar_match_status")), {"pending"})
        self.assertFalse((lines - incoming).filtered("ar_match_status"), "outgoing lines are not payments")
        self._ar_run_cron()
        line = incoming.filtered(lambda line: line.amount == 1405.31)
        self.assertEqual(self._ar_applied(line).invoice_ids, invoice)
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_own_camt053_with_the_cases_of_real_banks(self):
        sales = self.company_data["default_journal_sale"]
        sales.invoice_reference_model = "euro"
        kestrel = self.env["res.partner"].create({"name": "Kestrel Engineering GmbH", "is_company": True})
        inv_ustrd = self._ar_invoice(self.payer, 410.0, days_overdue=3, currency=self.eur)
        inv_rf = self._ar_invoice(self.payer, 420.0, days_overdue=3, currency=self.eur)
        paid = self._ar_invoice(self.payer, 430.0, days_overdue=9, currency=self.eur)
        self._ar_pay(paid, 430.0)
        same_amount = self._ar_invoice(self.payer, 430.0, days_overdue=3, currency=self.eur)
        inv_net = self._ar_invoice(self.payer, 1000.0, days_overdue=3, currency=self.eur)
        note = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.payer.id, "invoice_date": self.today,
            "currency_id": self.eur.id,
            "invoice_line_ids": [Command.create({"name": "Returned goods", "quantity": 1, "price_unit": 150.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        note.action_post()
        inv_typo = self._ar_invoice(kestrel, 730.0, days_overdue=3, currency=self.eur)
        inv_sepa = self._ar_invoice(self.payer, 440.0, days_overdue=3, currency=self.eur)
        self.assertEqual(inv_rf.payment_reference, format_structured_reference_iso(inv_rf.id))
        amounts = {"amount_ustrd": 410.0, "amount_rf": 420.0, "amount_paid": 430.0, "amount_net": 850.0,
                   "amount_typo": 730.0, "amount_sepa": 440.0}
        with file_open("ar_collections_cash/tests/camt/cash_cases.camt053.xml") as template:
            content = template.read().format(
                date=self.today.isoformat(), msg_id=self.today.strftime("%Y%m%d"),
                closing=f"{sum(amounts.values()) - 99.0:.2f}",
                inv_ustrd=inv_ustrd.name, rf_ref=inv_rf.payment_reference.replace(" ", ""), paid=paid.name,
                inv_net=inv_net.name, inv_sepa=inv_sepa.name, **{k: f"{v:.2f}" for k, v in amounts.items()})
        lines = self._ar_import(content.encode())
        self.assertEqual(len(lines), 7)
        self._ar_run_cron()
        by_amount = {line.amount: line for line in lines}
        for amount, invoices in ((410.0, inv_ustrd), (420.0, inv_rf), (850.0, inv_net | note), (440.0, inv_sepa)):
            with self.subTest(amount=amount):
                self.assertEqual(self._ar_applied(by_amount[amount]).invoice_ids, invoices)
        duplicate = by_amount[430.0]
        self.assertFalse(self._ar_applied(duplicate), "a second payment of a paid invoice is never applied")
        self.assertIn(f"names {paid.name} which is already paid", duplicate.ar_suggestion_ids[:1].signals)
        self.assertEqual(same_amount.amount_residual, 430.0)
        typo = by_amount[730.0]
        self.assertFalse(self._ar_applied(typo))
        self.assertEqual(typo.ar_suggestion_ids[:1].invoice_ids, inv_typo)
        self.assertFalse(by_amount[-99.0].ar_match_status, "the outgoing payment is left alone")
