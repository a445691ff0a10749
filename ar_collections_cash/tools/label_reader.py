"""Bank-line text as banks send it: the references, payer names and accounts it carries.

Pure functions on strings. A bank line's label is rarely free text: it is a statement format's
remittance field copied as is. :func:`read` recognises

* SEPA keywords of German statements: ``EREF+``, ``KREF+``, ``MREF+``, ``SVWZ+``, ``ABWA+``...
* MT940 ``:86:`` with ``?20``-``?29`` (remittance, wrapped mid-word: glued back together),
  ``?32``/``?33`` (payer name) and ``?31`` (account);
* Dutch structured ``:86:`` ``/TRTP/.../NAME/.../REMI/.../EREF/...`` (with ``/CDTRREF/`` inside);
* ACH addenda ``RMR*IV*<invoice>*<amount>`` and ``N1*PR*<payer>``, Fedwire ``/OBI/``, ``/RFB/``,
  ``ORG=``/``B/O``; UK ``REF.<reference>``;
* CAMT fragments: ``<Ustrd>``, ``<Strd>`` with ``<CdtrRefInf><Ref>`` and ``<RfrdDocInf><Nb>``;
* structured creditor references checked by their check digits: ISO 11649 ``RF..`` (Odoo's
  "euro" model), Belgian ``+++000/0000/00000+++``, Finnish, Norwegian/Swedish (Luhn), Dutch
  betalingskenmerk, Slovenian ``SI01``, Swiss QR reference (27 digits, mod 10 recursive).

Invoice numbers themselves (Odoo's own "odoo" model, ``INV/2026/00012`` and its variants) stay
in :attr:`Reading.text`: the matcher reads them from there with the book's numbers at hand.
"""
import re
from dataclasses import dataclass, field

from odoo.tools.misc import mod10r

from odoo.addons.account.tools import structured_reference as structured

# Placeholders some banks put in an empty reference field.
EMPTY_VALUES = {"", "NOTPROVIDED", "NONREF", "NONE", "NOREF", "N/A", "NA", "-", "/"}
# German SEPA keywords (DFÜ agreement, annex 3): reference fields, remittance text, other party.
SEPA_KEYS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "COAM", "OAMT", "SVWZ", "ABWA", "ABWE", "IBAN", "BIC",
             "REMI", "PURP")
# no word boundary: in a glued MT940 :86: a keyword follows the previous value directly ("NOTPROVIDEDSVWZ+")
SEPA_RE = re.compile("(" + "|".join(SEPA_KEYS) + r")\+")
SEPA_REFERENCE_KEYS = {"EREF", "KREF"}
SEPA_TEXT_KEYS = {"SVWZ", "REMI"}
# MT940 :86: sub-fields "?NN".
MT940_RE = re.compile(r"\?(\d{2})")
# Dutch structured :86: tags (Rabobank, ING, ABN AMRO).
DUTCH_TAGS = ("TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "MARF", "CSID", "ORDP", "BENM", "ADDR", "ISDT",
              "RTRN", "CREF", "PREF", "ULTD", "ULTC", "PURP", "CDTRREFTP", "CDTRREF", "ISSR", "USTD", "STRD",
              "CD", "CUR", "ID")
DUTCH_RE = re.compile("/(" + "|".join(DUTCH_TAGS) + ")/")
# Fedwire free text tags.
FEDWIRE_RE = re.compile(r"/(OBI|RFB|BNF|ORG|BBI|IBK|INS|ACC|REC|TIME)/")
FEDWIRE_NAME_RE = re.compile(r"(?:\bORG=|\bB/O\s*[:=]?\s*)([^/=\n]+?)(?=\s+[A-Z]{2,4}=|\s*/[A-Z]{3}/|$)")
# ACH addenda (X12 820 segments): RMR*IV*<invoice>*<amount>, N1*PR*<payer>; segments end with \ or ~.
ACH_RMR_RE = re.compile(r"RMR\*(?:IV|OI|PO|R7|IK|ER|CR|TN)\*([^*\\~]+)")
ACH_NAME_RE = re.compile(r"N1\*PR\*([^*\\~]+)")
ACH_SEGMENTS_RE = re.compile(r"(?:RMR|N1|REF|DTM|ENT|TRN|BPR|ADX)\*[^\\~]*[\\~]?")
# UK payments: "REF.INV00123" / "REF:INV00123" / "REF INV 00123".
UK_REF_RE = re.compile(r"\bREF[.:]\s?([A-Z0-9][A-Z0-9/_.-]*[A-Z0-9])", re.IGNORECASE)
# CAMT fragments.
CAMT_USTRD_RE = re.compile(r"<Ustrd>(.*?)</Ustrd>", re.DOTALL)
CAMT_CDTR_REF_RE = re.compile(r"<CdtrRefInf>.*?<Ref>(.*?)</Ref>", re.DOTALL)
CAMT_DOC_NB_RE = re.compile(r"<RfrdDocInf>.*?<Nb>(.*?)</Nb>", re.DOTALL)
CAMT_NAME_RE = re.compile(r"<Dbtr>\s*(?:<Pty>\s*)?<Nm>(.*?)</Nm>", re.DOTALL)
XML_TAG_RE = re.compile(r"<[^>]+>")
# Structured references written in a text.
RF_RE = re.compile(r"\bRF\s?\d{2}(?:\s?[0-9A-Z]){1,21}", re.IGNORECASE)
BE_RE = re.compile(r"(?:\+{3}|\*{3})?\s?\b\d{3}\s?[/ ]\s?\d{4}\s?[/ ]\s?\d{5}\b\s?(?:\+{3}|\*{3})?")
SI_RE = re.compile(r"\bSI\s?01\s?\d+-\d+-\d+\b", re.IGNORECASE)
# Runs of digits, possibly in groups ("21 00000 00003 13947 14300 09017", "12345 67890 12").
DIGIT_RUN_RE = re.compile(r"(?<![0-9A-Za-z])\d{1,27}(?:\s\d{1,6})*(?![0-9A-Za-z])")
# Shortest run of digits worth a check-digit test: a one-digit check passes one number in ten,
# shorter runs are amounts, days and codes.
MIN_DIGIT_REFERENCE = 8
# Legal forms written with dots or spaces, as one word: "B.V." -> "BV", "S. A. R. L." -> "SARL".
DOTTED_FORM_RE = re.compile(r"\b(?:[A-Za-z]{1,2}\s?\.\s?){1,3}[A-Za-z]{1,2}\.?(?![A-Za-z])")
LEGAL_FORMS = {
    "BV", "NV", "BVBA", "VOF", "CV", "SA", "SAS", "SASU", "SARL", "EURL", "SNC", "SC", "SCS", "SRL", "SPRL",
    "GMBH", "AG", "KG", "OHG", "UG", "EK", "GBR", "SE", "KGAA", "LTD", "LIMITED", "PLC", "LLP", "LP", "LLC",
    "INC", "INCORPORATED", "CORP", "CORPORATION", "CO", "COMPANY", "SPA", "SL", "SLU", "AB", "AS", "ASA",
    "OY", "OYJ", "APS", "SRO", "SP", "ZOO", "KFT", "DOO", "PTY", "THE", "AND", "OF", "ET", "UND", "EN",
    "CIE", "GROUP", "HOLDING",
}
NON_ALNUM_RE = re.compile(r"[^0-9A-Z]+")


@dataclass(frozen=True)
class Reference:
    """A reference read in a bank line.

    :param value: as written (trimmed)
    :param key: upper-case alphanumerics, what invoices' numbers and payment references are
        compared on
    :param scheme: ``"rf"``, ``"be"``, ``"fi"``, ``"no_se"``, ``"nl"``, ``"si"``, ``"ch"`` for a
        reference whose check digits are right, ``"field"`` for the value of a reference field of
        the format (EREF, RMR*IV, /OBI/, CAMT Strd...), whose shape is free
    """

    value: str
    key: str
    scheme: str


@dataclass
class Reading:
    """What a bank line says: remittance text, references, payer names and accounts."""

    text: str = ""
    references: list = field(default_factory=list)
    names: list = field(default_factory=list)
    accounts: list = field(default_factory=list)


def normalize(text):
    """Upper-case alphanumerics only: ``"inv/2026-00012"`` -> ``"INV202600012"``."""
    return NON_ALNUM_RE.sub("", (text or "").upper())


def _clean(value):
    value = re.sub(r"\s+", " ", value or "").strip(" /")
    return "" if value.upper() in EMPTY_VALUES else value


# ----------------------------------------------------------------------
# Check digits of structured references
# ----------------------------------------------------------------------

def rf_valid(reference):
    """ISO 11649 creditor reference (``RF18 5390 0754 7034``) with right check digits."""
    key = normalize(reference)
    return bool(re.fullmatch(r"RF\d{2}[0-9A-Z]{1,21}", key)) and structured.is_valid_structured_reference_iso(key)


def qrr_valid(reference):
    """Swiss QR reference: 27 digits, the last one the recursive mod 10 of the others."""
    key = normalize(reference)
    return len(key) == 27 and key.isdigit() and mod10r(key[:-1]) == key


def digit_scheme(digits, grouped=False):
    """Which national scheme's check digit a string of digits passes (None: none).

    :param grouped: written in groups of digits: not a Belgian reference (written 3/4/5)
    """
    if len(digits) < MIN_DIGIT_REFERENCE:
        return None
    if qrr_valid(digits):
        return "ch"
    if len(digits) == 12 and not grouped and structured.is_valid_structured_reference_be(digits):
        return "be"
    if structured.is_valid_structured_reference_fi(digits):
        return "fi"
    if structured.is_valid_structured_reference_no_se(digits):
        return "no_se"
    if len(digits) == 16 and structured.is_valid_structured_reference_nl(digits):
        return "nl"
    return None


def structured_references(text):
    """Check-digit-valid structured references written in ``text``: [:class:`Reference`]."""
    found, text = [], text or ""
    for match in RF_RE.finditer(text):
        # the longest prefix that passes the check: "RF18 5390 0754 7034 Inv 12" stops at 7034
        chunk = match.group(0)
        for end in range(len(chunk), 4, -1):
            if chunk[end - 1] != " " and rf_valid(chunk[:end]):
                found.append(Reference(chunk[:end].strip(), normalize(chunk[:end]), "rf"))
                break
    for match in SI_RE.finditer(text):
        value = re.sub(r"\s", "", match.group(0)).upper()
        if structured.is_valid_structured_reference_si(value):
            found.append(Reference(match.group(0), normalize(value), "si"))
    for match in BE_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if structured.is_valid_structured_reference_be(digits):
            found.append(Reference(match.group(0).strip(), digits, "be"))
    seen = {ref.key for ref in found}
    # the digits of a reference found above are not another reference
    for ref in found:
        text = text.replace(ref.value, " ")
    for match in DIGIT_RUN_RE.finditer(text):
        run = match.group(0)
        groups = run.split(" ")
        # grouped digits are one reference only when written in groups of up to 5 (QR, Finnish)
        candidates = ["".join(groups)] if all(len(g) <= 5 for g in groups[1:]) and len(groups) > 1 else []
        candidates += groups
        for index, digits in enumerate(candidates):
            scheme = digit_scheme(digits, grouped=len(groups) > 1 and index == 0)
            if scheme and digits not in seen:
                seen.add(digits)
                found.append(Reference(digits, digits, scheme))
                break
    return found


# ----------------------------------------------------------------------
# Statement formats
# ----------------------------------------------------------------------

def _split_tagged(text, pattern):
    """[(tag, value)] of a text whose fields start with a tag matched by ``pattern``."""
    parts = pattern.split(text)
    # split() with one group: [before, tag1, value1, tag2, value2, ...]
    return parts[0], list(zip(parts[1::2], parts[2::2], strict=True))


def _read_mt940(text, reading):
    """German MT940 :86: "166?00GUTSCHRIFT?109310?20EREF+INV/2026/0?210012?32ACME GMBH"."""
    _head, fields_ = _split_tagged(text, MT940_RE)
    remittance, names = [], []
    for code, value in fields_:
        number = int(code)
        if 20 <= number <= 29 or 60 <= number <= 63:
            # wrapped at 27 characters, mid-word: glued back together, except where a SEPA
            # keyword starts the sub-field
            remittance.append((" " if SEPA_RE.match(value) else "") + value)
        elif number in (32, 33):
            names.append(value)
        elif number == 31:
            reading.accounts.append(_clean(value))
    if names:
        reading.names.append(_clean("".join(names)))
    return "".join(remittance)


def _read_sepa(text, reading):
    """German SEPA keywords "EREF+... MREF+... SVWZ+..."; returns the remittance text."""
    head, fields_ = _split_tagged(text, SEPA_RE)
    texts = [head]
    for key, value in fields_:
        value = _clean(value)
        if not value:
            continue
        if key in SEPA_REFERENCE_KEYS:
            reading.references.append(Reference(value, normalize(value), "field"))
        elif key in SEPA_TEXT_KEYS:
            texts.append(value)
        elif key in ("ABWA", "DEBT"):
            reading.names.append(value)
        elif key == "IBAN":
            reading.accounts.append(value)
    return " ".join(texts)


def _read_dutch(text, reading):
    """Dutch structured :86: "/TRTP/SEPA OVERBOEKING/IBAN/NL.../NAME/ACME BV/REMI/.../EREF/..."."""
    head, fields_ = _split_tagged(text, DUTCH_RE)
    texts = [head]
    for tag, value in fields_:
        value = _clean(value)
        if not value:
            continue
        if tag in ("REMI", "USTD"):
            # "/REMI/USTD//text": the sub-tag of an unstructured remittance is not text
            texts.append(re.sub(r"^(?:USTD|STRD)/+", "", value))
        elif tag in ("EREF", "CDTRREF", "PREF"):
            reading.references.append(Reference(value, normalize(value), "field"))
        elif tag in ("NAME", "ORDP", "ULTD"):
            reading.names.append(value)
        elif tag == "IBAN":
            reading.accounts.append(value)
    return " ".join(texts)


def _read_fedwire(text, reading):
    """Fedwire free text: "/OBI/INV 2026-00012 /RFB/PO 77 ORG=ACME CORP"."""
    for match in FEDWIRE_NAME_RE.finditer(text):
        if _clean(match.group(1)):
            reading.names.append(_clean(match.group(1)))
    head, fields_ = _split_tagged(text, FEDWIRE_RE)
    texts = [FEDWIRE_NAME_RE.sub(" ", head)]
    for tag, value in fields_:
        value = _clean(FEDWIRE_NAME_RE.sub(" ", value))
        if tag == "OBI" and value:
            texts.append(value)
        elif tag == "RFB" and value:
            reading.references.append(Reference(value, normalize(value), "field"))
    return " ".join(texts)


def _read_ach(text, reading):
    """ACH addenda: "RMR*IV*INV2026000123*1500.00\\N1*PR*ACME CORP\\"."""
    for match in ACH_RMR_RE.finditer(text):
        value = _clean(match.group(1))
        if value:
            reading.references.append(Reference(value, normalize(value), "field"))
    for match in ACH_NAME_RE.finditer(text):
        if _clean(match.group(1)):
            reading.names.append(_clean(match.group(1)))
    return ACH_SEGMENTS_RE.sub(" ", text)


def _read_camt(text, reading):
    """A CAMT fragment: remittance (Ustrd), creditor references and document numbers (Strd)."""
    for pattern in (CAMT_CDTR_REF_RE, CAMT_DOC_NB_RE):
        for match in pattern.finditer(text):
            value = _clean(match.group(1))
            if value:
                reading.references.append(Reference(value, normalize(value), "field"))
    for match in CAMT_NAME_RE.finditer(text):
        reading.names.append(_clean(match.group(1)))
    texts = [_clean(m.group(1)) for m in CAMT_USTRD_RE.finditer(text)]
    return " ".join(texts) if texts else XML_TAG_RE.sub(" ", text)


def read(label):
    """What the bank line's text says, whatever the format: a :class:`Reading`.

    The formats can be mixed (a German MT940 :86: carries SEPA keywords in its ``?20`` fields):
    each layer hands its remittance text to the next.
    """
    reading = Reading()
    text = label or ""
    if "<Ustrd>" in text or "<Strd>" in text or "<CdtrRefInf>" in text:
        text = _read_camt(text, reading)
    if MT940_RE.search(text) and re.search(r"\?(2\d|3[23])", text):
        text = _read_mt940(text, reading)
    if SEPA_RE.search(text):
        text = _read_sepa(text, reading)
    if DUTCH_RE.search(text) and ("/REMI/" in text or "/TRTP/" in text or "/EREF/" in text):
        text = _read_dutch(text, reading)
    if FEDWIRE_RE.search(text) or FEDWIRE_NAME_RE.search(text):
        text = _read_fedwire(text, reading)
    if ACH_RMR_RE.search(text) or ACH_NAME_RE.search(text):
        text = _read_ach(text, reading)
    for match in UK_REF_RE.finditer(text):
        reading.references.append(Reference(match.group(1), normalize(match.group(1)), "field"))
    text = re.sub(r"\s+", " ", text).strip()
    known = {ref.key for ref in reading.references}
    for source in [text] + [ref.value for ref in reading.references]:
        for ref in structured_references(source):
            if ref.key not in known:
                known.add(ref.key)
                reading.references.append(ref)
    # a structured field's value that passes a check digit is that scheme's reference
    reading.references = [_with_scheme(ref) for ref in reading.references if ref.key]
    reading.text = text
    reading.names = [name for name in reading.names if name]
    reading.accounts = [acc for acc in reading.accounts if acc]
    return reading


def _with_scheme(ref):
    if ref.scheme != "field":
        return ref
    if rf_valid(ref.key):
        return Reference(ref.value, ref.key, "rf")
    scheme = digit_scheme(ref.key) if ref.key.isdigit() else None
    return Reference(ref.value, ref.key, scheme) if scheme else ref


# ----------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------

def name_words(name):
    """Significant words of a company name, upper-case, legal forms dropped however written:
    ``"Acme B.V."``, ``"ACME BV"`` and ``"Acme"`` -> ``["ACME"]``."""
    text = DOTTED_FORM_RE.sub(lambda m: re.sub(r"[\s.]", "", m.group(0)), name or "")
    words = [w for w in NON_ALNUM_RE.split(text.upper()) if w]
    kept = [w for w in words if w not in LEGAL_FORMS]
    return kept or words
