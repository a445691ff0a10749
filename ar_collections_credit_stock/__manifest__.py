{
    "name": "AR Collections: Credit Control for Deliveries",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Refuse to validate deliveries to customers over their credit limit or on credit hold",
    "author": "AR Collections",
    "maintainers": ["ar-collections"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["ar_collections_credit_sale", "sale_stock"],
    "auto_install": True,
}
