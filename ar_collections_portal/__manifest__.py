{
    "name": "AR Collections: Customer Portal",
    "version": "18.0.1.2.0",
    "category": "Accounting/Accounting",
    "summary": "Statement of account, pay everything overdue, autopay with smart retries, "
               "disputes and promises to pay from the customer portal",
    "description": """
AR Collections: Customer Portal
===============================
The customer's side of collections, in Odoo's portal.

* Statement of account: open invoices and credit notes, days overdue, open amount after
  partial payments and credit notes, payment history, totals per currency, PDF.
* Pay one invoice, a selection or everything overdue in one payment (Odoo payment, Stripe).
* Reminder links open the customer's statement without a login (signed, expiring).
* Saved cards and autopay on the due date, failed charges retried by decline reason.
* Disputes and promises to pay submitted by the customer feed the collectors' workspace.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections", "account_payment", "payment_stripe"],
    "data": [
        "security/ar_collections_portal_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "report/ar_statement_report.xml",
        "views/portal_templates.xml",
        "views/dunning_templates.xml",
        "views/portal_autopay_templates.xml",
        "views/portal_dispute_templates.xml",
        "views/ar_autopay_mandate_views.xml",
        "views/ar_autopay_attempt_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
        "views/res_partner_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ar_collections_portal/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
