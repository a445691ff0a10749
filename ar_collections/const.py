"""Constants shared by the AR Collections add-ons: import them from here, not from model files."""

# payment_state values of an invoice that still has something to collect
OPEN_PAYMENT_STATES = ("not_paid", "partial")
# payment_state values of an invoice paid (or being paid, waiting for the bank statement)
PAID_PAYMENT_STATES = ("paid", "in_payment")
# payment_state values of an invoice with nothing left to collect
SETTLED_PAYMENT_STATES = ("paid", "in_payment", "reversed")

# A posted customer invoice with something left to collect: what the add-ons chase, age and
# forecast (add the company, customer or due-date conditions at the call).
OPEN_INVOICE_DOMAIN = [
    ("move_type", "=", "out_invoice"),
    ("state", "=", "posted"),
    ("payment_state", "in", OPEN_PAYMENT_STATES),
]
