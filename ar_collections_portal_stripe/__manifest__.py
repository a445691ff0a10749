{
    "name": "AR Collections: Customer Portal with Stripe",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Autopay of due invoices with saved Stripe cards, smart retries by decline reason, "
               "and hardened Stripe confirmations for the collections portal",
    "author": "AR Collections",
    "maintainers": ["ar-collections"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "images": [
        "static/description/portal_autopay.png",
    ],
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
    "auto_install": True,
}
