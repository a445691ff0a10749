{
    "name": "AR Collections: Slack",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Collections alerts in Slack as they happen, with buttons that act as the linked Odoo user, "
    "and a /ar command for a customer's balance and next step",
    "author": "AR Collections",
    "license": "LGPL-3",
    "maintainers": ["ar-collections"],
    "development_status": "Beta",
    "images": [
        "static/description/slack_alerts.png",
    ],
    "depends": ["ar_collections"],
    "data": [
        "security/ar_collections_slack_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/ar_slack_message_views.xml",
        "views/res_users_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
