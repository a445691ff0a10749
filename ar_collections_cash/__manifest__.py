{
    "name": "AR Collections: Cash Application",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Match incoming bank lines to open customer invoices: references, payers, amounts, "
    "remittance advices, an exceptions queue and a match log",
    "description": """
AR Collections: Cash Application
================================
Apply customers' payments to their invoices without doing it by hand.

* A scheduled matcher reads each incoming bank line: invoice numbers and
  payment references in the label (typos included for a known payer), the
  payer by bank account, VAT, the line's partner or name.
* One payment for several invoices, short and over payments (tolerance and
  write-off account), early-payment discounts, foreign currencies, and
  customers' remittance advices imported from CSV.
* Confident matches are applied; the others wait in an exceptions queue with
  the matcher's reasons: accept, reject, split by hand, match again.
* A match log of who or what matched each line, by which rule and how sure;
  a collections manager can reverse a match.
* Invoices whose payment is being matched are not chased by the reminders of
  AR Collections.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections", "account"],
    "external_dependencies": {"python": ["rapidfuzz"]},
    "data": [
        "security/ar_collections_cash_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "wizard/ar_remittance_import_views.xml",
        "wizard/ar_cash_match_split_views.xml",
        "views/ar_remittance_views.xml",
        "views/ar_cash_match_views.xml",
        "views/account_bank_statement_line_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "application": False,
    "installable": True,
}
