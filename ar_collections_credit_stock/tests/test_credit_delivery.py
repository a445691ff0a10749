from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ar_collections_credit_sale.tests.common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditDelivery(ArCreditSaleCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.goods = cls.env["product.product"].create({
            "name": "Pallet", "is_storable": True, "list_price": 100.0, "invoice_policy": "order",
            "taxes_id": [Command.clear()],
        })
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.env["stock.quant"]._update_available_quantity(cls.goods, cls.warehouse.lot_stock_id, 100)
        cls._set_limit(cls.customer, 2000.0)

    def _confirmed_order(self, qty=2):
        order = self.env["sale.order"].create({
            "partner_id": self.customer_contact.id,
            "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": qty, "price_unit": 100.0,
                                           "tax_id": [Command.clear()]})],
        })
        order.action_confirm()
        return order

    def _validate(self, picking):
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        return picking.button_validate()

    def test_delivery_within_limit_is_validated(self):
        order = self._confirmed_order()
        self._validate(order.picking_ids)
        self.assertEqual(order.picking_ids.state, "done")

    def test_delivery_blocked_when_customer_went_over_limit(self):
        order = self._confirmed_order()  # 1,650 + 200 = 1,850 <= 2,000
        self._ar_invoice(self.customer, 500.0, days_overdue=-30)  # now 2,350
        picking = order.picking_ids
        with self.assertRaisesRegex(
            UserError,
            rf"Delivery {picking.name}: the credit exposure of Overdue Industries is \$\s?2,350\.00, "
            r"over its credit limit of \$\s?2,000\.00",
        ):
            self._validate(picking)
        self.assertEqual(picking.state, "assigned")

    def test_delivery_blocked_by_overdue_invoices_and_passed_by_release(self):
        order = self._confirmed_order()
        self.company.ar_credit_overdue_days = 10
        picking = order.picking_ids
        with self.assertRaisesRegex(UserError, "overdue by more than 10 days"):
            self._validate(picking)
        release = self._release(self.customer, 1.0)
        self._validate(picking)
        self.assertEqual(picking.state, "done")
        self.assertIn(picking.name, release.message_ids.mapped("body")[0])

    def test_delivery_check_can_be_switched_off(self):
        order = self._confirmed_order()
        self.customer.sudo().write({"ar_dunning_hold": True, "ar_dunning_hold_reason": "Level +30 reached"})
        with self.assertRaisesRegex(UserError, "flagged for credit hold"):
            self._validate(order.picking_ids)
        self.company.ar_credit_check_delivery = False
        self._validate(order.picking_ids)
        self.assertEqual(order.picking_ids.state, "done")

    def test_returns_and_online_paid_orders_never_blocked(self):
        order = self._confirmed_order()
        self._validate(order.picking_ids)
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Insolvency",
        })
        wizard = self.env["stock.return.picking"].with_context(
            active_id=order.picking_ids.id, active_model="stock.picking").create({})
        wizard.product_return_moves.quantity = 2
        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        self._validate(returned)
        self.assertEqual(returned.state, "done", "taking goods back is never blocked")

        self.customer.with_user(self.credit_manager).action_ar_lift_credit_hold()
        paid = self._confirmed_order(qty=1)
        provider = self.env["payment.provider"].create({"name": "Online", "code": "none", "state": "test"})
        self.env["payment.transaction"].create({
            "provider_id": provider.id,
            "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
            "reference": f"ONLINE-{paid.name}", "amount": paid.amount_total, "currency_id": paid.currency_id.id,
            "partner_id": paid.partner_id.id, "sale_order_ids": [Command.set(paid.ids)], "state": "done",
        })
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Insolvency",
        })
        self._validate(paid.picking_ids)
        self.assertEqual(paid.picking_ids.state, "done", "paid online: shipped whatever the hold")
