from odoo import Command

from odoo.addons.ar_collections_credit.tests.common import ArCreditCommon


class ArCreditSaleCommon(ArCreditCommon):
    """The credit scenario with Sales: the release requesters are salespeople, the widget
    is invoiced on order, and quotations are one call away."""

    SALESMAN_GROUPS = "base.group_user,sales_team.group_sale_salesman"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.invoice_policy = "order"

    @classmethod
    def _order(cls, partner, qty=2, price=100.0, currency=None, taxes=None, company=None):
        """A quotation of ``qty`` widgets at ``price`` (no tax unless ``taxes``)."""
        company = company or cls.company
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "user_id": cls.salesman.id,
            "order_line": [Command.create({
                "product_id": cls.product.id,
                "product_uom_qty": qty,
                "price_unit": price,
                "tax_id": [Command.set((taxes or cls.env["account.tax"]).ids)],
            })],
        }
        if currency:
            pricelist = cls.env["product.pricelist"].create({
                "name": f"{currency.name} list", "currency_id": currency.id, "company_id": company.id,
            })
            vals["pricelist_id"] = pricelist.id
        return cls.env["sale.order"].with_company(company).create(vals)
