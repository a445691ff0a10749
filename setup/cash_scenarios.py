"""Seeded bank lines with a known truth, for measuring the cash matcher (``setup/cashmatch.sh``).

Pure Python on plain values, no Odoo import: :func:`generate` takes a snapshot of the book's
open invoices and customers and returns the incoming bank lines a bank file would bring for them,
each with what it really pays (``truth``: ``[(invoice id, amount in the line's currency)]``).
:func:`naive_baseline` is the "exact reference + exact amount" matcher the issue compares with,
and :func:`outcome` decides, for one line, whether what a matcher applied is the truth.

A scenario is what the customer did when paying (one per line):

==============  =================================================================================
exact           one invoice, its exact open amount, its number as printed in the label
typo            one invoice, exact amount, its number mistyped (one character substituted,
                dropped or swapped) or reformatted (spaces, punctuation, prefix or leading
                zeros dropped, lower case)
multi           2-6 open invoices of the customer (the oldest, or any), their exact total; the
                label lists all numbers, a few of them, or none
short           one invoice paid short: within 2 % (and 50) of it, or by more
overpay         one invoice paid with more than it asks: the rest is the customer's credit
missing_ref     one invoice, exact amount, no reference in the label; the payer is known by
                bank account (mostly), VAT number in the label, or name
wrong_partner   the payer's name misspelt or another entity's, from an account nobody knows;
                with the invoice number (half) or without
remittance      2-6 invoices with an ``ar.remittance`` advice (as imported) giving each amount;
                the label carries the advice's reference (mostly) or nothing
discount        one invoice under an early-payment-discount term, paid discounted in time
                (only when the book has such invoices)
fx              one invoice in another currency than the company's: paid in that currency on
                the company-currency account (the line has the foreign amount), or converted
                by the customer's bank (only the company-currency amount)
duplicate       an invoice already paid is paid again, its number in the label: nothing may be
                applied (truth: no invoice); an automatic match of it is a duplicate payment
==============  =================================================================================

Labels are written from one of two template sets (``templates``): "A", the set the matcher is
tuned on, and "B", a hold-out set of other phrasings and other layouts of the same statement
formats, for the second scorer run. Either way about half of the labels come wrapped the way banks
deliver them (:func:`bank_format`): SEPA keywords, MT940 ``:86:`` sub-fields, Dutch ``/TRTP/``,
ACH ``RMR*IV``, Fedwire ``/OBI/``, UK ``REF.``, CAMT ``<Ustrd>``/``<Strd>``; references come
shortened too (two-digit year, sequence number only), and payers' legal forms written otherwise.

Every invoice is paid by at most one line, so the truth of a line never depends on the order the
lines are matched in. Bank lines come as from a bank file: no customer set, the payer's name
and, when the bank gives it, the payer's account number.

Cloned books (``setup/bench_book.py``) repeat the seed's amounts in every clone: a typo that turns
one invoice number into another open invoice's number *of the same amount* is an artefact of the
cloning (a real book seldom has it), so the generator draws another typo then.
"""
import random
import re
from collections import Counter, defaultdict
from datetime import timedelta

SHARES = {
    "exact": 0.36,
    "typo": 0.10,
    "multi": 0.15,
    "short": 0.10,
    "overpay": 0.05,
    "missing_ref": 0.10,
    "wrong_partner": 0.05,
    "remittance": 0.05,
    "discount": 0.02,
    "fx": 0.02,
}
# Lines paying an invoice already paid (taken from "exact"); only when the book has paid invoices.
DUPLICATE_SHARE = 0.02
SCENARIOS = (*SHARES, "duplicate")
# Share of the book's customers with a known bank account, and with a VAT number.
BANK_ACCOUNT_SHARE = 0.80
VAT_SHARE = 0.70
# Short payments the company tolerates by default (ar_cash_short_tolerance / _max).
SHORT_TOLERANCE = (0.02, 50.0)
# Amounts of an invoice in another currency than the line agree within the bank's margin.
FX_TOLERANCE = 0.02

LEGAL_FORMS = {
    "be": ("NV", "BV", "SRL", "SA"), "nl": ("B.V.", "N.V."), "fr": ("SAS", "SARL", "SA"),
    "de": ("GmbH", "AG", "KG"), "us": ("Inc.", "LLC", "Corp."), "gb": ("Ltd", "PLC", "LLP"),
}
NAME_STEMS = (
    "Arden", "Beaumont", "Brightwater", "Castell", "Corvin", "Delacroix", "Dijkstra", "Everwood", "Falkner",
    "Greenfield", "Halvorsen", "Harbor", "Ironbridge", "Juniper", "Kestrel", "Kingsley", "Larkspur", "Lumen",
    "Marlowe", "Meridian", "Norther", "Novak", "Oakridge", "Orchard", "Pemberton", "Quayside", "Riverside",
    "Silverline", "Thornbury", "Ulmer", "Vandenberg", "Verhoeven", "Westbrook", "Yardley", "Zeller", "Aurora",
    "Bellweather", "Copperfield", "Dunmore", "Elmstead", "Foxglove", "Granite", "Ashford", "Blackwood",
    "Caldera", "Drayton", "Eastgate", "Fairhaven", "Glenmore", "Hawthorn", "Kirkland", "Lindqvist",
    "Moorland", "Nordstrand", "Pinecrest", "Redfern", "Stonebridge", "Tidewater", "Valmont", "Whitmore",
)
NAME_SECTORS = (
    "Logistics", "Foods", "Engineering", "Retail", "Pharma", "Consulting", "Construction", "Textiles",
    "Print & Media", "Software", "Automotive", "Hospitality", "Dental Care", "Architects", "Energy",
    "Furniture", "Packaging", "Labs", "Garden Centres", "Interiors", "Transport", "Metals", "Optics",
    "Marine", "Bakeries", "Plastics", "Security", "Cleaning", "Events", "Imaging",
)
# IBAN length per country (US: a plain account number).
IBAN_LENGTH = {"be": 16, "nl": 18, "fr": 27, "de": 22, "gb": 22}
BANK_CODES = {"nl": ("ABNA", "INGB", "RABO", "TRIO"), "gb": ("NWBK", "BARC", "LOYD", "HBUK")}

NO_REF_LABELS = (
    "PAYMENT", "TRANSFER", "SEPA CREDIT TRANSFER", "Payment for services", "Monthly payment",
    "Order {po}", "PO {po}", "Your account {custref}", "Supplier payment {date}", "Payment run {date}",
    "Betaling", "Virement", "Zahlung", "Customer payment",
)
ONE_REF_LABELS = (
    "{ref}", "{ref}", "{ref}", "Invoice {ref}", "Payment {ref}", "{ref} {name}", "/INV/{ref}",
    "Payment of invoice {ref} - thank you", "{ref} PO {po}", "Settlement {ref}", "Facture {ref}",
    "Rechnung {ref}", "{name} {ref}", "PAYMENT {ref} {date}",
)
MULTI_REF_LABELS = ("Invoices {refs}", "{refs}", "Payment {refs}", "INV {refs} {name}", "Settlement of {refs}")
REMITTANCE_LABELS = ("{rem}", "Remittance {rem}", "Payment advice {rem}", "{name} {rem}", "PAYMENT REF {rem}")
# The hold-out set: never looked at while tuning the matcher.
LABELS = {
    "A": {"none": NO_REF_LABELS, "one": ONE_REF_LABELS, "multi": MULTI_REF_LABELS, "remittance": REMITTANCE_LABELS,
          "separators": (" ", ", ", " + ", ";"),
          "formats": {"plain": 50, "sepa": 8, "mt940": 8, "dutch": 8, "ach": 6, "fedwire": 5, "uk": 5, "camt": 10}},
    "B": {"none": ("Overschrijving", "Pago", "Bonifico", "Remittance", "Transfer ref {custref}", "Acct {custref}",
                   "Invoice payment", "Rg. bezahlt", "Paiement fournisseur {date}", "Purchase order {po}"),
          "one": ("Inv. {ref}", "RE: {ref}", "Payment for invoice no. {ref}", "{ref}/{po}", "Ref {ref} Cust {custref}",
                  "Factuur {ref}", "Fattura n. {ref}", "Invoice#{ref}", "{date} {ref}", "Rg.Nr. {ref} vom {date}",
                  "{ref} - {name}", "Our ref {po} your ref {ref}"),
          "multi": ("Inv. {refs}", "RE {refs}", "Factures {refs}", "{refs} {name}", "Rechnungen {refs}"),
          "remittance": ("Avis {rem}", "{rem} see remittance", "Payment advice no. {rem}", "REMIT {rem}"),
          "separators": (" / ", " & ", "|", " and ", ","),
          "formats": {"plain": 40, "sepa_b": 10, "mt940_b": 10, "dutch_b": 10, "ach_b": 6, "fedwire_b": 6,
                      "uk_b": 6, "camt_strd": 12}},
}
SEPARATORS_RE = re.compile(r"[^0-9A-Za-z]+")


# ----------------------------------------------------------------------
# The customers' identity: names, VAT numbers, bank accounts
# ----------------------------------------------------------------------

def customer_names(rng, count, countries):
    """``count`` distinct company names, ``countries[i]`` giving the legal form of the i-th."""
    pool = [f"{a} {s}" for a in NAME_STEMS for s in NAME_SECTORS]
    pool += [f"{a} & {b} {s}" for a in NAME_STEMS for b in NAME_STEMS if a != b for s in NAME_SECTORS[:6]]
    if count > len(pool):
        pool += [f"{base} {n}" for n in range(2, 2 + count // len(pool) + 1) for base in pool[:len(NAME_STEMS)
                                                                                              * len(NAME_SECTORS)]]
    chosen = rng.sample(pool, count)
    return [f"{base} {rng.choice(LEGAL_FORMS.get(country, ('Ltd',)))}" for base, country in zip(chosen, countries,
                                                                                                   strict=True)]


def vat_number(rng, country, index):
    """A VAT number shaped like the country's (unique through ``index``; not checksum-valid)."""
    serial = f"{index:07d}"
    if country == "be":
        return f"BE0{rng.randint(200, 999)}{serial[-6:]}"
    if country == "nl":
        return f"NL{rng.randint(10, 99)}{serial}B01"
    if country == "fr":
        return f"FR{rng.randint(10, 99)}{rng.randint(100, 999)}{serial[-6:]}"
    if country == "de":
        return f"DE{rng.randint(10, 99)}{serial}"
    if country == "gb":
        return f"GB{rng.randint(10, 99)}{serial}"
    return None  # US companies have no VAT number


def _iban_check(country, bban):
    digits = "".join(str(int(c, 36)) for c in (bban + country.upper() + "00"))
    return f"{98 - int(digits) % 97:02d}"


def bank_account(rng, country, index):
    """An account number of the country's shape (IBAN with valid check digits; US: plain digits)."""
    if country not in IBAN_LENGTH:
        return f"{rng.randint(100, 999)}{index:07d}{rng.randint(10, 99)}"
    length = IBAN_LENGTH[country] - 4
    serial = f"{index:08d}"
    if country in BANK_CODES:
        bban = rng.choice(BANK_CODES[country]) + serial + "".join(str(rng.randrange(10))
                                                                  for _i in range(length - 4 - len(serial)))
    else:
        bban = "".join(str(rng.randrange(10)) for _i in range(length - len(serial))) + serial
    return f"{country.upper()}{_iban_check(country, bban)}{bban}"


def spaced(number):
    """An IBAN as printed: groups of four."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


# ----------------------------------------------------------------------
# How customers write references and names
# ----------------------------------------------------------------------

def _number_positions(ref):
    """Indexes of the digits after the reference's prefix (where hand typos land)."""
    return [i for i, c in enumerate(ref) if c.isdigit()]


CHAR_TYPOS = ("substitute", "drop", "swap")
FORMAT_TYPOS = ("spaces", "punctuation", "no_prefix", "lower", "no_zeros", "two_digit_year", "sequence_only")


def mistype(rng, ref, kind):
    """``ref`` as a customer mistyped or reformatted it (``kind`` of :data:`CHAR_TYPOS` or
    :data:`FORMAT_TYPOS`); None when that kind does not apply to this reference."""
    digits = _number_positions(ref)
    # the last digits are the invoice's own number: typos land there, not in the year
    tail = [i for i in digits if i >= len(ref) - 6] or digits
    if kind == "substitute" and tail:
        i = rng.choice(tail)
        return ref[:i] + rng.choice([d for d in "0123456789" if d != ref[i]]) + ref[i + 1:]
    if kind == "drop" and tail:
        i = rng.choice(tail)
        return ref[:i] + ref[i + 1:]
    if kind == "swap":
        pairs = [i for i in tail[:-1] if i + 1 in tail and ref[i] != ref[i + 1]]
        if pairs:
            i = rng.choice(pairs)
            return ref[:i] + ref[i + 1] + ref[i] + ref[i + 2:]
        return None
    parts = [p for p in SEPARATORS_RE.split(ref) if p]
    if kind == "spaces" and len(parts) > 1:
        return " ".join(parts)
    if kind == "punctuation" and len(parts) > 1:
        return rng.choice(("-", ".", "", "_")).join(parts)
    if kind == "no_prefix" and len(parts) > 1 and parts[0].isalpha():
        return "/".join(parts[1:])
    if kind == "lower" and ref.lower() != ref:
        return ref.lower()
    if kind == "no_zeros":
        stripped = re.sub(r"(?<=[^0-9])0+(?=[0-9])", "", ref)
        return stripped if stripped != ref else None
    if kind == "two_digit_year":
        shortened = re.sub(r"(?<![0-9])20([0-9]{2})(?=[^0-9])", r"\1", ref, count=1)
        return shortened if shortened != ref else None
    if kind == "sequence_only" and len(parts) > 1 and parts[-1].isdigit():
        return rng.choice((parts[-1], str(int(parts[-1])), f"#{int(parts[-1])}", f"no {int(parts[-1])}"))
    return None


LEGAL_FORM_SPELLINGS = {"B.V.": "BV", "N.V.": "NV", "BV": "B.V.", "NV": "N.V.", "GmbH": "GMBH", "Ltd": "Limited",
                        "Inc.": "Inc", "SARL": "S.A.R.L.", "SA": "S.A.", "Corp.": "Corporation", "SAS": "S.A.S."}


def bank_name(rng, name):
    """The payer's name as the bank file gives it: as is, upper case, without its legal form or
    with the legal form written otherwise ("B.V." / "BV")."""
    roll = rng.random()
    words = name.split()
    if roll < 0.15 and words[-1] in LEGAL_FORM_SPELLINGS:
        return " ".join(words[:-1] + [LEGAL_FORM_SPELLINGS[words[-1]]])
    if roll < 0.5:
        return name
    if roll < 0.8:
        return name.upper()[:35]
    words = name.split()
    return " ".join(words[:-1]) if len(words) > 2 else name


def misspelt_name(rng, name):
    """A name as a different bank or person wrote it: a letter wrong, truncated or another entity."""
    roll = rng.random()
    words = name.split()
    if roll < 0.35:
        letters = [i for i, c in enumerate(name) if c.isalpha()]
        i = rng.choice(letters)
        return name[:i] + rng.choice([c for c in "aeiourstln" if c != name[i].lower()]) + name[i + 1:]
    if roll < 0.55:
        return name.upper()[:12]
    if roll < 0.75:
        return " ".join(words[:1] + words[2:]) if len(words) > 2 else name + " Group"
    return rng.choice(("Fincorp Factoring NV", "Apex Payments Ltd", "Central Treasury Services", "Mr J. Smith",
                       "Eurofactor SA", "Payroll & Pay Services BV"))


# ----------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------

def _cents(amount):
    return round(amount + 0.0, 2)


def _plan_counts(lines, shares):
    raw = {s: lines * share for s, share in shares.items()}
    counts = {s: int(v) for s, v in raw.items()}
    for scenario in sorted(shares, key=lambda s: raw[s] - counts[s], reverse=True)[:lines - sum(counts.values())]:
        counts[scenario] += 1
    return counts


class _Pool:
    """Open invoices not yet paid by a generated line, by customer (oldest due first)."""

    def __init__(self, invoices, company_currency):
        self.invoices = {inv["id"]: inv for inv in invoices}
        self.used = set()
        self.by_partner = defaultdict(list)
        self.foreign, self.discounted, self.home = [], [], []
        for inv in sorted(invoices, key=lambda i: (i["date_due"], i["id"])):
            if inv["disputed"] or inv["residual"] <= 0:
                continue
            if inv["currency_id"] != company_currency:
                self.foreign.append(inv["id"])
                continue
            if inv.get("discount_residual") is not None:
                self.discounted.append(inv["id"])
                continue
            self.by_partner[inv["partner_id"]].append(inv["id"])
            self.home.append(inv["id"])

    def free(self, ids):
        return [i for i in ids if i not in self.used]

    def take(self, ids):
        self.used.update(ids)
        return [self.invoices[i] for i in ids]

    def one(self, rng, ids=None, attempts=200):
        ids = ids if ids is not None else self.home
        for _i in range(attempts):
            if not ids:
                return None
            inv_id = rng.choice(ids)
            if inv_id not in self.used:
                return inv_id
        free = self.free(ids)
        return rng.choice(free) if free else None

    def customer_with(self, rng, count, attempts=300):
        """A customer with at least ``count`` invoices not yet paid (big customers more often)."""
        for _i in range(attempts):
            inv_id = self.one(rng)
            if inv_id is None:
                return None, []
            partner = self.invoices[inv_id]["partner_id"]
            free = self.free(self.by_partner[partner])
            if len(free) >= count:
                return partner, free
        return None, []


def _chunks(text, width):
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def bank_format(rng, line, style):
    """The label of ``line`` (its ``payment_ref``: the remittance text the payer wrote) as the
    bank delivers it in ``style``; ``line["refs"]`` are the references typed, if any."""
    text, name = line["payment_ref"], (line.get("partner_name") or "").upper()[:35]
    refs = line.get("refs") or []
    account = (line.get("account_number") or "").replace(" ", "")
    if style == "sepa":
        return f"EREF+NOTPROVIDED SVWZ+{text}"
    if style == "sepa_b":
        eref = refs[0] if len(refs) == 1 and rng.random() < 0.5 else "NOTPROVIDED"
        return f"SVWZ+{text} EREF+{eref} KREF+K{rng.randint(10 ** 8, 10 ** 9)} ABWA+{name}"
    if style in ("mt940", "mt940_b"):
        body = ("EREF+NOTPROVIDED" if style == "mt940" else "") + f"SVWZ+{text}"
        fields = "".join(f"?{20 + i}{chunk}" for i, chunk in enumerate(_chunks(body, 27)[:10]))
        head = "166?00GUTSCHRIFT?109310" if style == "mt940" else "051?00SEPA-UEBERWEISUNG GUTSCHR?10931"
        names = "".join(f"?{32 + i}{chunk}" for i, chunk in enumerate(_chunks(name, 27)[:2]))
        return f"{head}{fields}?30{rng.choice(('COBADEFFXXX', 'DEUTDEFFXXX'))}?31{account}{names}"
    if style == "dutch":
        return (f"/TRTP/SEPA OVERBOEKING/IBAN/{account}/BIC/{rng.choice(('ABNANL2A', 'INGBNL2A', 'RABONL2U'))}"
                f"/NAME/{name}/REMI/{text}/EREF/NOTPROVIDED")
    if style == "dutch_b":
        eref = refs[0] if len(refs) == 1 and rng.random() < 0.5 else "NOTPROVIDED"
        return f"/TRTP/SEPA OVERBOEKING/IBAN/{account}/BIC/INGBNL2A/NAME/{name}/REMI/USTD//{text}/EREF/{eref}"
    if style in ("ach", "ach_b"):
        if refs:
            sep = "\\" if style == "ach" else "~"
            rmr = "".join(f"RMR*IV*{ref}*{line['amount'] / len(refs):.2f}{sep}" for ref in refs)
            return (f"ACH CREDIT {name} CCD " if style == "ach" else f"ORIG CO NAME:{name} ADDENDA: ") + rmr + \
                f"N1*PR*{name}{sep}"
        return f"ACH CREDIT {name} CCD PMT INFO:{text}"
    if style == "fedwire":
        return f"FEDWIRE CREDIT VIA: {rng.choice(('CITIBANK N.A.', 'BANK OF AMERICA'))} /OBI/{text} ORG={name}"
    if style == "fedwire_b":
        rfb = f" /RFB/{refs[0]}" if len(refs) == 1 else ""
        return f"WIRE IN B/O: {name} /OBI/{text}{rfb}"
    if style == "uk":
        return f"FASTER PAYMENT {name} REF.{refs[0] if len(refs) == 1 else text}"
    if style == "uk_b":
        return f"BGC {name} REF:{(refs[0] if len(refs) == 1 else text).replace(' ', '')}"
    if style == "camt":
        return f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf>"
    if style == "camt_strd" and refs:
        return "<RmtInf><Strd>" + "".join(f"<RfrdDocInf><Nb>{ref}</Nb></RfrdDocInf>" for ref in refs) + \
            "</Strd></RmtInf>"
    if style == "camt_strd":
        return f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf>"
    return text


def generate(book, lines, seed, today, shares=None, templates="A"):
    """``lines`` incoming bank lines over ``book``, with their truth.

    :param book: {"invoices": [{id, name, payment_reference, partner_id, currency_id, residual,
        date_due, invoice_date, discount_residual, discount_date, disputed}],
        "customers": {id: {name, vat, account, country}}, "company_currency": id,
        "to_company": {currency id: rate to the company currency}}
    :return: list of dicts, one per line: ``scenario``, ``variant``, ``date``, ``payment_ref``,
        ``partner_name``, ``account_number``, ``amount`` (company currency), ``foreign_currency_id``
        and ``amount_currency`` (or None), ``currency_id`` (the line's own currency, where the
        truth's amounts are), ``partner_id`` (the truth's customer), ``truth`` [(invoice id,
        amount)], ``remittance`` (None or {name, partner_id, lines: [(invoice id, number, amount)]})
    """
    rng = random.Random(f"{seed}-{templates}")
    labels = LABELS[templates]
    book = {**book, "today": today, "labels": labels}
    pool = _Pool(book["invoices"], book["company_currency"])
    customers = book["customers"]
    shares = dict(shares or SHARES)
    if book.get("paid") and "duplicate" not in shares:
        shares["exact"] -= DUPLICATE_SHARE
        shares["duplicate"] = DUPLICATE_SHARE
    if not pool.discounted:
        shares["exact"] += shares.pop("discount")
    if not pool.foreign:
        shares["exact"] += shares.pop("fx")
    counts = _plan_counts(lines, shares)
    plan = [s for s, n in counts.items() for _i in range(n)]
    rng.shuffle(plan)
    names_by_amount = defaultdict(set)
    for inv in pool.invoices.values():
        names_by_amount[round(inv["residual"], 2)].update(_keys(inv["name"]))
    out = []
    for index, scenario in enumerate(plan):
        line = None
        for _attempt in range(20):
            line = _SCENARIO_MAKERS[scenario](rng, pool, customers, book, index, names_by_amount)
            if line:
                break
        if not line:
            raise ValueError(f"the book has too few open invoices for {lines} lines ({scenario} #{index}): "
                             f"{len(pool.used)} used of {len(pool.invoices)}")
        line.setdefault("date", today - timedelta(days=rng.randint(0, 4)))
        line.setdefault("foreign_currency_id", None)
        line.setdefault("amount_currency", None)
        line.setdefault("currency_id", book["company_currency"])
        line.setdefault("remittance", None)
        line["scenario"] = scenario
        line["amount"] = _cents(line["amount"])
        style = rng.choices(tuple(labels["formats"]), tuple(labels["formats"].values()))[0]
        if not line.get("remittance") or style == "plain":
            line["payment_ref"] = bank_format(rng, line, style)
            line["variant"] += "" if style == "plain" else f" [{style}]"
        line.pop("refs", None)
        out.append(line)
    return out


def _fill(rng, template, name="", ref="", refs="", rem="", custref=None):
    return template.format(
        ref=ref, refs=refs, rem=rem, name=name, po=f"{rng.randint(4500000, 4599999)}",
        custref=custref or f"C{rng.randint(10000, 99999)}",
        date=f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2025, 2026)}",
    ).strip()


def _payer(rng, customers, partner_id, account=True):
    """The payer fields of a line from a known customer: bank name and (if any, and asked) account."""
    cust = customers[partner_id]
    number = cust["account"] if account else None
    if number and rng.random() < 0.4:
        number = spaced(number)
    return {"partner_name": bank_name(rng, cust["name"]), "account_number": number}


def _ref_of(rng, inv):
    """The reference a customer copies: the invoice number, else its payment reference."""
    if inv["payment_reference"] and inv["payment_reference"] != inv["name"] and rng.random() < 0.5:
        return inv["payment_reference"]
    return inv["name"]


def _one_invoice_line(rng, pool, customers, ids=None):
    inv_id = pool.one(rng, ids)
    if inv_id is None:
        return None, None
    inv = pool.take([inv_id])[0]
    return inv, _payer(rng, customers, inv["partner_id"])


def _make_exact(rng, pool, customers, book, _index, _names):
    inv, payer = _one_invoice_line(rng, pool, customers)
    if not inv:
        return None
    template, ref = rng.choice(book["labels"]["one"]), _ref_of(rng, inv)
    return {**payer, "variant": "one reference", "amount": inv["residual"], "partner_id": inv["partner_id"],
            "payment_ref": _fill(rng, template, name=payer["partner_name"], ref=ref), "refs": [ref],
            "truth": [(inv["id"], inv["residual"])]}


def _make_typo(rng, pool, customers, book, _index, names_by_amount):
    inv_id = pool.one(rng)
    if inv_id is None:
        return None
    inv = pool.invoices[inv_id]
    kind = rng.choice(CHAR_TYPOS) if rng.random() < 0.5 else rng.choice(FORMAT_TYPOS)
    typed = mistype(rng, inv["name"], kind)
    if not typed:
        return None
    keys = _keys(typed)
    if not keys & _keys(inv["name"]) and keys & names_by_amount[round(inv["residual"], 2)]:
        return None  # another open invoice of the same amount: an artefact of the cloned book
    pool.take([inv_id])
    payer = _payer(rng, customers, inv["partner_id"])
    template = rng.choice(book["labels"]["one"])
    return {**payer, "variant": kind, "amount": inv["residual"], "partner_id": inv["partner_id"],
            "payment_ref": _fill(rng, template, name=payer["partner_name"], ref=typed), "refs": [typed],
            "truth": [(inv["id"], inv["residual"])]}


def _keys(ref):
    """What makes two references the same to a tolerant reader: the characters without
    separators, and the numbers without the prefix and leading zeros ("INV/2026/007" ~ "2026 7")."""
    parts = re.findall(r"[0-9]+|[A-Z]+", ref.upper())
    while parts and not parts[0].isdigit():
        parts.pop(0)
    return {SEPARATORS_RE.sub("", ref).upper(), "#".join(str(int(p)) if p.isdigit() else p for p in parts)}


def _customer_with_up_to(rng, pool, size):
    """A customer with ``size`` free invoices, else one with at least two: (partner, free, size)."""
    partner, free = pool.customer_with(rng, size)
    if not partner:
        partner, free = pool.customer_with(rng, 2)
        size = min(size, len(free or ()))
    return partner, free, size


def _make_multi(rng, pool, customers, book, _index, _names):
    partner, free, size = _customer_with_up_to(rng, pool, rng.choices((2, 3, 4, 5, 6), (35, 25, 18, 12, 10))[0])
    if not partner:
        return None
    oldest = rng.random() < 0.6
    chosen = free[:size] if oldest else sorted(rng.sample(free, size), key=free.index)
    invs = pool.take(chosen)
    roll = rng.random()
    if roll < 0.5:
        listing, refs = "all references", [_ref_of(rng, inv) for inv in invs]
    elif roll < 0.7:
        listing, refs = "some references", [inv["name"] for inv in invs[:rng.randint(1, max(1, size - 1))]]
    else:
        listing, refs = "no reference", []
    payer = _payer(rng, customers, partner, account=bool(refs) or rng.random() < 0.9)
    if refs:
        joined = rng.choice(book["labels"]["separators"]).join(refs) + (" ETC" if listing == "some references" else "")
        label = _fill(rng, rng.choice(book["labels"]["multi"]), name=payer["partner_name"], refs=joined)
    else:
        label = _fill(rng, rng.choice(book["labels"]["none"]))
    total = sum(inv["residual"] for inv in invs)
    return {**payer, "variant": f"{'oldest' if oldest else 'any'} {size}, {listing}", "amount": total,
            "partner_id": partner, "payment_ref": label, "refs": refs,
            "truth": [(inv["id"], inv["residual"]) for inv in invs]}


def _make_short(rng, pool, customers, book, _index, _names):
    inv, payer = _one_invoice_line(rng, pool, customers)
    if not inv:
        return None
    residual = inv["residual"]
    fraction, cap = SHORT_TOLERANCE
    allowed = min(fraction * residual, cap)
    if rng.random() < 0.5 and allowed >= 0.02:
        fee = rng.choice((2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 25.0))
        gap = fee if fee <= allowed and rng.random() < 0.5 else _cents(rng.uniform(0.01, allowed))
        variant = "within tolerance"
    else:
        gap = _cents(residual * rng.uniform(0.03, 0.4))
        variant = "beyond tolerance"
    gap = max(0.01, min(gap, residual - 0.01))
    paid = _cents(residual - gap)
    with_ref = rng.random() < 0.85
    template, ref = rng.choice(book["labels"]["one" if with_ref else "none"]), _ref_of(rng, inv)
    label = _fill(rng, template, name=payer["partner_name"], ref=ref)
    return {**payer, "variant": variant + ("" if with_ref else ", no reference"), "amount": paid,
            "partner_id": inv["partner_id"], "payment_ref": label, "refs": [ref] if with_ref else [],
            "truth": [(inv["id"], paid)]}


def _make_overpay(rng, pool, customers, book, _index, _names):
    inv, payer = _one_invoice_line(rng, pool, customers)
    if not inv:
        return None
    residual = inv["residual"]
    roll = rng.random()
    if roll < 0.4:
        paid, variant = residual * (1 + rng.uniform(0.005, 0.1)), "a few percent more"
    elif roll < 0.7:
        step = 100 if residual > 500 else 10
        paid, variant = (int(residual / step) + 1) * step, "rounded up"
    else:
        paid, variant = residual + rng.choice((15.0, 25.0, 50.0, 120.0)), "a fee paid twice"
    template, ref = rng.choice(book["labels"]["one"]), _ref_of(rng, inv)
    label = _fill(rng, template, name=payer["partner_name"], ref=ref)
    return {**payer, "variant": variant, "amount": _cents(paid), "partner_id": inv["partner_id"],
            "payment_ref": label, "refs": [ref], "truth": [(inv["id"], residual)]}


def _make_missing_ref(rng, pool, customers, book, _index, _names):
    roll = rng.random()
    how = "bank account" if roll < 0.8 else "VAT in label" if roll < 0.9 else "name only"
    partner, free = pool.customer_with(rng, 1)
    if not partner:
        return None
    cust = customers[partner]
    if (how == "bank account" and not cust["account"]) or (how == "VAT in label" and not cust["vat"]):
        return None
    # customers pay their oldest invoice more often than any other
    inv_id = free[0] if rng.random() < 0.6 else rng.choice(free)
    inv = pool.take([inv_id])[0]
    payer = _payer(rng, customers, partner, account=how == "bank account")
    label = _fill(rng, rng.choice(book["labels"]["none"]))
    if how == "VAT in label":
        label = f"{label} {cust['vat']}"
    elif how == "name only":
        payer["partner_name"] = cust["name"]
    return {**payer, "variant": how, "amount": inv["residual"], "partner_id": partner, "payment_ref": label,
            "truth": [(inv["id"], inv["residual"])]}


def _make_wrong_partner(rng, pool, customers, book, index, _names):
    inv_id = pool.one(rng)
    if inv_id is None:
        return None
    inv = pool.take([inv_id])[0]
    cust = customers[inv["partner_id"]]
    with_ref = rng.random() < 0.5
    unknown = bank_account(rng, rng.choice(tuple(IBAN_LENGTH)), 90_000_000 + index) if rng.random() < 0.8 else None
    template, ref = rng.choice(book["labels"]["one" if with_ref else "none"]), _ref_of(rng, inv)
    label = _fill(rng, template, ref=ref, name="")
    return {"partner_name": misspelt_name(rng, cust["name"]), "account_number": unknown,
            "refs": [ref] if with_ref else [],
            "variant": ("with reference" if with_ref else "no reference") + (", unknown account" if unknown else ""),
            "amount": inv["residual"], "partner_id": inv["partner_id"], "payment_ref": label,
            "truth": [(inv["id"], inv["residual"])]}


def _make_remittance(rng, pool, customers, book, index, _names):
    partner, free, size = _customer_with_up_to(rng, pool, rng.choices((2, 3, 4, 5, 6), (30, 25, 20, 15, 10))[0])
    if not partner:
        return None
    chosen = sorted(rng.sample(free, size), key=free.index)
    invs = pool.take(chosen)
    amounts = [inv["residual"] for inv in invs]
    variant = "full amounts"
    if rng.random() < 0.2:
        # the advice deducts something from one invoice (a claim, a fee): it says how much
        k = rng.randrange(size)
        amounts[k] = _cents(amounts[k] * rng.uniform(0.7, 0.98))
        variant = "one invoice paid short"
    name = rng.choice((f"RA{index + 100000:07d}", f"REM-{today_year(invs)}-{index + 1:05d}",
                       f"PAYADV {index + 4_000_000}"))
    with_ref = rng.random() < 0.8
    payer = _payer(rng, customers, partner, account=not with_ref or rng.random() < 0.8)
    if not with_ref and not payer["account_number"]:
        return None
    label = _fill(rng, rng.choice(book["labels"]["remittance" if with_ref else "none"]), rem=name,
                  name=payer["partner_name"])
    return {**payer, "variant": variant + ("" if with_ref else ", no reference"), "amount": sum(amounts),
            "partner_id": partner, "payment_ref": label,
            "truth": [(inv["id"], amount) for inv, amount in zip(invs, amounts, strict=True)],
            "remittance": {"name": name, "partner_id": partner,
                           "lines": [(inv["id"], inv["name"], amount) for inv, amount in zip(invs, amounts, strict=True)]}}


def today_year(invs):
    return max(inv["invoice_date"] for inv in invs).year


def _make_discount(rng, pool, customers, book, _index, _names):
    inv, payer = _one_invoice_line(rng, pool, customers, pool.discounted)
    if not inv:
        return None
    with_ref = rng.random() < 0.8
    template, ref = rng.choice(book["labels"]["one" if with_ref else "none"]), _ref_of(rng, inv)
    label = _fill(rng, template, name=payer["partner_name"], ref=ref)
    # paid within the discount period (a bank line dated in it, not after today)
    start = inv["invoice_date"]
    date = min(book["today"], start + timedelta(days=rng.randint(0, max(0, (inv["discount_date"] - start).days))))
    return {**payer, "variant": "with reference" if with_ref else "no reference", "date": date,
            "amount": inv["discount_residual"], "partner_id": inv["partner_id"], "payment_ref": label,
            "refs": [ref] if with_ref else [], "truth": [(inv["id"], inv["discount_residual"])]}


def _make_fx(rng, pool, customers, book, _index, _names):
    inv, payer = _one_invoice_line(rng, pool, customers, pool.foreign)
    if not inv:
        return None
    template, ref = rng.choice(book["labels"]["one"]), _ref_of(rng, inv)
    label = _fill(rng, template, name=payer["partner_name"], ref=ref)
    rate = book["to_company"][inv["currency_id"]]
    # the bank converts at its own rate: within half a percent of the company's
    converted = _cents(inv["residual"] * rate * (1 + rng.uniform(-0.005, 0.005)))
    common = {**payer, "partner_id": inv["partner_id"], "payment_ref": label, "amount": converted, "refs": [ref]}
    if rng.random() < 0.7:
        return {**common, "variant": "paid in the invoice's currency", "foreign_currency_id": inv["currency_id"],
                "amount_currency": inv["residual"], "currency_id": inv["currency_id"],
                "truth": [(inv["id"], inv["residual"])]}
    return {**common, "variant": "converted by the payer's bank", "truth": [(inv["id"], converted)]}


def _make_duplicate(rng, _pool, customers, book, _index, _names):
    """An invoice already paid, paid again: its number in the label, its amount (the customer's
    accounts payable paid it twice). Nothing of the line may be applied to another invoice."""
    inv = rng.choice(book["paid"])
    if inv["partner_id"] not in customers:
        return None
    payer = _payer(rng, customers, inv["partner_id"])
    typed = inv["name"] if rng.random() < 0.6 else mistype(rng, inv["name"], rng.choice(FORMAT_TYPOS[:5])) \
        or inv["name"]
    template = rng.choice(book["labels"]["one"])
    return {**payer, "variant": "paid invoice paid again", "amount": inv["amount"], "partner_id": inv["partner_id"],
            "payment_ref": _fill(rng, template, name=payer["partner_name"], ref=typed), "refs": [typed],
            "truth": []}


_SCENARIO_MAKERS = {
    "exact": _make_exact, "typo": _make_typo, "multi": _make_multi, "short": _make_short,
    "overpay": _make_overpay, "missing_ref": _make_missing_ref, "wrong_partner": _make_wrong_partner,
    "remittance": _make_remittance, "discount": _make_discount, "fx": _make_fx, "duplicate": _make_duplicate,
}


# ----------------------------------------------------------------------
# Baseline and scoring
# ----------------------------------------------------------------------

def naive_baseline(line, names, residuals):
    """The naive matcher: invoice numbers found exactly as printed (a whole word of the label,
    same case and punctuation), applied only when the line's amount is exactly their open total
    in the same currency.

    :param line: {"label", "amount" (line currency), "currency_id"}
    :param names: {invoice number: [(invoice id, currency id)]} of the open invoices
    :param residuals: {invoice id: open amount in the invoice's currency}
    :return: [(invoice id, amount)] applied, or None (left for a person)
    """
    found = []
    for word in (line["label"] or "").replace(",", " ").replace(";", " ").split():
        for inv_id, currency_id in names.get(word, ()):
            if inv_id not in (i for i, _c in found):
                found.append((inv_id, currency_id))
    if not found or any(currency_id != line["currency_id"] for _i, currency_id in found):
        return None
    total = sum(residuals[i] for i, _c in found)
    if abs(total - line["amount"]) >= 0.005:
        return None
    return [(i, residuals[i]) for i, _c in found]


def same_allocation(applied, truth, cross_currency=()):
    """Whether an applied match is the truth: the same invoices, and on each the same amount
    (to the cent; within :data:`FX_TOLERANCE` for an invoice in another currency than the line).

    :param applied: [(invoice id, amount in the line's currency)]
    :param truth: [(invoice id, amount in the line's currency)]
    :param cross_currency: ids of the invoices in another currency than the line
    """
    got, want = defaultdict(float), defaultdict(float)
    for inv_id, amount in applied:
        got[inv_id] += amount
    for inv_id, amount in truth:
        want[inv_id] += amount
    if set(got) != set(want):
        return False
    for inv_id, amount in want.items():
        tolerance = max(0.01, FX_TOLERANCE * abs(amount)) if inv_id in cross_currency else 0.005
        if abs(got[inv_id] - amount) > tolerance:
            return False
    return True


OUTCOMES = ("auto_right", "auto_wrong", "queued_top_right", "queued_other", "unprocessed")


def summarize(rows):
    """Counts per scenario and in total.

    :param rows: [(scenario, outcome)] with outcome in :data:`OUTCOMES`
    :return: {scenario or "total": {"lines", "auto", "wrong", "queued", "queued_top_right", "unprocessed",
        and the rates auto_rate, wrong_rate (of all lines), wrong_of_auto (of the auto-matched),
        queued_rate}}
    """
    by = defaultdict(Counter)
    for scenario, result in rows:
        by[scenario][result] += 1
        by["total"][result] += 1
    out = {}
    for scenario in [s for s in SCENARIOS if s in by] + ["total"]:
        counts = by[scenario]
        lines = sum(counts.values())
        auto = counts["auto_right"] + counts["auto_wrong"]
        queued = counts["queued_top_right"] + counts["queued_other"]
        out[scenario] = {
            "lines": lines, "auto": auto, "wrong": counts["auto_wrong"], "queued": queued,
            "queued_top_right": counts["queued_top_right"], "unprocessed": counts["unprocessed"],
            "auto_rate": auto / lines if lines else 0.0,
            "wrong_rate": counts["auto_wrong"] / lines if lines else 0.0,
            "wrong_of_auto": counts["auto_wrong"] / auto if auto else 0.0,
            "queued_rate": queued / lines if lines else 0.0,
        }
    return out
