{
    "name": "AR Collections: Customer Portal",
    "version": "18.0.1.3.0",
    "category": "Accounting/Accounting",
    "summary": "Statement of account, pay everything overdue with any payment provider, "
               "disputes and promises to pay from the customer portal",
    "author": "AR Collections",
    "maintainers": ["ar-collections"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "images": [
        "static/description/portal_dispute.png",
        "static/description/portal_pay_overdue.png",
        "static/description/portal_plan_form.png",
        "static/description/portal_statement.png",
        "static/description/portal_statement_plan.png",
    ],
    "depends": ["ar_collections", "account_payment"],
    "data": [
        "report/ar_statement_report.xml",
        "views/portal_templates.xml",
        "views/dunning_templates.xml",
        "views/portal_dispute_templates.xml",
        "views/portal_plan_templates.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
    ],
    "demo": [
        "demo/ar_collections_portal_demo.xml",
    ],
}
