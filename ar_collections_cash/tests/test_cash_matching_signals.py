from odoo.tests import tagged

from odoo.addons.ar_collections.tests.hostile_catalogue import SCRIPT

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashMatchingSignals(ArCashCommon):
    """What identifies the invoices and the payer of a bank line."""

    def test_exact_reference_and_amount_is_applied_and_logged(self):
        invoice = self._ar_invoice(self.payer, 420.0, days_overdue=3)
        st_line = self._ar_bank_line(420.0, f"Payment {invoice.name} thank you")
        stats = self._ar_match(st_line)
        self.assertEqual(stats, {"lines": 1, "applied": 1, "queued": 0})
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(st_line.ar_match_status, "matched")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        match = self._ar_applied(st_line)
        self.assertRecordValues(match, [{
            "rule": "reference", "applied_auto": True, "applied_by_id": self.env.uid,
            "partner_id": self.payer.id, "difference_kind": "exact"}])
        self.assertGreaterEqual(match.confidence, self.company.ar_cash_auto_confidence)
        self.assertIn(f"reference {invoice.name}", match.signals)
        self.assertTrue(match.counterpart_line_ids)

    def test_reference_tolerates_spacing_case_punctuation_and_missing_prefix(self):
        for index, make_label in enumerate([
            lambda name: name.lower(),
            lambda name: name.replace("/", " "),
            lambda name: name.replace("/", "-"),
            lambda name: name.replace("/", ""),
            lambda name: "ref " + name.split("/", 1)[1],  # "2026/00012": the journal prefix dropped
            lambda name: "ref " + name.split("/")[1] + "/" + str(int(name.split("/")[2])),  # leading zeros dropped
        ]):
            with self.subTest(variant=index):
                invoice = self._ar_invoice(self.payer, 100.0 + index, days_overdue=1)
                st_line = self._ar_bank_line(100.0 + index, make_label(invoice.name))
                self._ar_match(st_line)
                self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice, make_label(invoice.name))
                self.assertEqual(invoice.amount_residual, 0.0)

    def test_several_references_in_one_label_pay_each_invoice(self):
        first = self._ar_invoice(self.payer, 300.0, days_overdue=9)
        second = self._ar_invoice(self.payer, 150.0, days_overdue=2)
        st_line = self._ar_bank_line(450.0, f"{first.name},{second.name}")
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, first | second)
        self.assertEqual(sorted(match.line_ids.mapped("amount")), [150.0, 300.0])
        self.assertEqual((first | second).mapped("amount_residual"), [0.0, 0.0])

    def test_typo_in_reference_matches_the_payers_invoice_by_bank_account(self):
        invoice = self._ar_invoice(self.payer, 275.0, days_overdue=4)
        digits = invoice.name.replace("/", "")
        typo = digits[:-2] + digits[-1] + digits[-2]  # last two digits swapped
        st_line = self._ar_bank_line(275.0, typo, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.rule, "reference_fuzzy")
        self.assertEqual(match.invoice_ids, invoice)

    def test_typo_without_a_known_payer_is_not_guessed(self):
        invoice = self._ar_invoice(self.payer, 276.0, days_overdue=4)
        digits = invoice.name.replace("/", "")
        typo = digits[:-2] + digits[-1] + digits[-2]
        st_line = self._ar_bank_line(276.5, typo)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled)
        self.assertEqual(st_line.ar_match_status, "queued")
        self.assertFalse(self._ar_applied(st_line))

    def test_payer_by_bank_account_and_exact_amount(self):
        invoice = self._ar_invoice(self.payer, 812.4, days_overdue=6)
        self._ar_invoice(self.payer, 99.0, days_overdue=1)
        st_line = self._ar_bank_line(812.4, "TRANSFER", account_number="de89370400440532013000")
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.invoice_ids, invoice)
        self.assertEqual(match.rule, "amount")
        self.assertIn("bank account", match.signals)

    def test_payer_by_vat_in_label(self):
        self.payer.vat = "FR40303265045"
        invoice = self._ar_invoice(self.payer, 615.0, days_overdue=2)
        st_line = self._ar_bank_line(615.0, "SEPA CT FR 40303265045 SUPPLIER PAYMENT")
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)

    def test_payer_by_name_only_is_suggested_not_applied(self):
        invoice = self._ar_invoice(self.payer, 333.0, days_overdue=2)
        st_line = self._ar_bank_line(333.0, "NORTHWIND TRADERS LTD")
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled)
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertEqual(suggestion.invoice_ids, invoice)
        self.assertIn("name Northwind Traders", suggestion.signals)
        self.assertLess(suggestion.confidence, self.company.ar_cash_auto_confidence)

    def test_partner_set_on_the_bank_line_identifies_the_payer(self):
        invoice = self._ar_invoice(self.payer, 128.0, days_overdue=2)
        st_line = self._ar_bank_line(128.0, "invoice", partner=self.payer)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)

    def test_reference_of_another_customer_than_the_payer_waits_for_a_person(self):
        invoice = self._ar_invoice(self.other_customer, 140.0, days_overdue=2)
        st_line = self._ar_bank_line(140.0, invoice.name, account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled)
        self.assertIn("another customer", st_line.ar_suggestion_ids[:1].signals)

    def test_amount_alone_is_never_applied(self):
        invoice = self._ar_invoice(self.payer, 4321.09, days_overdue=2)
        st_line = self._ar_bank_line(4321.09, "MISC CREDIT")
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled)
        self.assertEqual(st_line.ar_suggestion_ids[:1].invoice_ids, invoice)

    def test_remittance_advice_splits_the_line_exactly(self):
        first = self._ar_invoice(self.payer, 500.0, days_overdue=9)
        second = self._ar_invoice(self.payer, 700.0, days_overdue=3)
        remittance = self.env["ar.remittance"].create({
            "name": "RA-2026-0042", "partner_id": self.payer.id,
            "line_ids": [(0, 0, {"invoice_ref": first.name, "move_id": first.id, "amount": 500.0}),
                         (0, 0, {"invoice_ref": second.name, "move_id": second.id, "amount": 400.0})],
        })
        st_line = self._ar_bank_line(900.0, "PAYMENT RA 2026 0042")
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        self.assertEqual(match.rule, "remittance")
        self.assertEqual(first.amount_residual, 0.0)
        self.assertEqual(second.amount_residual, 300.0, "the advice says 400 of the 700: the rest stays open")
        self.assertRecordValues(remittance, [{"state": "matched", "statement_line_id": st_line.id}])

    def test_remittance_reference_with_the_number_of_a_paid_invoice_is_not_a_second_payment(self):
        """The advice's reference "REM-2026-<n>" carries digits that are also the sequence number
        of a paid invoice: the advice lists open invoices adding up to the amount, it is applied."""
        paid = self._ar_invoice(self.payer, 510.0, days_overdue=12)
        self._ar_pay(paid, 510.0)
        invoice = self._ar_invoice(self.payer, 510.0, days_overdue=3)
        number = int(paid.name.rsplit("/", 1)[-1])
        self.env["ar.remittance"].create({
            "name": f"REM-2026-{number:05d}", "partner_id": self.payer.id,
            "line_ids": [(0, 0, {"invoice_ref": invoice.name, "move_id": invoice.id, "amount": 510.0})],
        })
        st_line = self._ar_bank_line(510.0, f"REMIT REM-2026-{number:05d}", partner_name="NORTHWIND TRADERS")
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)
        self.assertEqual(paid.amount_residual, 0.0)

    def test_remittance_advice_of_a_paid_invoice_is_not_applied(self):
        paid = self._ar_invoice(self.payer, 530.0, days_overdue=12)
        self._ar_pay(paid, 530.0)
        self.env["ar.remittance"].create({
            "name": "RA-2026-0077", "partner_id": self.payer.id,
            "line_ids": [(0, 0, {"invoice_ref": paid.name, "move_id": paid.id, "amount": 530.0})],
        })
        st_line = self._ar_bank_line(530.0, "PAYMENT RA 2026 0077", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled, "the advice lists an invoice already paid")

    def test_sequence_number_and_exact_amount_from_a_payer_known_by_name(self):
        """ACH addenda "RMR*IV*<number>*<amount>": the invoice's sequence number only, the payer
        by name only; with the invoice's exact amount it is applied."""
        invoice = self._ar_invoice(self.payer, 491.61, days_overdue=4)
        self._ar_invoice(self.payer, 800.0, days_overdue=2)
        number = int(invoice.name.rsplit("/", 1)[-1])
        label = f"ORIG CO NAME:NORTHWIND TRADERS ADDENDA: RMR*IV*{number}*491.61~N1*PR*NORTHWIND TRADERS~"
        st_line = self._ar_bank_line(491.61, label)
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)

    def test_sequence_number_of_another_amount_from_a_payer_known_by_name_waits(self):
        invoice = self._ar_invoice(self.payer, 640.0, days_overdue=4)
        number = int(invoice.name.rsplit("/", 1)[-1])
        st_line = self._ar_bank_line(600.0, f"Invoice no {number}", partner_name="NORTHWIND TRADERS")
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled)

    def test_outgoing_lines_are_left_alone(self):
        invoice = self._ar_invoice(self.payer, 50.0, days_overdue=2)
        st_line = self._ar_bank_line(-50.0, invoice.name)
        self.assertFalse(st_line.ar_match_status)
        self._ar_match(st_line)
        self.assertFalse(st_line.ar_match_ids)
        self.assertEqual(invoice.amount_residual, 50.0)

    def test_hostile_labels_are_read_not_trusted(self):
        invoice = self._ar_invoice(self.payer, 77.0, days_overdue=2)
        labels = [
            SCRIPT, "", " ", "/-/-/", "0" * 5000, " ".join(["INV"] * 3000), "２０２６／０００１２",
            "\t\n\r", "'; DROP TABLE account_move; --", "🙂" * 200, "%s %(name)s {0}",
        ]
        lines = [self._ar_bank_line(12.34, label) for label in labels]
        self._ar_match(*lines)
        for st_line, label in zip(lines, labels, strict=True):
            self.assertFalse(st_line.is_reconciled, label[:40])
            self.assertEqual(st_line.ar_match_status, "queued")
        self.assertEqual(invoice.amount_residual, 77.0)
        # the right amount with the reference inside markup is still the customer's payment
        st_line = self._ar_bank_line(77.0, f"<b>{invoice.name}</b>")
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice)
