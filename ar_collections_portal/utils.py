"""Reading the record ids that customers' browsers send to the portal routes."""

MAX_RECORD_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id


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
