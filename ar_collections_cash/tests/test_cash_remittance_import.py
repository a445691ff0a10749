import base64
import csv
import io
from datetime import date
from unittest.mock import patch

import openpyxl

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.hostile_catalogue import (
    FAR_FUTURE,
    INF,
    NAN,
    NOT_A_NUMBER,
    SCRIPT,
    ArHostileCatalogue,
)
from odoo.addons.ar_collections_cash.wizard.ar_remittance_import import MAX_ERRORS_SHOWN, MAX_FILE_BYTES

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashRemittanceImport(ArCashCommon):
    """Importing customers' remittance advices from CSV: grouping, every validation error, all or
    nothing, company isolation and the exceptions queue looked at again."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv_a = cls._ar_invoice(cls.payer, 1234.56, days_overdue=10)
        cls.inv_b = cls._ar_invoice(cls.payer, 800.0, days_overdue=5)
        cls.inv_c = cls._ar_invoice(cls.customer, 450.0, days_overdue=3)

    def _import(self, content, file_name="remittances.csv", user=None, company=None):
        """Run the import of ``content`` (text: UTF-8; bytes: as is) as ``user``; its action."""
        data = content.encode() if isinstance(content, str) else content
        env = self.env(user=user) if user else self.env
        if company:
            env = env(context=dict(env.context, allowed_company_ids=company.ids))
        wizard = env["ar.remittance.import"].create({"file": base64.b64encode(data), "file_name": file_name})
        return wizard.action_import()

    def _remittances(self):
        return self.env["ar.remittance"].search([])

    def _assert_refused(self, content, *messages):
        """Importing ``content`` raises one error saying each of ``messages``, and creates nothing."""
        before = self._remittances()
        with self.assertRaises(UserError) as caught:
            self._import(content)
        for message in messages:
            self.assertIn(message, str(caught.exception))
        self.assertEqual(self._remittances(), before, "nothing imported")
        return str(caught.exception)

    # ------------------------------------------------------------------
    # What is imported
    # ------------------------------------------------------------------
    def test_rows_are_grouped_by_payment_reference(self):
        action = self._import(
            "Payment Reference,Invoice,Amount,Date\n"
            f"PAY-001,{self.inv_a.name},\"1,234.56\",2025-01-31\n"
            f"PAY-001,{self.inv_b.name},300.00,2025-02-01\n"
            f"PAY-002,{self.inv_c.name},450,\n", file_name="march.csv")
        remittances = self.env["ar.remittance"].search(action["domain"], order="name")
        self.assertRecordValues(remittances, [
            {"name": "PAY-001", "partner_id": self.payer.id, "amount": 1534.56, "state": "open",
             "company_id": self.company.id, "currency_id": self.company.currency_id.id, "file_name": "march.csv"},
            {"name": "PAY-002", "partner_id": self.customer.id, "amount": 450.0, "state": "open",
             "company_id": self.company.id, "currency_id": self.company.currency_id.id, "file_name": "march.csv"},
        ])
        self.assertEqual(str(remittances[0].date), "2025-02-01", "the latest date of the payment's rows")
        self.assertEqual(remittances[1].date, self.today, "no date: today")
        self.assertRecordValues(remittances[0].line_ids, [
            {"invoice_ref": self.inv_a.name, "move_id": self.inv_a.id, "amount": 1234.56},
            {"invoice_ref": self.inv_b.name, "move_id": self.inv_b.id, "amount": 300.0},
        ])
        self.assertEqual(action["res_model"], "ar.remittance")

    def _xlsx(self, rows):
        """An XLSX workbook of ``rows`` (values as a spreadsheet keeps them: numbers, dates, text)."""
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        content = io.BytesIO()
        workbook.save(content)
        return content.getvalue()

    def test_xlsx_read_by_odoos_import(self):
        action = self._import(self._xlsx([
            ["Payment Reference", "Invoice", "Amount", "Date"],
            ["PAY-X1", self.inv_a.name, 1234.56, date(2025, 1, 31)],
            ["PAY-X1", self.inv_b.name, 300, date(2025, 2, 1)],
            [None, None, None, None],
            ["PAY-X2", self.inv_c.name, "450,00", None],
        ]), file_name="advice.xlsx")
        remittances = self.env["ar.remittance"].search(action["domain"], order="name")
        self.assertRecordValues(remittances, [
            {"name": "PAY-X1", "partner_id": self.payer.id, "amount": 1534.56, "file_name": "advice.xlsx"},
            {"name": "PAY-X2", "partner_id": self.customer.id, "amount": 450.0, "file_name": "advice.xlsx"},
        ])
        self.assertEqual(str(remittances[0].date), "2025-02-01")
        self.assertEqual(remittances[0].line_ids.move_id, self.inv_a | self.inv_b)

    def test_xlsx_wrong_rows_reported_and_nothing_imported(self):
        with patch.object(self.registry["base_import.import"], "_read_file", autospec=True,
                          side_effect=self.registry["base_import.import"]._read_file) as read_file:
            self._assert_refused(self._xlsx([
                ["payment_reference", "invoice", "amount"],
                ["PAY-X3", self.inv_a.name, 100],
                ["PAY-X4", "INV/1999/99999", "abc"],
            ]), "2 errors", "Row 3: invoice INV/1999/99999 not found", f"Row 3: amount 'abc' {NOT_A_NUMBER}")
        self.assertEqual(read_file.call_count, 1, "the spreadsheet is read by base_import")
        self._assert_refused(self._xlsx([["reference", "total"], ["PAY-X5", 1]]), "no column invoice, amount")

    def test_references_spelled_differently_are_one_payment(self):
        self._import(
            "payment_reference,invoice,amount\n"
            f"PAY-003,{self.inv_a.name},100\n"
            f"pay 003,{self.inv_b.name},200\n")
        remittance = self._remittances()
        self.assertEqual(len(remittance), 1)
        self.assertEqual(remittance.line_ids.move_id, self.inv_a | self.inv_b)

    def test_invoice_numbers_compared_without_case_spaces_or_punctuation(self):
        sloppy = self.inv_a.name.lower().replace("/", " ")
        self._import(f"payment_reference,invoice,amount\nPAY-004,{sloppy},1234.56\n")
        line = self._remittances().line_ids
        self.assertEqual(line.move_id, self.inv_a)
        self.assertEqual(line.invoice_ref, sloppy, "the number as the customer sent it is kept")

    def test_invoice_found_by_its_payment_reference(self):
        self.inv_b.payment_reference = "+++090/9337/55493+++"
        self._import("payment_reference,invoice,amount\nPAY-005,090/9337/55493,800\n")
        self.assertEqual(self._remittances().line_ids.move_id, self.inv_b)

    def test_semicolon_and_tab_separated_files_with_a_bom(self):
        self._import(
            "\ufeffREFERENCE;Invoice number;Amount paid;Customer\n"
            f"PAY-006;{self.inv_a.name};1.234,56;{self.payer.name}\n")
        self._import(
            "payment_ref\tinvoice_no\tpaid\tcurrency\n"
            f"PAY-007\t{self.inv_b.name}\t800\t{self.company.currency_id.name.lower()}\n")
        self.assertRecordValues(self._remittances().sorted("name"), [
            {"name": "PAY-006", "amount": 1234.56}, {"name": "PAY-007", "amount": 800.0}])

    def test_partner_by_vat_and_quoted_cells(self):
        self._import(
            "payment_reference,invoice,amount,partner\n"
            f"\"PAY-008\",\"{self.inv_c.name}\",\"450.00\",\"{self.customer.vat}\"\n")
        self.assertEqual(self._remittances().partner_id, self.customer)

    def test_amount_formats(self):
        parse = self.env["ar.remittance.import"]._ar_parse_amount
        accepted = {
            "1234.56": 1234.56, "1,234.56": 1234.56, "1234,56": 1234.56, "1.234,56": 1234.56,
            "1 234,56": 1234.56, "1\u00a0234.56": 1234.56, "1'234.50": 1234.5, "1,234,567.8": 1234567.8,
            "1.234.567": 1234567.0, "1,234,567": 1234567.0, "0,50": 0.5, "12": 12.0,
            "+15.5": 15.5, " 99.90 ": 99.9, "1234.5600": 1234.56,
        }
        for text, expected in accepted.items():
            self.assertAlmostEqual(parse(text), expected, msg=text)
        refused = {
            "1,234": "ambiguous", "1.234": "ambiguous", "123.456": "ambiguous",
            "": "empty", "abc": NOT_A_NUMBER, str(NAN): NOT_A_NUMBER, str(INF): NOT_A_NUMBER,
            "-inf": NOT_A_NUMBER, "1e5": NOT_A_NUMBER, "12 EUR": NOT_A_NUMBER, "$12": NOT_A_NUMBER,
            "1.2.3": NOT_A_NUMBER, "1,23,456.00": NOT_A_NUMBER, ".5": NOT_A_NUMBER, "12.": NOT_A_NUMBER,
            "\u0661\u0662": NOT_A_NUMBER, "1,234.567,8": NOT_A_NUMBER, SCRIPT: NOT_A_NUMBER,
            "0": "zero", "0.00": "zero", "-0": "zero", "-12.50": "negative",
            "0.125": "more than 2 decimals", "1234,567": "more than 2 decimals",
            "1000000000000": "too large", "99999999999999999999": "too large",
            "9" * 400: "too large",
        }
        for text, reason in refused.items():
            with self.assertRaises(ValueError, msg=text) as caught:
                parse(text)
            self.assertIn(reason, str(caught.exception), text)

    def test_collector_can_import(self):
        self._import(f"payment_reference,invoice,amount\nPAY-009,{self.inv_a.name},1234.56\n",
                     user=self.user_collector)
        self.assertEqual(self._remittances().create_uid, self.user_collector)

    def test_script_in_a_reference_is_kept_as_text(self):
        self._import(f"payment_reference,invoice,amount\n\"{SCRIPT}\",{self.inv_a.name},10\n")
        remittance = self._remittances()
        self.assertEqual(remittance.name, SCRIPT)
        self.assertEqual(remittance._fields["name"].type, "char", "shown escaped, never as HTML")

    # ------------------------------------------------------------------
    # Errors: all of them at once, nothing created
    # ------------------------------------------------------------------
    def test_every_wrong_row_is_reported_with_its_number(self):
        message = self._assert_refused(
            "payment_reference,invoice,amount,date,currency\n"
            f"PAY-010,{self.inv_a.name},100,,\n"                  # 2: right
            f",{self.inv_a.name},100,,\n"                         # 3: no reference
            "PAY-011,,100,,\n"                                    # 4: no invoice
            f"PAY-012,{self.inv_a.name},abc,,\n"                  # 5: not a number
            f"PAY-013,{self.inv_a.name},0,,\n"                    # 6: zero
            f"PAY-014,{self.inv_a.name},-5,,\n"                   # 7: negative
            f"PAY-015,{self.inv_a.name},{NAN},,\n"                # 8: NaN
            f"PAY-016,{self.inv_a.name},{INF},,\n"                # 9: infinite
            f"PAY-017,{self.inv_a.name},1e300,,\n"                # 10: absurd
            f"PAY-018,{self.inv_a.name},5000000000000,,\n"        # 11: absurdly large
            "PAY-019,INV/1999/99999,100,,\n"                      # 12: no such invoice
            f"PAY-020,{SCRIPT},100,,\n"                           # 13: no such invoice either
            f"PAY-021,{self.inv_a.name},100,{FAR_FUTURE},\n"      # 14: date out of range
            f"PAY-022,{self.inv_a.name},100,31/01/2025,\n"        # 15: not an ISO date
            f"PAY-023,{self.inv_a.name},100,,XYZ\n"               # 16: unknown currency
            f"PAY-024,{self.inv_a.name},\"1,234\",,\n"            # 17: ambiguous
            "---,INV,100,,\n",                                    # 18: reference without letters
            "17 errors",
            "Row 3: the payment reference is empty.",
            "Row 4: the invoice number is empty.",
            f"Row 5: amount 'abc' {NOT_A_NUMBER}",
            "Row 6: amount '0' is zero",
            "Row 7: amount '-5' is negative",
            f"Row 8: amount 'nan' {NOT_A_NUMBER}",
            f"Row 9: amount 'inf' {NOT_A_NUMBER}",
            f"Row 10: amount '1e300' {NOT_A_NUMBER}",
            "Row 11: amount '5000000000000' is too large",
            "Row 12: invoice INV/1999/99999 not found among the posted customer invoices",
            f"Row 13: invoice {SCRIPT} not found",
            "Row 14: date 9999-12-31 is out of range",
            "Row 15: date '31/01/2025' is not a date",
            "Row 16: unknown currency 'XYZ'",
            "Row 17: amount '1,234' is ambiguous",
            "Row 18: the payment reference '---' has no letter or digit.",
        )
        self.assertNotIn("Row 2:", message)

    def test_missing_column(self):
        self._assert_refused(f"payment_reference,invoice,total\nPAY-030,{self.inv_a.name},100\n",
                             "Row 1: the file has no column amount", "payment_reference | invoice | total")
        self._assert_refused("just some text\n", "no column payment_reference, invoice, amount")

    def test_row_with_missing_cells(self):
        self._assert_refused(f"payment_reference,invoice,amount\nPAY-031,{self.inv_a.name}\n",
                             "Row 2: amount is empty.")

    def test_not_a_text_file(self):
        self._assert_refused(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "is not a text file in UTF-8")
        self._assert_refused(b"payment_reference,invoice,amount\nPAY\x00,INV,1\n", "is not a text file")
        self._assert_refused("Payment réf,invoice,amount\n".encode("utf-16"), "is not a text file")
        self._assert_refused("   \n\n", "The file is empty.")
        self._assert_refused("payment_reference,invoice,amount\n\n", "has a header but no rows")

    def test_file_too_large(self):
        row = f"PAY-032,{self.inv_a.name},1\n"
        content = "payment_reference,invoice,amount\n" + row * (MAX_FILE_BYTES // len(row) + 1)
        self._assert_refused(content, "larger than 5 MB")

    def test_cell_too_long(self):
        self._assert_refused(f"payment_reference,invoice,amount\n{'P' * 300},{self.inv_a.name},1\n",
                             "Row 2: payment_reference longer than 256 characters")

    def test_at_most_twenty_errors_listed(self):
        rows = "".join(f"PAY-{n},{self.inv_a.name},x\n" for n in range(30))
        message = self._assert_refused("payment_reference,invoice,amount\n" + rows,
                                       "30 errors", "… and 10 more errors.")
        self.assertEqual(message.count("Row "), MAX_ERRORS_SHOWN)

    def test_invoices_of_several_customers_in_one_payment(self):
        self._assert_refused(
            "payment_reference,invoice,amount\n"
            f"PAY-040,{self.inv_a.name},100\n"
            f"PAY-040,{self.inv_c.name},100\n",
            "Row 2: payment PAY-040 (rows 2, 3) pays invoices of several customers "
            "(Northwind Traders, Overdue Industries)")

    def test_same_invoice_twice_in_one_payment(self):
        self._assert_refused(
            "payment_reference,invoice,amount\n"
            f"PAY-041,{self.inv_a.name},100\n"
            f"PAY-041,{self.inv_a.name},100\n",
            f"Row 3: invoice {self.inv_a.name} is already listed for payment PAY-041 on row 2.")

    def test_partner_that_is_not_the_invoices_customer(self):
        self._assert_refused(
            "payment_reference,invoice,amount,partner\n"
            f"PAY-042,{self.inv_a.name},100,Punctual Partners\n",
            f"Row 2: Punctual Partners is not the customer of invoice {self.inv_a.name} (Northwind Traders).")

    def test_currency_mismatch(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": self.company.id,
                                              "name": self.today, "rate": 0.9})
        inv_eur = self._ar_invoice(self.payer, 500.0, days_overdue=2, currency=eur)
        self._assert_refused(
            "payment_reference,invoice,amount,currency\n"
            f"PAY-043,{self.inv_a.name},100,EUR\n",
            f"Row 2: the currency EUR is not the currency of invoice {self.inv_a.name} "
            f"({self.company.currency_id.name}).")
        self._assert_refused(
            "payment_reference,invoice,amount\n"
            f"PAY-044,{self.inv_a.name},100\n"
            f"PAY-044,{inv_eur.name},100\n",
            "Row 2: payment PAY-044 (rows 2, 3) mixes currencies")
        self._import(f"payment_reference,invoice,amount\nPAY-045,{inv_eur.name},500\n")
        self.assertEqual(self._remittances().currency_id, eur, "the invoices' currency")

    def test_payment_reference_already_imported_and_open(self):
        content = f"payment_reference,invoice,amount\nPAY-050,{self.inv_a.name},100\n"
        self._import(content)
        first = self._remittances()
        self._assert_refused(content.replace("PAY-050", "pay 050"),
                             "Row 2: payment pay 050 was already imported (PAY-050)")
        first.action_cancel()
        self._import(content)
        self.assertEqual(len(self._remittances()), 2, "imported again once the first one is cancelled")

    def test_not_an_open_customer_invoice(self):
        self._ar_wrong_kind_documents()
        for document in (self.vendor_bill, self.refund, self.draft_invoice, self.cancelled_invoice):
            self._assert_refused(f"payment_reference,invoice,amount\nPAY-060,{document.name},100\n",
                                 "not found among the posted customer invoices")

    # ------------------------------------------------------------------
    # Companies and the exceptions queue
    # ------------------------------------------------------------------
    def test_invoice_of_another_company_is_refused(self):
        company_b = self.setup_other_company()["company"]
        # two years back: a number company one does not have
        invoice_b = self._ar_invoice(self.payer, 640.0, days_overdue=800, company=company_b)
        self._assert_refused(f"payment_reference,invoice,amount\nPAY-070,{invoice_b.name},640\n",
                             f"Row 2: invoice {invoice_b.name} is not an invoice of {self.company.name}.")
        self.assertNotIn(company_b.name, self._assert_refused(
            f"payment_reference,invoice,amount\nPAY-070,{invoice_b.name},640\n"), "nothing said about the other")
        # imported in its own company, it is found
        self.env.user.company_ids |= company_b
        self._import(f"payment_reference,invoice,amount\nPAY-070,{invoice_b.name},640\n", company=company_b)
        remittance = self._remittances()
        self.assertRecordValues(remittance, [{"company_id": company_b.id, "partner_id": self.payer.id}])
        self.assertEqual(remittance.line_ids.move_id, invoice_b)

    def test_waiting_bank_lines_are_matched_again(self):
        company_b = self.setup_other_company()["company"]
        bank_b = self.env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company_b.id)],
                                                    limit=1)
        queued = self._ar_bank_line(100.0, "unknown payer")
        matched = self._ar_bank_line(200.0, "someone")
        outgoing = self._ar_bank_line(-50.0, "bank fees")
        queued_b = self._ar_bank_line(100.0, "unknown payer", journal=bank_b)
        (queued | matched | queued_b).ar_match_status = "queued"
        matched.ar_match_status = "matched"
        self._import(f"payment_reference,invoice,amount\nPAY-080,{self.inv_a.name},100\n",
                     user=self.user_collector)
        self.assertEqual(queued.ar_match_status, "pending", "the scheduled matcher looks at it again")
        self.assertEqual(matched.ar_match_status, "matched")
        self.assertFalse(outgoing.ar_match_status)
        self.assertEqual(queued_b.ar_match_status, "queued", "another company's queue is not touched")

    def test_imported_advice_splits_the_payment(self):
        self._import(
            "payment_reference,invoice,amount\n"
            f"RA-7781,{self.inv_a.name},1234.56\n"
            f"RA-7781,{self.inv_b.name},500.00\n")
        st_line = self._ar_bank_line(1734.56, "NORTHWIND REMITTANCE RA-7781")
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.rule, "remittance")
        self.assertEqual(self.inv_a.amount_residual, 0.0)
        self.assertEqual(self.inv_b.amount_residual, 300.0, "the advice's share, not the whole invoice")
        self.assertEqual(self._remittances().state, "matched")


def csv_rows(*rows, header="payment_reference,invoice,amount,date,currency"):
    """A remittance file of ``rows`` (callables of the test give their text)."""
    return lambda t: "\n".join([header, *(row(t) if callable(row) else row for row in rows)]) + "\n"


def invoice_row(attribute, amount="100", ref="PAY-H", date="", currency=""):
    return lambda t: f"{ref},{getattr(t, attribute).name},{amount},{date},{currency}"


# (label, file content, message of the refusal)
IMPORT_CASES = [
    ("amount NaN", csv_rows(invoice_row("inv_a", str(NAN))), NOT_A_NUMBER),
    ("amount infinite", csv_rows(invoice_row("inv_a", str(INF))), NOT_A_NUMBER),
    ("amount minus infinite", csv_rows(invoice_row("inv_a", str(-INF))), NOT_A_NUMBER),
    ("amount overflowing a float", csv_rows(invoice_row("inv_a", "1e309")), NOT_A_NUMBER),
    ("amount absurdly large", csv_rows(invoice_row("inv_a", "1" + "0" * 15)), "too large"),
    ("amount negative", csv_rows(invoice_row("inv_a", "-100")), "negative"),
    ("amount zero", csv_rows(invoice_row("inv_a", "0.00")), "zero"),
    ("amount ambiguous", csv_rows(invoice_row("inv_a", '"1,234"')), "ambiguous"),
    ("amount with more decimals than the currency", csv_rows(invoice_row("inv_a", "10.0001")), "decimals"),
    ("amount in another script's digits", csv_rows(invoice_row("inv_a", "\u0661\u0660\u0660")), NOT_A_NUMBER),
    ("script as amount", csv_rows(invoice_row("inv_a", f'"{SCRIPT}"')), NOT_A_NUMBER),
    ("script as invoice number", csv_rows(f"PAY-H,\"{SCRIPT}\",100,,"), "not found"),
    ("date far in the future", csv_rows(invoice_row("inv_a", date=FAR_FUTURE.isoformat())), "out of range"),
    ("date not ISO", csv_rows(invoice_row("inv_a", date="31.12.2025")), "is not a date"),
    ("unknown currency", csv_rows(invoice_row("inv_a", currency="EURO")), "unknown currency"),
    ("empty payment reference", csv_rows(invoice_row("inv_a", ref="")), "payment reference is empty"),
    ("payment reference of punctuation only", csv_rows(invoice_row("inv_a", ref="#-/")), "has no letter or digit"),
    ("reference longer than a reference", csv_rows(invoice_row("inv_a", ref="R" * 5000)), "longer than"),
    ("invoice of another company", csv_rows(invoice_row("invoice_b")), "is not an invoice of"),
    ("vendor bill number", csv_rows(invoice_row("vendor_bill")), "not found"),
    ("credit note number", csv_rows(invoice_row("refund")), "not found"),
    ("cancelled invoice", csv_rows(invoice_row("cancelled_invoice")), "not found"),
    ("invoices of two customers in one payment",
     csv_rows(invoice_row("inv_a"), invoice_row("inv_c")), "several customers"),
    ("same invoice twice in one payment", csv_rows(invoice_row("inv_a"), invoice_row("inv_a")), "already listed"),
    ("currency of the row is not the invoice's", csv_rows(invoice_row("inv_eur", currency="USD")),
     "is not the currency of invoice"),
    ("one good row and one bad", csv_rows(invoice_row("inv_a", ref="PAY-OK"), invoice_row("inv_b", "x")),
     NOT_A_NUMBER),
    ("payment reference already imported and open", csv_rows(invoice_row("inv_a", ref="pay open 1")),
     "already imported"),
    ("no amount column", csv_rows("PAY-H,INV", header="payment_reference,invoice"), "no column amount"),
    ("binary file", lambda t: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "is not a text file"),
    ("UTF-16 file", lambda t: "payment_reference,invoice,amount\nP,I,1\n".encode("utf-16"), "is not a text file"),
    ("file larger than 5 MB", lambda t: "payment_reference,invoice,amount\n" + "P,I,1\n" * (MAX_FILE_BYTES // 6 + 1),
     "larger than 5 MB"),
    ("unterminated quote over a huge cell", lambda t: "payment_reference,invoice,amount\n\"" + "x" * 200000,
     "cannot be read"),
]
HOSTILE_CASES = [f"remittance import: {label}" for label, *_rest in IMPORT_CASES] + [
    "remittance import: script in a reference kept as plain text"]
RESULTS = []


@tagged("post_install", "-at_install")
class TestCashRemittanceImportHostile(ArHostileCatalogue, ArCashCommon):
    """The hostile-input catalogue of the remittance import: each file is refused with a clear
    error and imports nothing, not even its good rows."""

    catalogue_source = "back-office hostile input: remittance import"
    catalogue_results = RESULTS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._ar_wrong_kind_documents()
        cls.inv_a = cls._ar_invoice(cls.payer, 1234.56, days_overdue=10)
        cls.inv_b = cls._ar_invoice(cls.payer, 800.0, days_overdue=5)
        cls.inv_c = cls._ar_invoice(cls.customer, 450.0, days_overdue=3)
        company_b = cls.setup_other_company(name="AR Remittance B")["company"]
        cls.invoice_b = cls._ar_invoice(cls.payer, 640.0, days_overdue=800, company=company_b)
        cls.env["ar.remittance"].create({"name": "PAY-OPEN-1", "partner_id": cls.payer.id, "line_ids": [
            Command.create({"invoice_ref": cls.inv_b.name, "move_id": cls.inv_b.id, "amount": 10.0})]})
        cls.queued = cls._ar_bank_line(100.0, "unknown payer")
        cls.queued.ar_match_status = "queued"

    def _read_counts(self, env):
        return {
            "remittances": [(r.id, r.name, r.state, r.amount) for r in env["ar.remittance"].search([])],
            "remittance lines": [(line.id, line.move_id.id, line.amount)
                                 for line in env["ar.remittance.line"].search([])],
            "bank lines": [(line.id, line.ar_match_status)
                           for line in env["account.bank.statement.line"].search([])],
        }

    def _send(self, content):
        data = content.encode() if isinstance(content, str) else content
        wizard = self.env["ar.remittance.import"].with_user(self.user_collector).create(
            {"file": base64.b64encode(data), "file_name": "hostile.csv"})
        return wizard.action_import()

    def test_hostile_files(self):
        # the csv field size limit of a server started by odoo-bin (odoo/cli/server.py), not
        # Python's default one that a test process may have
        self.addCleanup(csv.field_size_limit, csv.field_size_limit(500 * 1024 * 1024))
        for label, content, message in IMPORT_CASES:
            self._attack(f"remittance import: {label}", lambda content=content: self._send(self._resolve(content)),
                         UserError, message)
        self._assert_no_failures()

    def test_script_in_a_reference_is_plain_text(self):
        self._send(f"payment_reference,invoice,amount\n\"{SCRIPT}\",{self.inv_a.name},10\n")
        remittance = self.env["ar.remittance"].search([("name", "=", SCRIPT)])
        self._record("remittance import: script in a reference kept as plain text",
                     len(remittance) == 1 and remittance._fields["name"].type == "char"
                     and remittance.line_ids.move_id == self.inv_a, remittance.read(["name"]))
        self._assert_no_failures()

    def test_zz_catalogue_is_complete(self):
        """Every case of HOSTILE_CASES was tried by the tests above (named to run last)."""
        self._assert_catalogue_complete(HOSTILE_CASES)
