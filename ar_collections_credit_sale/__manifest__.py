{
    "name": "AR Collections: Credit Control for Sales",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Refuse to confirm orders of customers over their credit limit or on credit hold; "
    "orders not yet invoiced count in the credit exposure",
    "author": "AR Collections",
    "maintainers": ["ar-collections"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["ar_collections_credit", "sale"],
    "data": [
        "security/ar_collections_credit_sale_security.xml",
        "security/ir.model.access.csv",
        "views/sale_order_views.xml",
        "views/ar_credit_release_views.xml",
        "views/res_partner_views.xml",
        "views/menus.xml",
        "data/ar_credit_hold_data.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ar_collections_credit_sale/static/tests/tours/*.js",
        ],
    },
    "auto_install": True,
}
