from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashPayers(ArCashCommon):
    """Who paid: legal forms however written, names with typos, groups and branches."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.holding = cls.env["res.partner"].create({"name": "Vandenberg Holding N.V.", "is_company": True})
        cls.subsidiary = cls.env["res.partner"].create({
            "name": "Vandenberg Logistics B.V.", "is_company": True, "parent_id": cls.holding.id})
        cls.holding_bank = cls.env["res.partner.bank"].create({
            "acc_number": "NL02 ABNA 0123 4567 89", "partner_id": cls.holding.id})
        cls.branch = cls.env["res.partner"].create({
            "name": "Northwind Traders Ghent", "is_company": True, "parent_id": cls.payer.id})
        cls.branch_bank = cls.env["res.partner.bank"].create({
            "acc_number": "BE68 5390 0754 7034", "partner_id": cls.branch.id})

    def test_legal_form_written_with_dots_identifies_the_customer(self):
        customer = self.env["res.partner"].create({"name": "Dijkstra Bouw B.V.", "is_company": True})
        invoice = self._ar_invoice(customer, 1250.0, days_overdue=3)
        st_line = self._ar_bank_line(1250.0, "/TRTP/SEPA OVERBOEKING/NAME/DIJKSTRA BOUW BV/REMI/BETALING")
        self._ar_match(st_line)
        self.assertEqual(st_line.ar_suggestion_ids[:1].invoice_ids, invoice)
        self.assertIn("name Dijkstra Bouw", st_line.ar_suggestion_ids[:1].signals)

    def test_typo_in_the_payers_name_is_found_by_fuzzy_matching(self):
        customer = self.env["res.partner"].create({"name": "Kestrel Engineering GmbH", "is_company": True})
        invoice = self._ar_invoice(customer, 730.0, days_overdue=3)
        st_line = self._ar_bank_line(730.0, "Zahlung", partner_name="KESTRELL ENGINERING GMBH")
        self._ar_match(st_line)
        best = st_line.ar_suggestion_ids[:1]
        self.assertEqual(best.invoice_ids, invoice)
        self.assertIn("~ Kestrel Engineering GmbH", best.signals)
        self.assertFalse(self._ar_applied(st_line), "a name alone is a suggestion")

    def test_holding_pays_a_subsidiarys_invoice_by_reference(self):
        invoice = self._ar_invoice(self.subsidiary, 900.0, days_overdue=5)
        st_line = self._ar_bank_line(900.0, f"Invoice {invoice.name}", account_number=self.holding_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, invoice, "the group's payer is not another customer")
        self.assertNotIn("another customer", match.signals)

    def test_branch_with_its_own_account_pays_for_its_head_office(self):
        invoice = self._ar_invoice(self.payer, 415.0, days_overdue=5)
        st_line = self._ar_bank_line(415.0, f"Payment {invoice.name}", account_number=self.branch_bank.acc_number)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice, "by reference: applied")
        other = self._ar_invoice(self.payer, 416.0, days_overdue=5)
        st_line = self._ar_bank_line(416.0, "Payment", account_number=self.branch_bank.acc_number)
        self._ar_match(st_line)
        self.assertEqual(st_line.ar_suggestion_ids[:1].invoice_ids, other, "by amount: suggested")
        self.assertIn("same group as Northwind Traders", st_line.ar_suggestion_ids[:1].signals)
