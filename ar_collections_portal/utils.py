"""Reading the record ids and amounts that customers' browsers send to the portal routes.

Every controller of the add-on reads ids and amounts through these functions: a value that is
not one is refused with a sentence (or None), never turned into a server error further down
(``float("1e400")`` is infinity, ``round(1e308 / 0.01)`` overflows, PostgreSQL refuses ids
beyond its integer).
"""
import math
import re

from odoo.exceptions import ValidationError

MAX_RECORD_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id
# An amount as typed: ASCII digits only (float() also reads "1_000", "nan" and the digits of other scripts).
AMOUNT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
MAX_AMOUNT_LENGTH = 32
# No one pays a quadrillion online: above, an amount is a probe, not a payment.
MAX_AMOUNT = 1e15


def parse_record_id(value, text=True):
    """``value`` as a record id, or None when it is not one.

    A positive integer within PostgreSQL's integer (JSON values), or, when ``text``, a string
    of ASCII digits (form and URL values: ``str.isdigit()`` alone also takes "²" and the
    digits of other scripts). Booleans are not ids.
    """
    if text and isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_RECORD_ID:
        return value
    return None


def parse_amount(env, value, currency=None):
    """The amount ``value`` as a finite float; None when it is not given (None or "").

    A JSON number (not a boolean) or a string as a customer types it: ASCII digits, a dot or a
    comma as the decimal separator, spaces between groups of digits, an exponent. With
    ``currency``, no more decimals than it has. The one reader of amounts of every portal route.

    :raise ValidationError: anything else: text, NaN, infinity, numbers beyond floats, lists
    """
    if value is None or value == "":
        return None
    amount = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            amount = float(value)
        except OverflowError:  # a JSON integer beyond the range of floats
            amount = None
    elif isinstance(value, str) and len(value) <= MAX_AMOUNT_LENGTH:
        typed = value.strip().replace(" ", "").replace("\u00a0", "")
        if typed.count(",") == 1 and "." not in typed:
            typed = typed.replace(",", ".")  # a decimal comma, as most of Europe writes amounts
        if AMOUNT_RE.fullmatch(typed):
            amount = float(typed)
            decimals = typed.partition(".")[2]
            if currency and "e" not in typed.lower() and len(decimals) > currency.decimal_places:
                raise ValidationError(env._("The amount has at most %(digits)s decimals.",
                                            digits=currency.decimal_places))
    if amount is None or not math.isfinite(amount):
        raise ValidationError(env._("The amount is not a number: enter it as a number, such as 150.00."))
    return amount


def amount_problem(amount, currency, open_total):
    """What is wrong with paying ``amount`` of what is ``open_total`` in ``currency``:
    ``"not_positive"`` (zero or less once rounded), ``"above"`` (more than open), or None.

    Compared as floats before rounding: rounding an amount near the largest float to cents
    overflows.
    """
    if amount > open_total + currency.rounding:
        return "above"
    if amount <= 0 or currency.is_zero(amount):
        return "not_positive"
    if currency.compare_amounts(amount, open_total) > 0:
        return "above"
    return None


def format_amount(currency, amount):
    """``amount`` in ``currency`` for a message; as a plain number when too large to be money."""
    return currency.format(amount) if abs(amount) < MAX_AMOUNT else f"{amount:g}"


def protect_token_page(response):
    """Mark ``response``, a page opened by a link with a secret, as never to be stored by a
    browser or proxy and never to be framed by another site; return it."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response
