{
    "name": "AR Collections: Customer Portal with Stripe",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Autopay of due invoices with saved Stripe cards, smart retries by decline reason, "
               "and hardened Stripe confirmations for the collections portal",
    "description": """
AR Collections: Customer Portal with Stripe
===========================================
The Stripe side of the collections portal; installs itself when both the portal and
payment_stripe are installed.

* Autopay: customers opt in from the portal with a card saved in Stripe; their invoices are
  charged on the due date, soft declines retried, hard declines suspend the mandate.
* Card-expiry notices a month before an autopay card expires.
* Stripe confirmations checked: the PaymentIntent must be the transaction's (id, reference,
  amount, currency), webhook events must be signed and fresh, transport failures are errors.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections_portal", "payment_stripe"],
    "data": [
        "security/ar_collections_portal_stripe_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "views/portal_autopay_templates.xml",
        "views/ar_autopay_mandate_views.xml",
        "views/ar_autopay_attempt_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ar_collections_portal_stripe/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "auto_install": True,
}
