from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


class ArCreditCommon(ArCollectionsCommon):
    """The AR scenario plus credit roles: two Credit Managers (so one can approve
    what the other requested), two requesters of credit releases, a product to sell.
    Holds block (the company setting a Credit Manager turns on; off, they only warn).

    Overdue Industries owes 1,650.00 (1,000.00 and 350.00 overdue, 300.00 not due).
    """

    # Who requests credit releases: collections users here, salespeople with Sales
    SALESMAN_GROUPS = "base.group_user,ar_collections.group_ar_collections_user"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_ctx = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.credit_manager = new_test_user(
            cls.env, "ar_credit_mgr", groups="base.group_user,ar_collections_credit.group_ar_credit_manager",
            name="Carla Credit", **company_ctx,
        )
        cls.credit_manager_2 = new_test_user(
            cls.env, "ar_credit_mgr2", groups="base.group_user,ar_collections_credit.group_ar_credit_manager",
            name="Chris Credit", **company_ctx,
        )
        cls.salesman = new_test_user(
            cls.env, "ar_salesman", groups=cls.SALESMAN_GROUPS,
            name="Sam Sales", **company_ctx,
        )
        cls.salesman_2 = new_test_user(
            cls.env, "ar_salesman2", groups=cls.SALESMAN_GROUPS,
            name="Sara Sales", **company_ctx,
        )
        cls.company.ar_credit_manager_id = cls.credit_manager
        cls.company.ar_credit_block = True
        cls.product = cls.env["product.product"].create({
            "name": "Widget", "list_price": 100.0, "taxes_id": [Command.clear()],
        })
        cls.tax_21 = cls.env["account.tax"].create({
            "name": "VAT 21%", "amount": 21.0, "type_tax_use": "sale", "company_id": cls.company.id,
        })

    @classmethod
    def _set_limit(cls, partner, limit, company=None):
        partner.with_company(company or cls.company).sudo().credit_limit = limit

    def _release(self, partner, amount, requested_by=None, **vals):
        """An approved credit release: requested by a salesperson, approved by a Credit Manager."""
        release = self.env["ar.credit.release"].with_user(requested_by or self.salesman).create({
            "partner_id": partner.id, "amount": amount, "reason": "Big seasonal order, paid by transfer", **vals,
        })
        release.action_request()
        release.with_user(self.credit_manager).action_approve()
        return release
