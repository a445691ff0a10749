{
    "name": "AR Collections: Credit Control",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Credit holds on customers: block sale order confirmation for customers "
    "the collections team put on hold",
    "description": """
AR Collections: Credit Control
==============================
Stop new exposure before it becomes a collection problem.

* A credit hold on the customer, with a reason, set and lifted only by a
  Credit Manager and tracked on the chatter.
* Confirming a sale order for a customer on hold, or flagged for hold by the
  payment reminders' escalation, is refused with a message that says why.
* A "Customers on Credit Hold" list in the Collections menu.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections", "sale_management"],
    "data": [
        "security/ar_collections_credit_security.xml",
        "views/res_partner_views.xml",
        "views/menus.xml",
    ],
    "installable": True,
}
