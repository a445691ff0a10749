"""Cash application: which open invoices an incoming bank line pays, and how sure we are.

Pure Python on plain values, so that the scheduled matcher, the exceptions queue and the
evaluation command (``setup/cashmatch.sh``) share one decision procedure. The ORM layer
(``account.bank.statement.line._ar_cash_match``) loads a company's open invoices and customers
once per batch, asks :class:`CashMatcher` for suggestions, and applies the confident ones.

Amounts are compared in the bank line's currency: the caller converts each invoice's open
amount with ``convert`` (company rates of the line's date). An invoice in another currency than
the line matches "exactly" within ``FX_TOLERANCE`` since the bank's rate is never the company's.
"""
import functools
import re
import time
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz, process

from . import label_reader

# Words of a label: what separates them (anything but letters, digits and the separators of a number).
SPLIT_RE = re.compile(r"[^0-9A-Za-z/_.#-]+")
NON_ALNUM_RE = re.compile(r"[^0-9A-Z]+")
PARTS_RE = re.compile(r"[0-9]+|[A-Z]+")
WORD_PARTS_RE = re.compile(r"[/_.#-]+")
# Relative tolerance between the bank's and the company's exchange rates.
FX_TOLERANCE = 0.02
# Words of a label searched together for a reference: "INV 2026 00012" is three words.
MAX_WINDOW = 4
# Shortest normalised token worth a near-match (shorter ones collide with amounts and dates).
MIN_FUZZY_LENGTH = 6
# Longest customer name (in significant words) recognised in a label.
MAX_NAME_WORDS = 6
# Customer invoices looked at by the combination search (oldest first) and largest combination.
MAX_COMBINATION_INVOICES = 40
MAX_COMBINATION_SIZE = 10

# Confidence of each finding, 0-100. The company's threshold (90 by default) decides what is
# applied without a person; the spread below is what the evaluation command was tuned on.
CONF_REMITTANCE = 99
CONF_REMITTANCE_MISMATCH = 70
CONF_REF_EXACT = 98
CONF_REF_DISCOUNT = 96
CONF_REF_SUBSET = 92
CONF_REF_PLUS_OLDEST = 94
CONF_REF_SHORT_TOLERATED = 93
# Paid in full less a bank fee within the company's fee tolerance.
CONF_REF_BANK_FEE = 95
CONF_REF_OVERPAID = 92
CONF_REF_PARTIAL = 86
# A partial payment of the one invoice named, by a payer identified otherwise too.
CONF_REF_PARTIAL_CONFIRMED = 91
# Paid more than the invoices named, and the rest could pay other open invoices of the customer.
CONF_REF_OVERPAID_UNSURE = 84
CONF_FUZZY_EXACT = 94
CONF_FUZZY_OTHER = 80
CONF_AMOUNT_UNIQUE = 93
CONF_AMOUNT_DISCOUNT = 90
CONF_OLDEST_PREFIX = 93
CONF_COMBINATION_UNIQUE = 91
CONF_AMOUNT_AMBIGUOUS = 70
CONF_COMBINATION_AMBIGUOUS = 68
CONF_ALL_OPEN_OVERPAID = 88
CONF_SHORT_ONE = 78
CONF_SHORT_ONE_KNOWN_PAYER = 91
CONF_CREDIT_ONLY = 40
CONF_COMPANY_AMOUNT_UNIQUE = 62
CONF_COMPANY_AMOUNT_MANY = 35
# A reference whose invoice belongs to another customer than the payer we identified.
CONF_CONFLICT_CAP = 55
# Customer identified by name only: weaker than by bank account, VAT or the line's partner.
NAME_ONLY_PENALTY = 5
# The label names an invoice that is paid, cancelled or another customer's: whatever else fits
# (an amount, another invoice), a person decides (the duplicate payment of issue 19).
CONF_NAMES_ELSEWHERE = 60
# Only the invoice's sequence number ("00123", "#123") of an identified payer's invoice.
CONF_REF_SEQUENCE = 95
# An invoice paid net of an open credit note of the customer (one pair fits).
CONF_NETTED_REFERENCE = 93
CONF_NETTED_AMOUNT = 86
# Payer name with a typo: rapidfuzz ratio of the significant words (0-100), and how far ahead
# of the second best name it must be.
FUZZY_NAME_CUTOFF = 88
FUZZY_NAME_MARGIN = 4
# Standalone numbers of a label read as a sequence number: no longer than an invoice's sequence.
SEQUENCE_RE = re.compile(r"(?<![0-9A-Za-z.,/-])#?0*([1-9][0-9]{0,5})(?![0-9A-Za-z.,/-])")
CLOSED_REASONS = {"paid": "which is already paid", "in_payment": "which is already paid",
                  "reversed": "which was reversed by a credit note", "cancel": "which is cancelled"}


def normalize(text):
    """Upper-case alphanumerics only: ``"inv/2026-00012"`` -> ``"INV202600012"``."""
    return NON_ALNUM_RE.sub("", (text or "").upper())


def canonical(text):
    """Reference parts without the letters before the first digit and without leading zeros:
    ``"INV/2026/00012"`` and ``"inv 2026 12"`` -> ``"2026#12"``."""
    parts = PARTS_RE.findall((text or "").upper())
    while parts and not parts[0].isdigit():
        parts.pop(0)
    if len(parts) < 2:
        return None
    return "#".join(str(int(p)) if p.isdigit() else p for p in parts)


def canonical_keys(text):
    """:func:`canonical` and its two-digit-year form: ``"INV/2026/00012"`` -> ``{"2026#12", "26#12"}``."""
    canon = canonical(text)
    if not canon:
        return set()
    head, _sep, rest = canon.partition("#")
    keys = {canon}
    if len(head) == 4 and head.startswith("20"):
        keys.add(f"{int(head[2:])}#{rest}")
    return keys


@functools.lru_cache(maxsize=100_000)
def reference_keys(name, payment_reference):
    """The keys an invoice is found by, from its number and payment reference: (normalized
    references, with and without their letters; canonical forms). Cached: every scheduled call
    indexes the same open invoices again."""
    keys, canons = [], set()
    for ref in {name, payment_reference} - {None, "", False}:
        key = normalize(ref)
        if len(key) >= 3:
            keys.append(key)
            stripped = key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if len(stripped) >= MIN_FUZZY_LENGTH and stripped != key:
                keys.append(stripped)
        canons |= canonical_keys(ref)
    return tuple(keys), tuple(canons)


def sequence_number(name):
    """The invoice's own number, the last digits of its name: ``"INV/2026/00123"`` -> 123."""
    digits = re.findall(r"[0-9]+", name or "")
    return int(digits[-1]) if digits else None


def within_one_edit(a, b):
    """True when ``a`` becomes ``b`` by one substitution, insertion, deletion or swap of two
    neighbouring characters (the typos of a reference typed by hand)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


@dataclass
class Invoice:
    """An open customer invoice as the matcher sees it."""

    id: int
    partner_id: int
    name: str
    payment_reference: str
    currency_id: int
    residual: float  # in the invoice's currency
    date_due: object
    discount_residual: float = None  # what settles it under its early-payment discount
    discount_date: object = None
    disputed: bool = False
    # "open"; for an invoice of the company that is not open: "paid", "in_payment",
    # "reversed" or "cancel" (named in a label, it is evidence against any other match)
    status: str = "open"
    is_refund: bool = False  # an open credit note: what it credits nets an invoice


@dataclass
class Line:
    """An incoming bank line."""

    id: int
    amount: float  # in the transaction currency, positive
    currency_id: int
    date: object
    label: str
    partner_id: int = None  # set on the bank line (by an import module or a person)
    account_number: str = None
    remittance: list = None  # [(invoice id, amount)] of a remittance advice for this line
    payer_name: str = None  # the payer's name as the bank gives it


@dataclass
class Suggestion:
    rule: str
    confidence: int
    partner_id: int
    allocations: list  # [(invoice id, amount in line currency, discount in invoice currency)]
    difference_kind: str = "exact"
    difference: float = 0.0  # received minus applied, line currency
    signals: list = field(default_factory=list)
    needs_manager: bool = False

    @property
    def invoice_ids(self):
        return [a[0] for a in self.allocations]


class CashMatcher:
    """Suggestions for the bank lines of one company.

    :param invoices: open customer invoices (:class:`Invoice`) of the company
    :param partners: {commercial partner id: (name, vat)} of the customers that have open invoices
    :param bank_accounts: {normalised account number: commercial partner id}
    :param convert: ``convert(amount, from currency id, to currency id, date)``
    :param rounding: {currency id: smallest unit}
    :param short_tolerance: ``(fraction, max amount)``: a short payment within
        ``min(fraction * open, max amount)`` settles the invoice
    :param time_budget: seconds the combination search may spend on one line
    :param writeoff: tolerated short payments are written off (else the rest stays open)
    :param groups: {commercial partner id: id of its group's top company} (a holding pays for
        its subsidiaries, a branch for its head office)
    :param credit_notes: open customer credit notes (:class:`Invoice`, ``is_refund``, residual
        positive): an invoice may be paid net of one
    :param fee_tolerance: ``(fraction, max amount)`` of a bank fee (0: no limit by that one), or
        None: a payment short by at most that much pays its invoices in full, less the bank's fee
    """

    def __init__(self, invoices, partners, bank_accounts, convert, rounding,
                 short_tolerance=(0.02, 50.0), time_budget=0.25, writeoff=False, groups=None, credit_notes=(),
                 fee_tolerance=None):
        self.invoices = {inv.id: inv for inv in invoices}
        self.open = {inv.id: inv.residual for inv in invoices}
        self.groups = groups or {}
        self.group_members = {}
        for member, top in self.groups.items():
            self.group_members.setdefault(top, set()).add(member)
        self.credits_by_partner = {}
        for note in sorted(credit_notes, key=lambda n: n.id):
            self.invoices[note.id] = note
            self.open[note.id] = note.residual
            self.credits_by_partner.setdefault(note.partner_id, []).append(note.id)
        # invoices of the company that are not open, named in some label of the batch (add_closed)
        self.closed_index = {}
        self.closed_canonical_index = {}
        self.closed_by_number = {}
        self.readings = {}
        self.partners = partners
        self.bank_accounts = bank_accounts
        self.convert = convert
        self.rounding = rounding
        self.short_tolerance = short_tolerance
        self.time_budget = time_budget
        # tolerated short payments settle the invoice (write-off) or leave the rest open
        self.short_kind = "short_writeoff" if writeoff else "short_open"
        self.fee_tolerance = fee_tolerance
        self.by_partner = {}
        self.ref_index = {}
        self.canonical_index = {}
        self.sequence_index = {}
        for inv in sorted(invoices, key=lambda i: (i.date_due or date.max, i.id)):
            self.by_partner.setdefault(inv.partner_id, []).append(inv.id)
            self._index(inv, self.ref_index, self.canonical_index)
            number = sequence_number(inv.name)
            if number:
                self.sequence_index.setdefault((inv.partner_id, number), []).append(inv.id)
        # amount-only lookups: invoices by (currency, amount in smallest units)
        self.amount_index = {}
        for inv in invoices:
            self.amount_index.setdefault((inv.currency_id, round(inv.residual / self.unit(inv.currency_id))),
                                         []).append(inv.id)
        self.vat_index = {}
        self.name_index = {}
        for partner_id, (name, vat) in partners.items():
            vat_key = normalize(vat)
            if len(vat_key) >= 5:
                self.vat_index.setdefault(vat_key, set()).add(partner_id)
                if vat_key[:2].isalpha() and len(vat_key) >= 7:
                    self.vat_index.setdefault(vat_key[2:], set()).add(partner_id)
            words = tuple(normalize_words(name))
            if words and len(words) <= MAX_NAME_WORDS:
                self.name_index.setdefault(words, set()).add(partner_id)
        self.fuzzy_names = {partner_id: " ".join(normalize_words(name)) for partner_id, (name, _vat) in partners.items()}

    @staticmethod
    def _index(inv, ref_index, canonical_index):
        keys, canons = reference_keys(inv.name, inv.payment_reference)
        for key in keys:
            ref_index.setdefault(key, set()).add(inv.id)
        for canon in canons:
            canonical_index.setdefault(canon, set()).add(inv.id)

    def add_closed(self, invoices):
        """Invoices of the company that are not open (:class:`Invoice` with their ``status``):
        a label naming one of them is not paying an open invoice by its amount."""
        for inv in invoices:
            if inv.id in self.invoices:
                continue
            self.invoices[inv.id] = inv
            self.open[inv.id] = 0.0
            self._index(inv, self.closed_index, self.closed_canonical_index)
            number = sequence_number(inv.name)
            if number:
                self.closed_by_number.setdefault(number, []).append(inv.id)

    def reading(self, line):
        """The bank line's text read by :func:`label_reader.read` (once per line)."""
        key = (line.id, line.label)
        if key not in self.readings:
            self.readings[key] = label_reader.read(line.label)
        return self.readings[key]

    def candidate_keys(self, labels):
        """What the labels could name, to look up among the invoices that are not open:
        (normalised keys, sequence numbers)."""
        keys, numbers = set(), set()
        for label in labels:
            reading = label_reader.read(label)
            keys.update(ref.key for ref in reading.references)
            for window in self.windows(self._reference_text(reading)):
                key = normalize(window)
                if len(key) >= 3 and any(c.isdigit() for c in key):
                    keys.add(key)
                    keys.add(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            numbers.update(int(n) for n in re.findall(r"[0-9]{1,9}", label or ""))
        return keys - {""}, numbers

    def same_group(self, partner_a, partner_b):
        return partner_a == partner_b or self.groups.get(partner_a, partner_a) == self.groups.get(partner_b, partner_b)

    # ------------------------------------------------------------------
    # Amounts
    # ------------------------------------------------------------------
    def unit(self, currency_id):
        return self.rounding.get(currency_id, 0.01)

    def open_in(self, inv_id, line):
        """What is left to pay on the invoice, in the line's currency (None when settled)."""
        inv = self.invoices[inv_id]
        residual = self.open[inv_id]
        if residual <= self.unit(inv.currency_id) / 2:
            return None
        if inv.currency_id == line.currency_id:
            return residual
        return self.convert(residual, inv.currency_id, line.currency_id, line.date)

    def same(self, a, b, line, inv_ids=()):
        """Two amounts in the line's currency are equal (within the FX tolerance when one of the
        invoices is in another currency)."""
        if any(self.invoices[i].currency_id != line.currency_id for i in inv_ids):
            return abs(a - b) <= max(self.unit(line.currency_id), FX_TOLERANCE * max(abs(a), abs(b)))
        return abs(a - b) < self.unit(line.currency_id) / 2

    def discounted_in(self, inv_id, line):
        """What settles the invoice under its early-payment discount on the line's date."""
        inv = self.invoices[inv_id]
        if (inv.discount_residual is None or inv.currency_id != line.currency_id
                or not inv.discount_date or line.date > inv.discount_date
                or abs(self.open[inv_id] - inv.residual) > self.unit(inv.currency_id) / 2):
            return None
        return inv.discount_residual

    def bank_fee(self, line, inv_ids, open_amount):
        """Whether ``line`` pays ``open_amount`` of ``inv_ids`` less a bank fee within tolerance."""
        if not self.fee_tolerance or any(self.invoices[i].currency_id != line.currency_id for i in inv_ids):
            return False
        fraction, cap = self.fee_tolerance
        fee = open_amount - line.amount
        return fee > self.unit(line.currency_id) / 2 and (not cap or fee <= cap + 1e-9) \
            and (not fraction or fee <= fraction * open_amount + 1e-9)

    def tolerated_short(self, amount, open_amount):
        fraction, cap = self.short_tolerance
        return 0 < open_amount - amount <= min(fraction * open_amount, cap or float("inf"))

    # ------------------------------------------------------------------
    # Signals
    # ------------------------------------------------------------------
    def windows(self, label):
        words = [w for w in SPLIT_RE.split((label or "").upper()) if w]
        for i in range(len(words)):
            for n in range(1, MAX_WINDOW + 1):
                if i + n > len(words):
                    break
                yield " ".join(words[i:i + n])
        for word in words:
            # a reference glued to more by a separator ("INV/2026/00012/4500123", "PO77-INV-2026-12"):
            # its runs of parts too
            parts = [p for p in WORD_PARTS_RE.split(word) if p]
            if len(parts) > 2:
                for i in range(len(parts)):
                    for n in range(2, min(len(parts) - i, MAX_WINDOW) + 1):
                        if n < len(parts):
                            yield "/".join(parts[i:i + n])

    @staticmethod
    def _reference_text(reading):
        """Where invoice numbers are looked for: the remittance text and the reference fields."""
        return " ".join([reading.text] + [ref.value for ref in reading.references if ref.scheme == "field"])

    def _lookup(self, window, ref_index, canonical_index):
        hits = ref_index.get(normalize(window))
        if not hits and not window.split(" ", 1)[0].isalpha():
            # a leading word ("INV", "PAYMENT") adds nothing: the window after it has the same parts
            canon = canonical(window)
            # "INV/26/00012": a year in two digits only next to the invoice's prefix and before a
            # padded sequence number ("26.12", "USTD/25/09" are dates)
            if canon and (len(canon.partition("#")[0]) > 2 or (
                    not window[:1].isdigit() and len(re.findall(r"[0-9]+", window)[-1]) >= 3)):
                hits = canonical_index.get(canon)
        return hits

    def references(self, line):
        """Invoices named in the label: [(invoice id, signal)], in order of appearance."""
        return self._named(line)[0]

    def _named(self, line):
        """([(open invoice id, signal)], [(invoice id that is not open, signal)]) named in the label."""
        reading = self.reading(line)
        found, closed, seen = [], [], set()

        def take(hits, how, into):
            for inv_id in sorted(hits or ()):
                if inv_id in seen:
                    continue
                if into is closed or self.open_in(inv_id, line) is not None:
                    seen.add(inv_id)
                    into.append((inv_id, how))

        for ref in reading.references:
            hits = self.ref_index.get(ref.key)
            take(hits, f"reference {ref.value}", found)
            if not hits:
                take(self.closed_index.get(ref.key), ref.value, closed)
        for window in self.windows(self._reference_text(reading)):
            hits = self._lookup(window, self.ref_index, self.canonical_index)
            take(hits, f"reference {window}", found)
            if not hits and (self.closed_index or self.closed_canonical_index):
                take(self._lookup(window, self.closed_index, self.closed_canonical_index), window, closed)
        # an open and a closed invoice can share a number (another journal): the open one was named
        closed = [(i, how) for i, how in closed
                  if not any(normalize(how) in (normalize(self.invoices[o].name), normalize(
                      self.invoices[o].payment_reference)) for o, _s in found)]
        return found, closed

    def sequence_references(self, line, partner_ids):
        """Invoices of ``partner_ids`` named by their sequence number only ("00123", "#123")."""
        found = []
        for number in SEQUENCE_RE.findall(self._reference_text(self.reading(line))):
            for partner_id in partner_ids:
                for inv_id in self.sequence_index.get((partner_id, int(number)), ()):
                    if self.open_in(inv_id, line) is not None and inv_id not in (i for i, _s in found):
                        found.append((inv_id, f"sequence number {number} of {self.invoices[inv_id].name}"))
        return found

    def fuzzy_references(self, line, partner_ids):
        """Invoices of ``partner_ids`` whose number is one typo away from a word of the label."""
        keys = {normalize(w) for w in self.windows(self._reference_text(self.reading(line)))}
        keys = {k for k in keys if len(k) >= MIN_FUZZY_LENGTH and any(c.isdigit() for c in k)}
        found = []
        for partner_id in partner_ids:
            for inv_id in self.by_partner.get(partner_id, ()):
                if self.open_in(inv_id, line) is None:
                    continue
                inv = self.invoices[inv_id]
                refs = {normalize(inv.name), normalize(inv.payment_reference)} - {""}
                refs |= {r.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for r in refs}
                for key in keys:
                    if any(len(r) >= MIN_FUZZY_LENGTH and within_one_edit(key, r) for r in refs):
                        found.append((inv_id, f"reference {key} near {inv.name}"))
                        break
        return found

    def payers(self, line):
        """Customers the line comes from: {partner id: signal}, and whether only by name."""
        strong = {}
        if line.partner_id and line.partner_id in self.partners:
            strong[line.partner_id] = "customer set on the bank line"
        if line.account_number:
            partner_id = self.bank_accounts.get(normalize(line.account_number))
            if partner_id:
                strong.setdefault(partner_id, f"bank account {line.account_number}")
        for window in self.windows(line.label):
            for partner_id in self.vat_index.get(normalize(window), ()):
                strong.setdefault(partner_id, f"VAT {window}")
        if strong:
            return strong, False
        by_name = {}
        reading = self.reading(line)
        for text in [line.label, line.payer_name] + reading.names:
            words = normalize_words(text)
            for i in range(len(words)):
                for n in range(1, MAX_NAME_WORDS + 1):
                    for partner_id in self.name_index.get(tuple(words[i:i + n]), ()) if i + n <= len(words) else ():
                        by_name[partner_id] = "name " + " ".join(words[i:i + n]).title()
        if not by_name:
            by_name = self.fuzzy_payers([line.payer_name] + reading.names)
        return by_name, True

    def fuzzy_payers(self, names):
        """The customer whose name is a typo away from one of ``names`` (rapidfuzz), if only one is."""
        for name in filter(None, names):
            query = " ".join(normalize_words(name))
            if len(query) < 5:
                continue
            best = process.extract(query, self.fuzzy_names, scorer=fuzz.ratio, limit=2,
                                   score_cutoff=FUZZY_NAME_CUTOFF - FUZZY_NAME_MARGIN)
            if best and best[0][1] >= FUZZY_NAME_CUTOFF and (len(best) == 1 or best[0][1] - best[1][1] >= FUZZY_NAME_MARGIN):
                _choice, score, partner_id = best[0]
                return {partner_id: f"name {name} ~ {self.partners[partner_id][0]} ({round(score)} %)"}
        return {}

    # ------------------------------------------------------------------
    # Decisions
    # ------------------------------------------------------------------
    def suggest(self, line, limit=3):
        """The best suggestions for ``line``, best first (at most ``limit``)."""
        suggestions = []
        if line.remittance:
            suggestions.append(self._from_remittance(line))
        payers, name_only = self.payers(line)
        refs, closed = self._named(line)
        typos = self._typo_of_foreign(line, refs, payers, name_only)
        if typos:
            suggestions.extend(self._from_references(line, typos, payers, name_only, "reference_fuzzy"))
        if refs:
            suggestions.extend(self._from_references(line, refs, payers, name_only, "reference"))
        elif payers:
            fuzzy = self.fuzzy_references(line, payers)
            sequence = [] if fuzzy or closed else self.sequence_references(line, payers)
            if name_only:
                # a name may be another payer's: its invoice's number only with its exact amount
                # (an ACH "RMR*IV*00123*450.00" segment, "Invoice no 123")
                sequence = [(i, how) for i, how in sequence
                            if self.same(self.open_in(i, line), line.amount, line, [i])][:1] \
                    if len(sequence) == 1 else []
            if fuzzy and closed:
                fuzzy = [(i, f"{how} (the number written is {', '.join(self.invoices[c].name for c, _s in closed)}, "
                          f"another customer's)") for i, how in fuzzy]
            if fuzzy:
                suggestions.extend(self._from_references(line, fuzzy, payers, name_only, "reference_fuzzy"))
            elif sequence:
                suggestions.extend(self._from_references(
                    line, sequence, payers, name_only, "reference",
                    base=CONF_REF_SEQUENCE - (NAME_ONLY_PENALTY if name_only else 0)))
        named = {i for i, _how in refs}
        for partner_id, signal in payers.items():
            for sug in self._from_partner(line, partner_id, signal, name_only, refs):
                if named and sug.invoice_ids and not named & set(sug.invoice_ids):
                    # the customer named an open invoice: another one of the amount is only a guess
                    sug.confidence = min(sug.confidence, CONF_FUZZY_OTHER)
                    sug.signals.append("the label names another invoice")
                suggestions.append(sug)
        if payers and not name_only:
            # a holding pays for its subsidiaries, a branch for its head office: their amounts
            # are suggested, a little less sure than the payer's own
            for partner_id, signal in list(payers.items()):
                for member in self.group_members.get(self.groups.get(partner_id), ()):
                    if member not in payers and member in self.by_partner:
                        for sug in self._from_partner(line, member, f"{signal}, same group as "
                                                      f"{self.partners[member][0]}", True, refs):
                            if sug.allocations:
                                suggestions.append(sug)
        if not payers and not refs:
            suggestions.extend(self._from_amount_only(line))
        against = self._evidence_against(line, [] if typos else refs, closed, payers, name_only)
        if not refs and not closed:
            against += self._paid_again(line, payers, name_only)
        best = {}
        for sug in suggestions:
            if sug is None:
                continue
            sug.needs_manager = any(self.invoices[i].disputed for i in sug.invoice_ids)
            key = tuple(sorted(sug.invoice_ids)) + (sug.difference_kind,)
            if key not in best or best[key].confidence < sug.confidence:
                best[key] = sug
        ranked = sorted(best.values(), key=lambda s: (-s.confidence, len(s.allocations)))
        # Two different answers almost as likely: nobody should apply either without a look.
        if len(ranked) > 1 and ranked[0].confidence - ranked[1].confidence < 5 \
                and set(ranked[0].invoice_ids) != set(ranked[1].invoice_ids):
            for sug in ranked[:2]:
                sug.confidence = min(sug.confidence, CONF_AMOUNT_AMBIGUOUS)
                sug.signals.append("another answer is as likely")
        if against:
            for sug in ranked:
                if sug.rule == "remittance" and sug.confidence == CONF_REMITTANCE:
                    # the customer's advice lists open invoices adding up to the amount: the
                    # numbers of the label are the advice's reference ("REM-2026-00059")
                    continue
                sug.confidence = min(sug.confidence, CONF_NAMES_ELSEWHERE)
                sug.signals.extend(against)
        return ranked[:limit]

    def _paid_again(self, line, payers, name_only):
        """A number of the label is the sequence number of an invoice that is not open, of the
        payer's group (or of anyone when the payer is unknown), whose total is the amount received:
        that invoice paid again, however its number was written."""
        reasons = []
        for number in {int(n) for n in re.findall(r"[0-9]{1,9}", line.label or "")}:
            for inv_id in self.closed_by_number.get(number, ()):
                inv = self.invoices[inv_id]
                if inv.currency_id == line.currency_id and self.same(inv.residual, line.amount, line) and (
                        not payers or name_only or any(self.same_group(inv.partner_id, p) for p in payers)):
                    reasons.append(f"names {inv.name} {CLOSED_REASONS.get(inv.status, 'which is not open')}"
                                   f" (its number and amount)")
        return reasons

    def _typo_of_foreign(self, line, refs, payers, name_only):
        """The label names only open invoices of other customers than a payer identified by
        account, VAT or the line's partner, none of the amount received, and exactly one open
        invoice of the payer of exactly that amount is a typo away from a number written: a
        mistyped number of the payer's own (numbers are dense: a typo names some other invoice).

        :return: [(invoice id, signal)] of that invoice, or []
        """
        if not refs or not payers or name_only or any(
                self.same_group(self.invoices[i].partner_id, p) for i, _how in refs for p in payers):
            return []
        if any(self.same(self.open_in(i, line) or 0.0, line.amount, line, [i]) for i, _how in refs):
            return []  # the payer may pay that invoice for its customer: a person decides
        near = [(i, how) for i, how in self.fuzzy_references(line, payers)
                if self.same(self.open_in(i, line), line.amount, line, [i])]
        if len(near) != 1:
            return []
        written = ", ".join(self.invoices[i].name for i, _how in refs)
        return [(near[0][0], f"{near[0][1]} (the number written is {written}, another customer's)")]

    def _typo_of_another(self, inv_id, line, payers, name_only):
        """A closed invoice named by a payer identified by account, VAT or the line's partner, of
        another group than the payer's and of another amount than received: not this payer paying
        it again but a mistyped number of the payer's own (numbers are dense: a typo names some
        other invoice)."""
        inv = self.invoices[inv_id]
        return bool(payers) and not name_only and not self.same(inv.residual, line.amount, line) \
            and not any(self.same_group(inv.partner_id, p) for p in payers)

    def _evidence_against(self, line, refs, closed, payers, name_only):
        """Why no match of this line may be applied without a person: the label names an
        invoice that is paid, cancelled, or another customer's than the identified payer."""
        reasons = [f"names {self.invoices[i].name} {CLOSED_REASONS.get(self.invoices[i].status, 'which is not open')}"
                   for i, _how in closed if not self._typo_of_another(i, line, payers, name_only)]
        if payers and not name_only:
            reasons += [f"names {self.invoices[i].name}, an invoice of another customer than the payer"
                        for i, _how in refs
                        if not any(self.same_group(self.invoices[i].partner_id, p) for p in payers)]
        return reasons

    def consume(self, suggestion, line):
        """Book an applied suggestion so that later lines of the batch see what is left."""
        for inv_id, amount, discount in suggestion.allocations:
            inv = self.invoices[inv_id]
            open_line = self.open_in(inv_id, line) or 0.0
            if inv.is_refund:
                self.open[inv_id] = max(0.0, self.open[inv_id] + amount)
                continue
            if discount or (open_line and self.same(amount, open_line, line, [inv_id])) \
                    or suggestion.difference_kind == "short_writeoff":
                self.open[inv_id] = 0.0
            elif inv.currency_id == line.currency_id:
                self.open[inv_id] -= amount
            else:
                self.open[inv_id] -= self.convert(amount, line.currency_id, inv.currency_id, line.date)

    def _allocate(self, line, inv_ids, amount):
        """Apply ``amount`` to ``inv_ids`` oldest first: [(id, applied)], amount left over."""
        allocations = []
        for inv_id in inv_ids:
            if amount <= self.unit(line.currency_id) / 2:
                break
            open_amount = self.open_in(inv_id, line)
            applied = min(open_amount, amount)
            allocations.append((inv_id, round(applied, 6), 0.0))
            amount -= applied
        return allocations, amount

    def _from_remittance(self, line):
        allocations = [(inv_id, amount, 0.0) for inv_id, amount in line.remittance if inv_id in self.invoices]
        total = sum(a[1] for a in allocations)
        # an advice listing invoices already paid is no reason to pay them again
        ok = len(allocations) == len(line.remittance) and self.same(total, line.amount, line) and all(
            self.open_in(i, line) is not None and amount <= self.open_in(i, line) + self.unit(line.currency_id)
            for i, amount, _d in allocations)
        partner_ids = {self.invoices[a[0]].partner_id for a in allocations}
        return Suggestion(
            "remittance", CONF_REMITTANCE if ok and len(partner_ids) == 1 else CONF_REMITTANCE_MISMATCH,
            next(iter(partner_ids)) if len(partner_ids) == 1 else None, allocations,
            difference=line.amount - total, difference_kind="exact" if ok else "overpayment",
            signals=["remittance advice" if ok else "remittance advice does not add up to the amount received"])

    def _settle(self, line, inv_ids, base_conf, rule, partner_id, signals):
        """Amount logic on a set of invoices the customer designated."""
        opens = {i: self.open_in(i, line) for i in inv_ids}
        total = sum(opens.values())
        if self.same(line.amount, total, line, inv_ids):
            return Suggestion(rule, base_conf, partner_id, [(i, opens[i], 0.0) for i in inv_ids],
                              signals=signals + ["exact amount"])
        discounted = {i: self.discounted_in(i, line) for i in inv_ids}
        if all(v is not None for v in discounted.values()) \
                and self.same(line.amount, sum(discounted.values()), line):
            return Suggestion(rule, base_conf - (CONF_REF_EXACT - CONF_REF_DISCOUNT), partner_id,
                              [(i, discounted[i], opens[i] - discounted[i]) for i in inv_ids],
                              difference_kind="discount",
                              signals=signals + ["amount after the early-payment discount"])
        if line.amount > total:
            return Suggestion(rule, base_conf - (CONF_REF_EXACT - CONF_REF_OVERPAID), partner_id,
                              [(i, opens[i], 0.0) for i in inv_ids], difference_kind="overpayment",
                              difference=line.amount - total,
                              signals=signals + ["paid more than due: the rest stays as customer credit"])
        netted = self._netted(line, inv_ids, total, partner_id)
        if netted:
            note, note_open, count = netted
            return Suggestion(rule, min(base_conf, CONF_NETTED_REFERENCE) if count == 1 else CONF_AMOUNT_AMBIGUOUS,
                              partner_id, [(i, opens[i], 0.0) for i in inv_ids] + [(note, -note_open, 0.0)],
                              signals=signals + [f"net of credit note {self.invoices[note].name}"])
        if self.bank_fee(line, inv_ids, total):
            return Suggestion(rule, base_conf - (CONF_REF_EXACT - CONF_REF_BANK_FEE), partner_id,
                              [(i, opens[i], 0.0) for i in inv_ids], difference_kind="bank_fee",
                              difference=line.amount - total, signals=signals + ["paid less a bank fee"])
        if len(inv_ids) == 1 and self.tolerated_short(line.amount, total):
            return Suggestion(rule, base_conf - (CONF_REF_EXACT - CONF_REF_SHORT_TOLERATED), partner_id,
                              [(inv_ids[0], line.amount, 0.0)], difference_kind=self.short_kind,
                              difference=line.amount - total, signals=signals + ["short payment within tolerance"])
        allocations, _left = self._allocate(line, inv_ids, line.amount)
        return Suggestion(rule, base_conf - (CONF_REF_EXACT - CONF_REF_PARTIAL), partner_id, allocations,
                          difference_kind="short_open", difference=line.amount - total,
                          signals=signals + ["partial payment: the rest stays open"])

    def _netted(self, line, inv_ids, total, partner_id):
        """An open credit note of the customer whose amount is what the line lacks to pay
        ``inv_ids``: (credit note id, its open amount, how many notes fit) or None."""
        if any(self.invoices[i].currency_id != line.currency_id for i in inv_ids):
            return None
        notes = [n for p, ids in self.credits_by_partner.items() if self.same_group(p, partner_id) for n in ids
                 if self.invoices[n].currency_id == line.currency_id and self.open_in(n, line) is not None
                 and self.same(total - self.open_in(n, line), line.amount, line)]
        return (notes[0], self.open_in(notes[0], line), len(notes)) if notes else None

    def _from_references(self, line, refs, payers, name_only, rule, base=None):
        inv_ids = [i for i, _signal in refs]
        signals = [s for _i, s in refs]
        partner_ids = {self.invoices[i].partner_id for i in inv_ids}
        conflicting = payers and not name_only and not any(
            self.same_group(p, q) for p in partner_ids for q in payers)
        if len(partner_ids) > 1:
            # The label names invoices of several customers: keep those of the payer.
            kept = [i for i in inv_ids if any(self.same_group(self.invoices[i].partner_id, q) for q in payers)]
            if kept and len({self.invoices[i].partner_id for i in kept}) == 1:
                inv_ids, partner_ids = kept, {self.invoices[kept[0]].partner_id}
        base = base or (CONF_REF_EXACT if rule == "reference" else CONF_FUZZY_EXACT)
        if len(partner_ids) > 1:
            base = CONF_CONFLICT_CAP
            signals = signals + ["the references belong to several customers"]
        partner_id = self.invoices[inv_ids[0]].partner_id
        if partner_id in payers:
            signals = signals + [payers[partner_id]]
        out = [self._settle(line, inv_ids, base, rule, partner_id, signals)]
        if rule == "reference_fuzzy" and out[0].difference_kind != "exact":
            out[0].confidence = min(out[0].confidence, CONF_FUZZY_OTHER)
        first = out[0]
        if first.difference_kind in ("short_open", "overpayment") and len(partner_ids) == 1:
            # Several references and a different amount: which of them were paid, or which
            # other invoices of the customer were paid with them.
            subset = self._combination(line, inv_ids, line.amount)
            if subset and len(subset[0]) < len(inv_ids):
                out.append(Suggestion(rule, CONF_REF_SUBSET, partner_id,
                                      [(i, self.open_in(i, line), 0.0) for i in subset[0]],
                                      signals=signals + ["exact amount of some of the invoices named"]))
            elif first.difference_kind == "overpayment":
                others = [i for i in self.by_partner.get(partner_id, ()) if i not in inv_ids
                          and self.open_in(i, line) is not None]
                extra = self._combination(line, others, line.amount - sum(a[1] for a in first.allocations))
                if extra and len(extra) == 1:
                    # exactly the named invoices plus others of the customer: not a coincidence
                    first.confidence = min(first.confidence, CONF_REF_PARTIAL - 6)
                    chosen = inv_ids + extra[0]
                    out.append(Suggestion("combination", CONF_REF_PLUS_OLDEST, partner_id,
                                          [(i, self.open_in(i, line), 0.0) for i in chosen],
                                          signals=signals + ["with other open invoices of the customer: exact amount"]))
                elif others and line.amount - sum(a[1] for a in first.allocations) >= min(
                        self.open_in(i, line) for i in others) - self.unit(line.currency_id):
                    # the rest could pay other invoices of the customer: credit is only a guess
                    first.confidence = min(first.confidence, CONF_REF_OVERPAID_UNSURE)
                    first.signals.append("the rest could pay other open invoices of the customer")
        if rule == "reference" and first.difference_kind != "exact" and len(partner_ids) == 1:
            # A typo can name another open invoice of the same customer: one typo away from the
            # number written, an invoice of exactly the amount is what was meant.
            neighbours = [(i, sig) for i, sig in self.fuzzy_references(line, [partner_id])
                          if i not in inv_ids and self.same(self.open_in(i, line), line.amount, line, [i])]
            if len(neighbours) == 1:
                i, sig = neighbours[0]
                first.confidence = min(first.confidence, CONF_REF_OVERPAID_UNSURE)
                # less than the invoice named is as likely a partial payment of it: a person decides
                out.append(Suggestion("reference_fuzzy", CONF_FUZZY_EXACT if first.difference_kind == "overpayment"
                                      else CONF_FUZZY_OTHER, partner_id,
                                      [(i, self.open_in(i, line), 0.0)],
                                      signals=[sig, "exact amount", "the invoice named does not fit the amount"]))
            elif (first.difference_kind == "short_open" and len(inv_ids) == 1 and partner_id in payers
                  and first.confidence < CONF_REF_PARTIAL_CONFIRMED):
                # the payer (by account, VAT, the line's partner or its name) and the invoice
                # agree: a partial payment of it
                first.confidence = CONF_REF_PARTIAL_CONFIRMED
        if conflicting:
            for sug in out:
                sug.confidence = min(sug.confidence, CONF_CONFLICT_CAP)
                sug.signals.append("the invoice belongs to another customer than the payer ({})".format(", ".join(payers.values())))
        elif name_only and partner_id not in payers and rule == "reference_fuzzy":
            for sug in out:
                sug.confidence -= NAME_ONLY_PENALTY
        return out

    def _from_partner(self, line, partner_id, signal, name_only, refs):
        """The customer is known but no reference settles it: amounts of their open invoices."""
        penalty = NAME_ONLY_PENALTY if name_only else 0
        all_open = [i for i in self.by_partner.get(partner_id, ()) if self.open_in(i, line) is not None]
        # without a reference, an amount in another currency "fits" within the FX margin too often
        inv_ids = [i for i in all_open if self.invoices[i].currency_id == line.currency_id]
        if not inv_ids:
            return [Suggestion("amount", CONF_CREDIT_ONLY, partner_id, [], difference_kind="overpayment",
                               difference=line.amount, signals=[signal, "no open invoice: customer credit"])]
        out = []
        opens = {i: self.open_in(i, line) for i in inv_ids}
        exact = [i for i in inv_ids if self.same(opens[i], line.amount, line, [i])]
        if exact:
            conf = CONF_AMOUNT_UNIQUE if len(exact) == 1 else CONF_AMOUNT_AMBIGUOUS
            out.append(Suggestion("amount", conf - penalty, partner_id, [(exact[0], opens[exact[0]], 0.0)],
                                  signals=[signal, f"exact amount of {self.invoices[exact[0]].name}"]
                                  + ([f"{len(exact)} invoices of that amount: oldest first"] if len(exact) > 1 else [])))
        discounted = [i for i in inv_ids if self.discounted_in(i, line) is not None
                      and self.same(self.discounted_in(i, line), line.amount, line)]
        if discounted and not exact:
            i = discounted[0]
            out.append(Suggestion("amount", CONF_AMOUNT_DISCOUNT - penalty - (5 if len(discounted) > 1 else 0),
                                  partner_id, [(i, self.discounted_in(i, line), opens[i] - self.discounted_in(i, line))],
                                  difference_kind="discount",
                                  signals=[signal, f"amount of {self.invoices[i].name} after its early-payment discount"]))
        if not exact and not discounted:
            prefix, running = [], 0.0
            for i in inv_ids:
                prefix.append(i)
                running += opens[i]
                if self.same(running, line.amount, line, prefix) or running > line.amount:
                    break
            if len(prefix) > 1 and self.same(running, line.amount, line, prefix):
                out.append(Suggestion("combination", CONF_OLDEST_PREFIX - penalty, partner_id,
                                      [(i, opens[i], 0.0) for i in prefix],
                                      signals=[signal, f"exact amount of the {len(prefix)} oldest open invoices"]))
            else:
                combos = self._combination(line, inv_ids, line.amount)
                if combos:
                    conf = CONF_COMBINATION_UNIQUE if len(combos) == 1 else CONF_COMBINATION_AMBIGUOUS
                    out.append(Suggestion("combination", conf - penalty, partner_id,
                                          [(i, opens[i], 0.0) for i in combos[0]],
                                          signals=[signal, f"exact amount of {len(combos[0])} open invoices"]
                                          + ([] if len(combos) == 1 else ["other combinations add up too"])))
        if not out and self.credits_by_partner:
            pairs = [(i, self._netted(line, [i], opens[i], partner_id)) for i in inv_ids]
            pairs = [(i, netted) for i, netted in pairs if netted]
            if pairs:
                i, (note, note_open, count) = pairs[0]
                conf = CONF_NETTED_AMOUNT - penalty if len(pairs) == 1 and count == 1 else CONF_AMOUNT_AMBIGUOUS
                out.append(Suggestion("combination", conf, partner_id, [(i, opens[i], 0.0), (note, -note_open, 0.0)],
                                      signals=[signal, f"{self.invoices[i].name} net of credit note "
                                               f"{self.invoices[note].name}"]))
        total = sum(opens.values())
        if not out and line.amount > total and len(inv_ids) == len(all_open):
            out.append(Suggestion("amount", CONF_ALL_OPEN_OVERPAID - penalty, partner_id,
                                  [(i, opens[i], 0.0) for i in inv_ids], difference_kind="overpayment",
                                  difference=line.amount - total,
                                  signals=[signal, "more than all open invoices: the rest stays as customer credit"]))
        if not out:
            short = [i for i in inv_ids if self.tolerated_short(line.amount, opens[i])]
            if len(short) == 1:
                # from a payer known by account, VAT or the line's partner, a little less than the
                # one invoice it could be is that invoice less the banks' charges
                conf = CONF_SHORT_ONE - penalty if name_only else CONF_SHORT_ONE_KNOWN_PAYER
                out.append(Suggestion("amount", conf, partner_id, [(short[0], line.amount, 0.0)],
                                      difference_kind=self.short_kind, difference=line.amount - opens[short[0]],
                                      signals=[signal, f"a little less than {self.invoices[short[0]].name}"]))
        if not out:
            allocations, left = self._allocate(line, inv_ids, line.amount)
            out.append(Suggestion("amount", CONF_CREDIT_ONLY, partner_id, allocations,
                                  difference_kind="short_open" if left <= 0 else "overpayment",
                                  difference=max(left, 0.0), signals=[signal, "oldest invoices first"]))
        return out

    def _from_amount_only(self, line):
        """Nothing identifies the customer: invoices of the company with exactly this amount."""
        key = (line.currency_id, round(line.amount / self.unit(line.currency_id)))
        hits = [i for i in self.amount_index.get(key, ())
                if self.open_in(i, line) is not None and self.same(self.open_in(i, line), line.amount, line)]
        conf = CONF_COMPANY_AMOUNT_UNIQUE if len(hits) == 1 else CONF_COMPANY_AMOUNT_MANY
        return [Suggestion("amount", conf, self.invoices[i].partner_id, [(i, self.open_in(i, line), 0.0)],
                           signals=[f"only the amount: {self.invoices[i].name}"]) for i in hits[:3]]

    def _combination(self, line, inv_ids, target):
        """Combinations of ``inv_ids`` (oldest first) whose open amounts add up to ``target``:
        at most two (a second one means the answer is ambiguous), within the time budget."""
        unit = self.unit(line.currency_id)
        # only invoices in the line's currency: the FX tolerance would make any sum "fit"
        ids = [i for i in inv_ids if self.invoices[i].currency_id == line.currency_id][:MAX_COMBINATION_INVOICES]
        cents = [round(self.open_in(i, line) / unit) for i in ids]
        goal = round(target / unit)
        suffix = [0] * (len(cents) + 1)
        for k in range(len(cents) - 1, -1, -1):
            suffix[k] = suffix[k + 1] + cents[k]
        found, deadline, nodes = [], time.perf_counter() + self.time_budget, [0]

        def walk(k, left, chosen):
            if left == 0:
                found.append([ids[j] for j in chosen])
                return len(found) >= 2
            if k == len(cents) or left < 0 or left > suffix[k] or len(chosen) >= MAX_COMBINATION_SIZE:
                return False
            nodes[0] += 1
            if nodes[0] % 512 == 0 and time.perf_counter() > deadline:
                raise TimeoutError
            if cents[k] <= left:
                chosen.append(k)
                if walk(k + 1, left - cents[k], chosen):
                    return True
                chosen.pop()
            return walk(k + 1, left, chosen)

        try:
            walk(0, goal, [])
        except TimeoutError:
            # Out of time: one answer found is unconfirmed, treat it as ambiguous.
            return found + [None] if found else []
        return found


def normalize_words(text):
    """Significant words of a name or label, upper-case, legal forms dropped however written
    (``B.V.``, ``BV``, ``S.A.R.L.``)."""
    return label_reader.name_words(text) if text else []
