{
    "name": "AR Collections: Cash Application",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Match incoming bank lines to open customer invoices: references, payers, amounts, "
    "remittance advices, an exceptions queue and a match log",
    "author": "AR Collections",
    "license": "LGPL-3",
    "development_status": "Beta",
    "images": [
        "static/description/cash_match_log.png",
        "static/description/cash_queue.png",
    ],
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
}
