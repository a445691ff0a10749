{
    "name": "AR Collections: Credit Control for Deliveries",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Refuse to validate deliveries to customers over their credit limit or on credit hold",
    "description": """
Bridge between AR Collections: Credit Control and Inventory, installed automatically
when both are: validating a delivery to a customer that is over its credit limit, has
invoices overdue too long or is on hold is refused with the reason, unless a Credit
Manager approved a credit release. Deliveries of orders paid online are never blocked.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections_credit", "sale_stock"],
    "auto_install": True,
    "installable": True,
}
