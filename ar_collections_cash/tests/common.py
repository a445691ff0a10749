from odoo import Command

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


class ArCashCommon(ArCollectionsCommon):
    """Cash application scenario: a bank journal, customers with known bank accounts and VAT,
    and helpers to create incoming bank lines and run the matcher."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.customer.vat = "BE0477472701"
        cls.customer_bank = cls.env["res.partner.bank"].create({
            "acc_number": "BE71 0961 2345 6769", "partner_id": cls.customer.id})
        cls.other_bank = cls.env["res.partner.bank"].create({
            "acc_number": "NL91 ABNA 0417 1643 00", "partner_id": cls.other_customer.id})
        # The demo scenario's invoices are in the way of amount-only tests: each test makes its own.
        cls.payer = cls.env["res.partner"].create({"name": "Northwind Traders", "is_company": True})
        cls.payer_bank = cls.env["res.partner.bank"].create({
            "acc_number": "DE89 3704 0044 0532 0130 00", "partner_id": cls.payer.id})

    @classmethod
    def _ar_bank_line(cls, amount, label="", account_number=None, partner=None, journal=None, **vals):
        """An incoming bank statement line as a bank file would bring it."""
        return cls.env["account.bank.statement.line"].create({
            "journal_id": (journal or cls.bank_journal).id,
            "date": cls.today,
            "payment_ref": label,
            "amount": amount,
            "account_number": account_number,
            "partner_id": partner.id if partner else False,
            **vals,
        })

    def _ar_match(self, *lines):
        """Run the matcher on ``lines`` as the scheduled action does."""
        lines = self.env["account.bank.statement.line"].concat(*lines)
        return lines._ar_cash_match()

    def _ar_applied(self, st_line):
        return st_line.ar_match_ids.filtered(lambda m: m.state == "applied")

    def _ar_set_writeoff_account(self):
        account = self.env["account.account"].create({
            "name": "Short payments", "code": "658100", "account_type": "expense",
            "company_ids": [Command.set(self.company.ids)]})
        self.company.ar_cash_writeoff_account_id = account
        return account

    @classmethod
    def _ar_fee_account(cls):
        """The company's bank charges account (an expense account)."""
        return cls.env["account.account"].create({
            "name": "Bank charges", "code": "627100", "account_type": "expense",
            "company_ids": [Command.set(cls.company.ids)]})
