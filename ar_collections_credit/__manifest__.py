{
    "name": "AR Collections: Credit Control",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Credit limits and exposure, payment-behaviour score, automated holds on orders, "
    "invoices and deliveries, credit releases with segregation of duties",
    "description": """
AR Collections: Credit Control
==============================
Stop new exposure before it becomes a collection problem.

* Exposure per customer in the company currency: open and overdue receivables,
  draft invoices, orders not yet invoiced; available credit on the customer,
  the quotation and the invoice.
* Payment-behaviour score (0-100) with its components and history, a suggested
  credit limit, nightly recomputation and on payment; periodic credit reviews.
* Holds on sale order confirmation, invoice posting (optional) and deliveries
  (with Inventory): over the limit, invoices overdue too long, manual hold or
  flagged by the payment reminders. The message says why, with the figures.
* Customers on Credit Hold: every blocked customer with the reason and the figures, stored per
  company for filters, group-by and automation rules, refreshed as documents and days go.
* Limits per risk type (open, draft, orders, overdue) and a per-customer overdue tolerance;
  suggested limits reviewed and approved in bulk.
* Credit releases: requested by sales, approved by another Credit Manager,
  amount-bounded and expiring, tracked on the chatter. Online payments are
  never blocked.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections", "sale_management"],
    "data": [
        "security/ar_collections_credit_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ar_credit_release_data.xml",
        "views/ar_credit_hold_views.xml",
        "wizard/ar_credit_limit_review_views.xml",
        "views/ar_credit_score_views.xml",
        "views/ar_credit_release_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
        "data/ar_credit_hold_data.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ar_collections_credit/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
