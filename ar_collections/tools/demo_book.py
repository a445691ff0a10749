"""Seeded generator of a believable accounts-receivable book.

Used for demos (``setup/demo_book.py``), tests and benchmarks. Everything the
book contains is decided up front by the pure :func:`_plan_book`, so one seed
always yields the same partners, amounts and dates; :func:`generate_ar_book`
then writes the plan with batched ORM calls.
"""
import logging
import random
import time
from collections import Counter, defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields

_logger = logging.getLogger(__name__)

MARKER_PARAM = "ar_collections.demo_book_seed"
REF_PREFIX = "AR-DEMO-"
BATCH_SIZE = 500

PROFILE_SHARES = {
    "on_time": 0.30,
    "late": 0.25,
    "deteriorating": 0.15,
    "disputer": 0.15,
    "partial": 0.15,
}
PROFILES = tuple(PROFILE_SHARES)

# xml id -> days until due (all four are plain "N days after invoice date")
PAYMENT_TERMS = {
    "account.account_payment_term_immediate": 0,
    "account.account_payment_term_15days": 15,
    "account.account_payment_term_30days": 30,
    "account.account_payment_term_45days": 45,
}
FOREIGN_SHARE = 0.20

# default_code, name, type, list price, (min qty, max qty)
PRODUCTS = (
    ("AR-DEMO-CONS", "Consulting (hour)", "service", 95.0, (2, 40)),
    ("AR-DEMO-IMPL", "Implementation package", "service", 2400.0, (1, 1)),
    ("AR-DEMO-SUPP", "Support subscription (month)", "service", 350.0, (1, 12)),
    ("AR-DEMO-TRNG", "Training day", "service", 850.0, (1, 5)),
    ("AR-DEMO-HOST", "Cloud hosting (month)", "service", 180.0, (1, 12)),
    ("AR-DEMO-SEAT", "Analytics licence (seat)", "service", 39.0, (3, 60)),
    ("AR-DEMO-ONSITE", "On-site intervention", "service", 450.0, (1, 4)),
    ("AR-DEMO-SCAN", "Barcode scanner", "consu", 240.0, (1, 20)),
)

NAME_STEMS = (
    "Arden", "Beaumont", "Brightwater", "Castell", "Corvin", "Delacroix",
    "Dijkstra", "Everwood", "Falkner", "Greenfield", "Halvorsen", "Harbor",
    "Ironbridge", "Juniper", "Kestrel", "Kingsley", "Larkspur", "Lumen",
    "Marlowe", "Meridian", "Norther", "Novak", "Oakridge", "Orchard",
    "Pemberton", "Quayside", "Riverside", "Silverline", "Thornbury", "Ulmer",
    "Vandenberg", "Verhoeven", "Westbrook", "Yardley", "Zeller", "Aurora",
    "Bellweather", "Copperfield", "Dunmore", "Elmstead", "Foxglove", "Granite",
)
NAME_SECTORS = (
    "Logistics", "Foods", "Engineering", "Retail", "Pharma", "Consulting",
    "Construction", "Textiles", "Print & Media", "Software", "Automotive",
    "Hospitality", "Dental Care", "Architects", "Energy", "Furniture",
    "Packaging", "Labs", "Garden Centres", "Interiors",
)
EMAIL_USERS = ("accounts", "billing", "finance", "ap", "invoices", "accounting")


def _digits(rng, count):
    return "".join(str(rng.randrange(10)) for _dummy in range(count))


def _pairs(rng, count):
    return " ".join(f"{rng.randint(10, 99)}" for _dummy in range(count))


# country code -> weight, [(city, zip, area code)], streets, legal forms,
# mobile(rng, area), phone(rng, area). Numbers are E.164 and valid for
# `phonenumbers` (the sms module parses them); US/UK use the ranges reserved for fiction.
COUNTRIES = {
    "be": (
        30,
        [("Brussels", "1000", "2"), ("Antwerp", "2000", "3"), ("Ghent", "9000", "9"),
         ("Leuven", "3000", "16"), ("Liège", "4000", "4"), ("Namur", "5000", "81"),
         ("Bruges", "8000", "50"), ("Mechelen", "2800", "15")],
        ("Rue de la Loi", "Meir", "Korenmarkt", "Bondgenotenlaan", "Avenue Louise", "Kouter"),
        ("NV", "BV", "SRL", "SA"),
        lambda rng, area: f"+32 4{rng.choice('789')}{rng.randrange(10)} {_pairs(rng, 3)}",
        lambda rng, area: (f"+32 {area} {rng.randint(200, 399)} {_pairs(rng, 2)}" if len(area) == 1
                           else f"+32 {area} {rng.randint(20, 79)} {_pairs(rng, 2)}"),
    ),
    "nl": (
        15,
        [("Amsterdam", "1011 AB", "20"), ("Rotterdam", "3011 BD", "10"), ("Utrecht", "3511 LX", "30"),
         ("Eindhoven", "5611 EM", "40"), ("Den Haag", "2511 CV", "70"), ("Groningen", "9711 LM", "50")],
        ("Damrak", "Coolsingel", "Oudegracht", "Stratumseind", "Lange Voorhout", "Herestraat"),
        ("B.V.", "N.V."),
        lambda rng, area: f"+31 6 {rng.randint(10, 59)} {_pairs(rng, 3)}",
        lambda rng, area: f"+31 {area} {rng.randint(200, 799)} {_digits(rng, 4)}",
    ),
    "fr": (
        15,
        [("Paris", "75008", "1"), ("Lyon", "69002", "4"), ("Lille", "59000", "3"),
         ("Nantes", "44000", "2"), ("Bordeaux", "33000", "5"), ("Toulouse", "31000", "5")],
        ("Rue de Rivoli", "Rue de la République", "Rue Nationale", "Cours de l'Intendance",
         "Rue d'Alsace-Lorraine", "Quai de la Fosse"),
        ("SAS", "SARL", "SA"),
        lambda rng, area: rng.choice((f"+33 6 {rng.randint(10, 38)}", f"+33 7 {rng.randint(50, 89)}")) + f" {_pairs(rng, 3)}",
        lambda rng, area: f"+33 {area} {rng.randint(10, 60)} {_pairs(rng, 3)}",
    ),
    "de": (
        15,
        [("Berlin", "10117", "30"), ("Hamburg", "20095", "40"), ("München", "80331", "89"),
         ("Köln", "50667", "221"), ("Frankfurt am Main", "60311", "69"), ("Stuttgart", "70173", "711")],
        ("Friedrichstraße", "Jungfernstieg", "Marienplatz", "Hohe Straße", "Zeil", "Königstraße"),
        ("GmbH", "AG", "KG"),
        lambda rng, area: f"+49 15{rng.choice('12')} {rng.randint(1000, 9999)} {_digits(rng, 4)}",
        lambda rng, area: f"+49 {area} {rng.randint(1000000, 9999999)}",
    ),
    "us": (
        15,
        [("New York", "10001", "212"), ("Chicago", "60601", "312"), ("Austin", "78701", "512"),
         ("Denver", "80202", "303"), ("Boston", "02108", "617"), ("Seattle", "98101", "206")],
        ("Main Street", "Market Street", "Broadway", "Elm Street", "Lake Avenue", "Pine Street"),
        ("Inc.", "LLC", "Corp."),
        lambda rng, area: f"+1 {area} 555 01{_digits(rng, 2)}",
        lambda rng, area: f"+1 {area} 555 01{_digits(rng, 2)}",
    ),
    "gb": (
        10,
        [("London", "EC1A 1BB", "20 7946"), ("Manchester", "M1 1AE", "161 496"),
         ("Leeds", "LS1 4AP", "113 496"), ("Bristol", "BS1 4DJ", "117 496"),
         ("Edinburgh", "EH1 1YZ", "131 496")],
        ("High Street", "Station Road", "Church Lane", "Victoria Road", "King Street", "Mill Lane"),
        ("Ltd", "PLC", "LLP"),
        lambda rng, area: f"+44 7{rng.choice('45')}{_digits(rng, 2)} {_digits(rng, 6)}",
        lambda rng, area: f"+44 {area} 0{_digits(rng, 3)}",
    ),
}

# Rough value of one unit in USD, to seed plausible rates when none exist.
USD_VALUE = {
    "USD": 1.0, "EUR": 1.09, "GBP": 1.27, "CHF": 1.13, "CAD": 0.73, "AUD": 0.66,
    "NZD": 0.61, "SEK": 0.095, "NOK": 0.093, "DKK": 0.146, "PLN": 0.25, "CZK": 0.043,
    "JPY": 0.0067, "CNY": 0.138, "INR": 0.012, "ZAR": 0.054, "BRL": 0.19, "MXN": 0.055,
}


# ---------------------------------------------------------------------------
# Planning (pure: no database access)
# ---------------------------------------------------------------------------

def _profile_counts(customers):
    """Split ``customers`` over the profiles by largest remainder, each present from 5 customers."""
    raw = {p: customers * share for p, share in PROFILE_SHARES.items()}
    counts = {p: int(v) for p, v in raw.items()}
    by_remainder = sorted(PROFILES, key=lambda p: (raw[p] - counts[p], PROFILE_SHARES[p]), reverse=True)
    for profile in by_remainder[:customers - sum(counts.values())]:
        counts[profile] += 1
    if customers >= len(PROFILES):
        for profile in PROFILES:
            if not counts[profile]:
                donor = max(PROFILES, key=lambda p: counts[p])
                counts[donor] -= 1
                counts[profile] += 1
    return counts


def _plan_customers(rng, customers):
    counts = _profile_counts(customers)
    profiles = [p for p in PROFILES for _dummy in range(counts[p])]
    rng.shuffle(profiles)
    codes = list(COUNTRIES)
    weights = [COUNTRIES[c][0] for c in codes]
    term_days = list(PAYMENT_TERMS.values())
    used_names = set()
    plan = []
    for index, profile in enumerate(profiles, start=1):
        country = rng.choices(codes, weights)[0]
        _weight, cities, streets, forms, mobile, phone = COUNTRIES[country]
        for attempt in range(50):
            stem, sector = rng.choice(NAME_STEMS), rng.choice(NAME_SECTORS)
            base = f"{stem} {sector}" if attempt < 25 else f"{stem} {sector} {index}"
            name = f"{base} {rng.choice(forms)}"
            if base not in used_names:
                break
        used_names.add(base)
        slug = "".join(ch for ch in base.lower().replace(" ", "-") if ch.isalnum() or ch == "-")
        city, zip_code, area = rng.choice(cities)
        plan.append({
            "index": index,
            "ref": f"{REF_PREFIX}{profile.upper()}-{index:03d}",
            "profile": profile,
            "name": name,
            "email": f"{rng.choice(EMAIL_USERS)}@{slug.replace('--', '-')}.example.com",
            "street": f"{rng.choice(streets)} {rng.randint(1, 220)}",
            "city": city,
            "zip": zip_code,
            "country": country,
            "phone": phone(rng, area),
            "mobile": mobile(rng, area),
            # most customers stick to one negotiated term
            "term_days": rng.choices(term_days, (10, 25, 45, 20))[0],
            # a few big accounts, many small ones
            "weight": rng.lognormvariate(0, 0.8),
        })
    return plan


def _plan_lines(rng):
    lines = []
    for code, _name, _type, price, (qty_min, qty_max) in rng.sample(
        PRODUCTS, rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]
    ):
        # negotiated prices drift a little around the list price
        unit = round(price * rng.choice((1.0, 1.0, 1.0, 0.95, 0.9, 1.05)), 2)
        lines.append((code, rng.randint(qty_min, qty_max), unit))
    return lines


def _plan_settlement(rng, profile, inv, progress, today):
    """Decide the credit note and the payments of one invoice.

    Payments are ``{'date', 'share'}`` where ``share`` is a fraction of the amount
    left after the credit note, or ``None`` for "whatever is still due".
    """
    date, due = inv["date"], inv["due"]
    refund = None
    payments = []

    def small_refund(paid_on):
        # customers outside the disputer profile occasionally get a goodwill credit note,
        # issued before they pay so the payment date (and its lateness) stays as planned
        latest = (paid_on - date).days if paid_on else 20
        return {
            "date": date + timedelta(days=rng.randint(0, latest)),
            "ratio": rng.choice((0.05, 0.1, 0.15, 0.2)),
            "reason": "Goodwill discount",
        }

    if profile == "on_time":
        pay_date = max(date, due - timedelta(days=rng.randint(0, min((due - date).days, 10))))
        payments.append({"date": pay_date, "share": None})
        if rng.random() < 0.03:
            refund = small_refund(pay_date)
    elif profile == "late":
        roll = rng.random()
        if roll < 0.04:
            pass  # forgotten invoice, left open
        else:
            delay = rng.randint(15, 30) if roll < 0.90 else rng.randint(31, 45)
            payments.append({"date": due + timedelta(days=delay), "share": None})
        if rng.random() < 0.03:
            refund = small_refund(payments[0]["date"] if payments else None)
    elif profile == "deteriorating":
        # on time first, then slipping further each month, finally not paying at all
        if progress < 0.35:
            delay = -rng.randint(0, min((due - date).days, 5))
        elif progress < 0.75:
            delay = max(0, round(60 * (progress - 0.35) / 0.40) + rng.randint(-3, 5))
        else:
            delay = None
        if delay is not None:
            payments.append({"date": max(date, due + timedelta(days=delay)), "share": None})
    elif profile == "disputer":
        if rng.random() < 0.35:
            full = rng.random() < 0.2
            refund = {
                "date": date + timedelta(days=rng.randint(5, 25)),
                "ratio": 1.0 if full else rng.choice((0.1, 0.15, 0.2, 0.25, 0.3, 0.5)),
                "reason": rng.choice((
                    "Disputed: service not delivered as agreed",
                    "Disputed: wrong quantity invoiced",
                    "Disputed: price differs from quotation",
                    "Disputed: damaged goods",
                )),
            }
        if not (refund and refund["ratio"] == 1.0) and rng.random() >= 0.2:
            start = max(due, refund["date"] if refund else date)
            payments.append({"date": start + timedelta(days=rng.randint(0, 20)), "share": None})
    elif profile == "partial":
        shares = rng.choice(((0.5, None), (0.4, 0.3, None), (0.3, 0.3, None), (0.25, 0.25, 0.25, None)))
        if rng.random() < 0.25:
            shares = shares[:-1]  # stops paying after a few instalments
        pay_date = max(date, due + timedelta(days=rng.randint(-5, 10)))
        for share in shares:
            payments.append({"date": pay_date, "share": share})
            pay_date += timedelta(days=rng.randint(14, 31))
        if rng.random() < 0.03:
            refund = small_refund(payments[0]["date"])

    if refund and refund["date"] > today:
        refund = None
    if refund:
        # nobody pays the balance of a credit note before they receive it
        for payment in payments:
            payment["date"] = max(payment["date"], refund["date"])
    return refund, [p for p in payments if p["date"] <= today]


def _plan_fx(seed, start, today):
    """Monthly multipliers around 1.0 for the foreign currency rate (random walk)."""
    rng = random.Random(f"ar-demo-fx-{seed}")
    walk, factor = [], 1.0
    day = start.replace(day=1)
    while day <= today:
        walk.append((day, round(factor, 6)))
        factor = min(1.08, max(0.92, factor * (1 + rng.gauss(0, 0.012))))
        day += relativedelta(months=1)
    return walk


def _plan_book(seed=42, invoices=1500, customers=60, months=18, today=None):
    """Return the whole book as plain Python data (no database access).

    Same arguments give an identical plan; :func:`generate_ar_book` writes it.
    """
    if customers < 1 or invoices < 1 or months < 1:
        raise ValueError("invoices, customers and months must be positive")
    today = today or fields.Date.today()
    start = today - relativedelta(months=months)
    span = (today - start).days
    rng = random.Random(seed)

    custs = _plan_customers(rng, customers)
    owners = list(range(customers))[:invoices]
    owners += rng.choices(range(customers), [c["weight"] for c in custs], k=invoices - len(owners))
    term_days = list(PAYMENT_TERMS.values())
    invs = []
    for owner in owners:
        cust = custs[owner]
        date = start + timedelta(days=rng.randrange(span))
        term = cust["term_days"] if rng.random() < 0.85 else rng.choice(term_days)
        invs.append({
            "customer": owner,
            "date": date,
            "term_days": term,
            "due": date + timedelta(days=term),
            "foreign": rng.random() < FOREIGN_SHARE,
            "lines": _plan_lines(rng),
        })
    # chronological order keeps the invoice sequence in date order
    invs.sort(key=lambda inv: (inv["date"], inv["customer"]))
    for inv in invs:
        progress = (inv["date"] - start).days / span
        inv["refund"], inv["payments"] = _plan_settlement(
            rng, custs[inv["customer"]]["profile"], inv, progress, today)
    return {
        "seed": seed,
        "today": today,
        "start": start,
        "customers": custs,
        "invoices": invs,
        "fx": _plan_fx(seed, start, today),
        "untaxed_total": round(sum(q * p for inv in invs for _c, q, p in inv["lines"]), 2),
    }


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def _batches(items, size=BATCH_SIZE):
    for offset in range(0, len(items), size):
        yield items[offset:offset + size]


def _ensure_chart(env, company):
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)


def _ensure_foreign_currency(env, company, plan):
    """Activate EUR (or USD for EUR companies) and give it rates over the whole period."""
    code = "USD" if company.currency_id.name == "EUR" else "EUR"
    currency = env["res.currency"].with_context(active_test=False).search([("name", "=", code)], limit=1)
    if not currency.active:
        currency.active = True
    Rate = env["res.currency.rate"]
    domain = [("currency_id", "=", currency.id), ("company_id", "in", (False, company.root_id.id))]
    if Rate.search_count(domain + [("name", "<=", plan["start"])], limit=1):
        return currency
    first = Rate.search(domain, order="name", limit=1).name
    ratio = USD_VALUE.get(company.currency_id.name, 1.0) / USD_VALUE[code]
    vals = []
    for day, factor in plan["fx"]:
        if first and day >= first:
            break
        # rates are expressed against the company currency's own rate (1.0 unless it has rates)
        own = company.currency_id._get_rates(company, day).get(company.currency_id.id) or 1.0
        vals.append({
            "name": day,
            "rate": round(ratio * factor * own, 6),
            "currency_id": currency.id,
            "company_id": company.root_id.id,
        })
    Rate.create(vals)
    return currency


def _ensure_products(env, company):
    Product = env["product.product"]
    codes = [p[0] for p in PRODUCTS]
    existing = Product.search([
        ("default_code", "in", codes), ("company_id", "in", (False, company.id)),
    ])
    by_code = {p.default_code: p for p in existing}
    missing = [p for p in PRODUCTS if p[0] not in by_code]
    created = Product.create([{
        "default_code": code,
        "name": name,
        "type": ptype,
        "list_price": price,
        "sale_ok": True,
    } for code, name, ptype, price, _qty in missing])
    by_code.update({p.default_code: p for p in created})
    return by_code


def _end_batch(env):
    """Keep batches equally fast however big the book gets.

    The ORM cache only grows within a transaction, so it is dropped. Autovacuum
    cannot analyze the rows of our uncommitted transaction either, so the planner
    would keep thinking the accounting tables are empty and pick sequential scans;
    ANALYZE inside the transaction does count our own rows.
    """
    env.invalidate_all()  # flushes first
    env.cr.execute("ANALYZE account_move, account_move_line, account_partial_reconcile, account_payment")


def _receivable_lines(moves):
    return moves.line_ids.filtered(lambda line: line.account_type == "asset_receivable")


def generate_ar_book(env, invoices=1500, customers=60, seed=42, months=18, company=None):
    """Generate a seeded accounts-receivable book and return a summary dict.

    Creates ``customers`` companies spread over five payment-behaviour profiles
    (ref ``AR-DEMO-<PROFILE>-NNN``), ``invoices`` posted customer invoices over the
    last ``months`` months, credit notes and payments matching each profile.
    """
    started = time.monotonic()
    company = company or env.company
    env = env(context=dict(
        env.context,
        allowed_company_ids=[company.id],
        tracking_disable=True,
        mail_create_nolog=True,
        mail_notrack=True,
        mail_auto_subscribe_no_notify=True,
    ))
    timings = {}

    def lap(phase):
        _end_batch(env)
        timings[phase] = round(time.monotonic() - started - sum(timings.values()), 1)

    company = company.with_env(env)
    today = fields.Date.context_today(company)
    plan = _plan_book(seed=seed, invoices=invoices, customers=customers, months=months, today=today)

    _ensure_chart(env, company)
    if not company.email:
        # reminders leave from the company's address: without one they are refused, not sent
        company.email = "billing@yourcompany.example.com"
    foreign = _ensure_foreign_currency(env, company, plan)
    products = _ensure_products(env, company)
    terms = {days: env.ref(xmlid) for xmlid, days in PAYMENT_TERMS.items()}
    countries = {
        country.code.lower(): country
        for country in env["res.country"].search([("code", "in", [code.upper() for code in COUNTRIES])])
    }
    sale_journal = env["account.journal"].search([
        *env["account.journal"]._check_company_domain(company), ("type", "=", "sale")], limit=1)
    bank_journal = env["account.journal"].search([
        *env["account.journal"]._check_company_domain(company), ("type", "=", "bank")], limit=1)
    method_line = bank_journal.inbound_payment_method_line_ids[:1]
    lap("setup")

    # -- customers
    partners = env["res.partner"].create([{
        "name": cust["name"],
        "is_company": True,
        "ref": cust["ref"],
        "email": cust["email"],
        "phone": cust["phone"],
        "mobile": cust["mobile"],
        "street": cust["street"],
        "city": cust["city"],
        "zip": cust["zip"],
        "country_id": countries[cust["country"]].id,
        "customer_rank": 1,
        "property_payment_term_id": terms[cust["term_days"]].id,
    } for cust in plan["customers"]])
    _logger.info("AR demo book: %d customers created", len(partners))
    lap("customers")

    # -- invoices, one create() and one action_post() per batch
    Move = env["account.move"]
    plan_invoices = plan["invoices"]
    inv_moves = Move
    for chunk in _batches(plan_invoices):
        moves = Move.create([{
            "move_type": "out_invoice",
            "partner_id": partners[inv["customer"]].id,
            "invoice_date": inv["date"],
            "invoice_payment_term_id": terms[inv["term_days"]].id,
            "currency_id": (foreign if inv["foreign"] else company.currency_id).id,
            "journal_id": sale_journal.id,
            "invoice_line_ids": [
                Command.create({"product_id": products[code].id, "quantity": qty, "price_unit": price})
                for code, qty, price in inv["lines"]
            ],
        } for inv in chunk])
        moves.action_post()
        inv_moves |= moves
        _end_batch(env)
        _logger.info("AR demo book: %d/%d invoices posted", len(inv_moves), len(plan_invoices))
    lap("invoices")
    inv_by_index = list(inv_moves)  # plan index -> invoice

    # -- credit notes, reconciled with the invoice they reverse
    to_refund = sorted(
        (i for i, inv in enumerate(plan_invoices) if inv["refund"]),
        key=lambda i: (plan_invoices[i]["refund"]["date"], i),
    )
    refunds = Move
    for chunk in _batches(to_refund):
        moves = Move.create([{
            "move_type": "out_refund",
            "partner_id": inv_by_index[i].partner_id.id,
            "invoice_date": plan_invoices[i]["refund"]["date"],
            "currency_id": inv_by_index[i].currency_id.id,
            "journal_id": sale_journal.id,
            "reversed_entry_id": inv_by_index[i].id,
            "ref": f"Reversal of: {inv_by_index[i].name}, {plan_invoices[i]['refund']['reason']}",
            "invoice_line_ids": [
                Command.create({
                    "product_id": products[code].id,
                    "quantity": qty,
                    "price_unit": round(price * plan_invoices[i]["refund"]["ratio"], 2),
                })
                for code, qty, price in plan_invoices[i]["lines"]
            ],
        } for i in chunk])
        # posting a move with reversed_entry_id reconciles it with the invoice
        moves.action_post()
        refunds |= moves
        _end_batch(env)
    lap("credit_notes")

    # -- payments: bulk account.payment + reconciliation, the same steps the
    # register-payment wizard performs, but with a date and amount per instalment
    installments = sorted(
        ((pay["date"], i, rank, pay["share"])
         for i, inv in enumerate(plan_invoices)
         for rank, pay in enumerate(inv["payments"])),
    )
    net_due = {}  # invoice index -> amount left after its credit note (document currency)
    paid_so_far = defaultdict(float)
    payments = env["account.payment"]
    kinds = Counter()
    for chunk in _batches(installments):
        vals_list = []
        for pay_date, i, _rank, share in chunk:
            invoice = inv_by_index[i]
            if i not in net_due:
                net_due[i] = invoice.amount_residual
            currency = invoice.currency_id
            if share is None:
                amount = currency.round(net_due[i] - paid_so_far[i])
            else:
                amount = min(currency.round(net_due[i] * share), currency.round(net_due[i] - paid_so_far[i]))
            if currency.compare_amounts(amount, 0) <= 0:
                continue
            paid_so_far[i] += amount
            kinds["full" if share is None else "partial"] += 1
            kinds["late"] += pay_date > invoice.invoice_date_due
            vals_list.append({
                "date": pay_date,
                "amount": amount,
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": invoice.partner_id.id,
                "currency_id": currency.id,
                "company_id": company.id,
                "journal_id": bank_journal.id,
                "payment_method_line_id": method_line.id,
                "destination_account_id": _receivable_lines(invoice).account_id.id,
                "memo": invoice.name,
                "invoice_ids": [Command.link(invoice.id)],
            })
        if not vals_list:
            continue
        batch = env["account.payment"].with_context(skip_invoice_sync=True).create(vals_list)
        batch.action_post()
        by_invoice = defaultdict(lambda: env["account.move.line"])
        for payment in batch:
            invoice = payment.invoice_ids
            by_invoice[invoice] |= payment.move_id.line_ids.filtered(
                lambda line, account=payment.destination_account_id: line.account_id == account)
        env["account.move.line"]._reconcile_plan([
            _receivable_lines(invoice) + lines for invoice, lines in by_invoice.items()
        ])
        payments |= batch
        _end_batch(env)
        _logger.info("AR demo book: %d/%d payments reconciled", len(payments), len(installments))
    lap("payments")

    env["ir.config_parameter"].sudo().set_param(MARKER_PARAM, str(seed))
    env.flush_all()

    states = Counter(inv_moves.mapped("payment_state"))
    profiles = Counter(cust["profile"] for cust in plan["customers"])
    open_total = sum((inv_moves | refunds).mapped("amount_residual_signed"))
    return {
        "seed": seed,
        "company": company.name,
        "customers": len(partners),
        "profiles": {p: profiles[p] for p in PROFILES},
        "invoices": len(inv_moves),
        "invoices_foreign": len(inv_moves.filtered(lambda m: m.currency_id == foreign)),
        "credit_notes": len(refunds),
        "payments": len(payments),
        "payments_full": kinds["full"],
        "payments_partial": kinds["partial"],
        "payments_late": kinds["late"],
        "payment_states": dict(sorted(states.items())),
        "currencies": sorted(set(inv_moves.currency_id.mapped("name"))),
        "open_receivable": company.currency_id.round(open_total),
        "company_currency": company.currency_id.name,
        "untaxed_total": plan["untaxed_total"],
        "period": (plan["start"], today),
        "seconds": round(time.monotonic() - started, 1),
        "timings": timings,
        "partner_ids": partners.ids,
        "invoice_ids": inv_moves.ids,
        "refund_ids": refunds.ids,
        "payment_ids": payments.ids,
    }
