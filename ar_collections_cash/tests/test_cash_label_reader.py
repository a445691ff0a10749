from odoo.tests import BaseCase, tagged

from odoo.addons.account.tools.structured_reference import format_structured_reference_iso

from ..tools import label_reader
from ..tools.label_reader import read


def keys(reading):
    return [ref.key for ref in reading.references]


def be_reference(number):
    """Belgian OGM-VCS of ``number`` as l10n_be's ``_get_invoice_reference_be_invoice`` makes it."""
    base = str(number).rjust(10, "0")
    return f"+++{base[:3]}/{base[3:7]}/{base[7:]}{int(base) % 97 or 97:02d}+++"


def fi_reference(name):
    """Finnish reference of an invoice number as l10n_fi's ``compute_payment_reference_finnish``."""
    digits = "".join(c for c in name if c.isdigit())
    total = sum((7, 3, 1)[i % 3] * int(d) for i, d in enumerate(digits[::-1]))
    return digits + str((10 - total % 10) % 10)


def luhn_reference(digits):
    """Norwegian KID / Swedish OCR: digits and their Luhn check digit."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return digits + str((10 - total % 10) % 10)


@tagged("post_install", "-at_install")
class TestCashLabelReader(BaseCase):
    """Bank-line text as banks send it: each format's fields become references, names, accounts."""

    def test_sepa_keywords(self):
        reading = read("EREF+INV/2026/00012 MREF+M-778 CRED+DE98ZZZ09999999999 "
                       "SVWZ+Rechnung INV/2026/00013 ABWA+Nordlicht Handels GmbH")
        self.assertEqual(keys(reading), ["INV202600012"])
        self.assertEqual(reading.text, "Rechnung INV/2026/00013")
        self.assertEqual(reading.names, ["Nordlicht Handels GmbH"])
        self.assertNotIn("DE98ZZZ", reading.text, "the creditor id is not remittance text")

    def test_sepa_empty_reference_is_ignored(self):
        reading = read("EREF+NOTPROVIDED SVWZ+INV 2026 00123")
        self.assertEqual(keys(reading), [])
        self.assertEqual(reading.text, "INV 2026 00123")

    def test_mt940_subfields_wrapped_mid_word_are_glued(self):
        reading = read("166?00GUTSCHRIFT?109310?20EREF+NOTPROVIDED?21SVWZ+RE INV/2026/0?220123 DANKE"
                       "?30COBADEFFXXX?31DE89370400440532013000?32NORDLICHT HANDELS GMB?33H")
        self.assertEqual(reading.text, "RE INV/2026/00123 DANKE")
        self.assertEqual(reading.names, ["NORDLICHT HANDELS GMBH"])
        self.assertEqual(reading.accounts, ["DE89370400440532013000"])

    def test_mt940_sepa_keyword_glued_to_the_previous_value(self):
        reading = read("166?00GUTSCHRIFT?20EREF+NOTPROVIDEDSVWZ+RE INV/2026/00?21123?32NORTHWIND")
        self.assertEqual(reading.text, "RE INV/2026/00123")

    def test_dutch_unstructured_sub_tag(self):
        reading = read("/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/INGBNL2A/NAME/ACME/REMI/USTD//25.09.2026 "
                       "INV/2025/09470/EREF/NOTPROVIDED")
        self.assertEqual(reading.text, "25.09.2026 INV/2025/09470")

    def test_dutch_structured_86(self):
        reading = read("/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/Dijkstra Bouw B.V."
                       "/REMI/INV 2026 00012/EREF/NOTPROVIDED")
        self.assertEqual(reading.text, "INV 2026 00012")
        self.assertEqual(reading.names, ["Dijkstra Bouw B.V."])
        self.assertEqual(reading.accounts, ["NL91ABNA0417164300"])
        self.assertEqual(keys(reading), [])

    def test_dutch_creditor_reference_and_end_to_end_id(self):
        rf = format_structured_reference_iso("123456789").replace(" ", "")
        reading = read(f"/TRTP/iDEAL/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/Dijkstra Bouw BV/REMI/STRD/"
                       f"CDTRREFTP//CD/SCOR/ISSR/CUR/CDTRREF/{rf}/EREF/E2E-2026-77")
        self.assertEqual([(r.key, r.scheme) for r in reading.references],
                         [(rf, "rf"), ("E2E202677", "field")])

    def test_ach_remittance_segments(self):
        reading = read("ACH CREDIT KESTREL FOODS INC CCD RMR*IV*INV2026000123*1500.00\\"
                       "RMR*IV*INV/2026/00124*250.00\\N1*PR*KESTREL FOODS INC\\")
        self.assertEqual(keys(reading), ["INV2026000123", "INV202600124"])
        self.assertEqual(reading.names, ["KESTREL FOODS INC"])
        self.assertNotIn("RMR", reading.text)

    def test_fedwire_obi(self):
        reading = read("FEDWIRE CREDIT VIA: BANK OF AMERICA N.A. /OBI/INV 2026-00012 /RFB/PO 4711 ORG=KESTREL FOODS INC")
        self.assertIn("INV 2026-00012", reading.text)
        self.assertEqual(keys(reading), ["PO4711"])
        self.assertEqual(reading.names, ["KESTREL FOODS INC"])

    def test_uk_ref(self):
        reading = read("FASTER PAYMENT HARBOR LOGISTICS LTD REF.INV202600012")
        self.assertEqual(keys(reading), ["INV202600012"])

    def test_camt_unstructured_and_structured(self):
        reading = read("<RmtInf><Ustrd>Invoice INV/2026/00012</Ustrd></RmtInf>")
        self.assertEqual(reading.text, "Invoice INV/2026/00012")
        reading = read("<RmtInf><Strd><RfrdDocInf><Nb>INV/2026/00014</Nb></RfrdDocInf><CdtrRefInf><Tp><CdOrPrtry>"
                       "<Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>")
        self.assertEqual([(r.key, r.scheme) for r in reading.references],
                         [("RF18539007547034", "rf"), ("INV202600014", "field")])

    def test_iso_11649_check_digits(self):
        self.assertTrue(label_reader.rf_valid("RF18 5390 0754 7034"))
        self.assertFalse(label_reader.rf_valid("RF19 5390 0754 7034"))
        reading = read("Payment RF18 5390 0754 7034 Inv 12")
        self.assertEqual(keys(reading), ["RF18539007547034"])
        self.assertNotIn("rf", [r.scheme for r in read("Payment RF19 5390 0754 7034").references],
                         "a wrong check digit is no creditor reference")

    def test_odoo_euro_reference(self):
        odoo_ref = format_structured_reference_iso(43)  # Odoo's "euro" model of invoice id 43
        self.assertEqual([r.scheme for r in read(f"paid {odoo_ref}").references], ["rf"])
        self.assertEqual(keys(read(odoo_ref.lower().replace(" ", ""))), ["RF0743"])

    def test_belgian_structured_reference(self):
        ogm = be_reference(654)
        self.assertEqual(ogm, "+++000/0000/65472+++")
        for written in (ogm, ogm.replace("+", "*"), "000/0000/65472", "000 0000 65472"):
            with self.subTest(written=written):
                self.assertEqual([(r.key, r.scheme) for r in read(f"Betaling {written} bedankt").references],
                                 [("000000065472", "be")])
        self.assertEqual(keys(read("+++000/0000/65473+++")), [], "wrong check digits")

    def test_finnish_reference_in_groups(self):
        ref = fi_reference("INV/2026/00123")
        parts, rest = [], ref
        while rest:  # groups of five from the right, as Finnish invoices print it
            parts.insert(0, rest[-5:])
            rest = rest[:-5]
        grouped = " ".join(parts)
        reading = read(f"Viite {grouped}")
        self.assertIn(ref, keys(reading))

    def test_norwegian_kid(self):
        kid = luhn_reference("0001234" + "2600123")  # l10n_no: partner id and invoice digits, Luhn
        self.assertEqual([(r.key, r.scheme) for r in read(f"KID {kid}").references], [(kid, "no_se")])

    def test_swiss_qr_reference(self):
        reading = read("QRR 21 00000 00003 13947 14300 09017")
        self.assertEqual([(r.key, r.scheme) for r in reading.references], [("210000000003139471430009017", "ch")])

    def test_slovenian_reference(self):
        digits = "12-26-123"
        core = digits.replace("-", "")
        total = sum(int(d) * w for d, w in zip(reversed(core), range(2, 14), strict=False))
        check = 11 - total % 11
        reference = f"SI01 {digits}{0 if check in (10, 11) else check}"
        self.assertEqual([r.scheme for r in read(f"Placilo {reference}").references], ["si"])

    def test_short_numbers_are_not_structured_references(self):
        self.assertEqual(keys(read("Payment 00123 of 12.05.2026 amount 1500.00")), [])

    def test_legal_forms_however_written(self):
        for name in ("Dijkstra Bouw B.V.", "DIJKSTRA BOUW BV", "Dijkstra Bouw", "Dijkstra Bouw b.v."):
            self.assertEqual(label_reader.name_words(name), ["DIJKSTRA", "BOUW"], name)
        for name in ("Dupont Freres S.A.R.L.", "Dupont Freres SARL", "DUPONT FRERES S.A."):
            self.assertEqual(label_reader.name_words(name), ["DUPONT", "FRERES"], name)
        self.assertEqual(label_reader.name_words("Nordlicht GmbH"), ["NORDLICHT"])
        self.assertEqual(label_reader.name_words("Harbor Logistics Ltd."), ["HARBOR", "LOGISTICS"])
