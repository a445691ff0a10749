from odoo.tests import tagged

from odoo.addons.account.tools.structured_reference import format_structured_reference_iso

from .common import ArCashCommon
from .test_cash_label_reader import be_reference, fi_reference


@tagged("post_install", "-at_install")
class TestCashStatementFormats(ArCashCommon):
    """The matcher applies lines written in the banks' formats and Odoo's payment references."""

    def _ar_assert_applied(self, st_line, invoice):
        self._ar_match(st_line)
        self.assertEqual(self._ar_applied(st_line).invoice_ids, invoice, st_line.payment_ref)

    def test_formats_carrying_the_invoice_number(self):
        for index, template in enumerate([
            "EREF+{name} MREF+M-1 SVWZ+Rechnung",
            "166?00GUTSCHRIFT?20EREF+NOTPROVIDED?21SVWZ+RE {head}?22{tail}?32NORTHWIND TRADERS",
            "/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/NORTHWIND/REMI/{name}/EREF/NOTPROVIDED",
            "ACH CREDIT NORTHWIND CCD RMR*IV*{compact}*{amount}\\N1*PR*NORTHWIND TRADERS\\",
            "FEDWIRE CREDIT VIA: CITIBANK /OBI/{spaced} /RFB/OUR REF 77 ORG=NORTHWIND TRADERS",
            "FASTER PAYMENT NORTHWIND TRADERS REF.{compact}",
            "<RmtInf><Ustrd>Invoice {name}</Ustrd></RmtInf>",
            "<RmtInf><Strd><RfrdDocInf><Nb>{name}</Nb></RfrdDocInf></Strd></RmtInf>",
        ]):
            with self.subTest(template=template):
                amount = 500.0 + index
                invoice = self._ar_invoice(self.payer, amount, days_overdue=2)
                name = invoice.name
                label = template.format(name=name, head=name[:8], tail=name[8:], compact=name.replace("/", ""),
                                        spaced=name.replace("/", " "), amount=f"{amount:.2f}")
                self._ar_assert_applied(self._ar_bank_line(amount, label), invoice)

    def test_odoo_payment_references_of_each_model(self):
        """What the journal's invoice_reference_model puts in the invoice's payment reference
        (euro from account; be, fi as their l10n modules compute it) is read in the label."""
        invoice = self._ar_invoice(self.payer, 610.0, days_overdue=2, post=False)
        invoice.journal_id.invoice_reference_model = "euro"
        invoice.action_post()
        self.assertEqual(invoice.payment_reference, format_structured_reference_iso(invoice.id))
        written = [f"<Strd><CdtrRefInf><Ref>{invoice.payment_reference.replace(' ', '')}</Ref></CdtrRefInf></Strd>"]
        for index, make in enumerate([be_reference, lambda _i: fi_reference(f"2026{_i:05d}")]):
            other = self._ar_invoice(self.payer, 620.0 + index, days_overdue=2)
            other.payment_reference = make(other.id)
            written.append(f"Betaling {other.payment_reference}")
            self._ar_assert_applied(self._ar_bank_line(620.0 + index, written[-1]), other)
        self._ar_assert_applied(self._ar_bank_line(610.0, written[0]), invoice)
