{
    "name": "AR Collections: Customer Portal",
    "version": "18.0.1.3.0",
    "category": "Accounting/Accounting",
    "summary": "Statement of account, pay everything overdue with any payment provider, "
               "disputes and promises to pay from the customer portal",
    "description": """
AR Collections: Customer Portal
===============================
The customer's side of collections, in Odoo's portal.

* Statement of account: open invoices and credit notes, days overdue, open amount after
  partial payments and credit notes, payment history, totals per currency, PDF.
* Pay one invoice, a selection or everything overdue in one payment, through Odoo's payment
  form, with whatever payment providers the company publishes.
* Reminder links open the customer's statement without a login (signed, expiring).
* Disputes and promises to pay submitted by the customer feed the collectors' workspace.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections", "account_payment"],
    "data": [
        "report/ar_statement_report.xml",
        "views/portal_templates.xml",
        "views/dunning_templates.xml",
        "views/portal_dispute_templates.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
    ],
    "installable": True,
}
