{
    "name": "AR Collections: Customer Portal",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Customer statement of account in the portal, linked from every reminder",
    "description": """
AR Collections: Customer Portal
===============================
The customer's side of collections, in Odoo's portal.

* "Statement of account" page: every open invoice and credit note with its due
  date, days overdue and open amount after partial payments and credit notes,
  with totals per currency and a link to pay each invoice online.
* An entry on the portal home page with the number of open documents.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections", "account_payment", "payment_stripe"],
    "data": [
        "views/portal_templates.xml",
    ],
    "installable": True,
}
