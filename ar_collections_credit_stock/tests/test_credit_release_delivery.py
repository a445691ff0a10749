from contextlib import closing

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ar_collections_credit_sale.tests.common import ArCreditSaleCommon
from odoo.addons.ar_collections_credit_sale.tests.release_matrix import MATRIX_STATES, CreditReleaseMatrixMixin

OVERDUE_ADVICE = r"or have Overdue Industries pay its overdue invoices \(\$\s?1,350\.00\)\."


@tagged("post_install", "-at_install")
class TestCreditReleaseDelivery(CreditReleaseMatrixMixin, ArCreditSaleCommon):
    """Credit releases and deliveries (issue 18): the delivery rows of the crash matrix, a release
    tied to an order covering its delivery and invoice, the hold message of a delivery."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.goods = cls.env["product.product"].create({
            "name": "Pallet", "is_storable": True, "list_price": 100.0, "invoice_policy": "order",
            "taxes_id": [Command.clear()],
        })
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.env["stock.quant"]._update_available_quantity(cls.goods, warehouse.lot_stock_id, 100)

    def _goods_order(self, qty=3):
        return self.env["sale.order"].create({
            "partner_id": self.customer_contact.id,
            "user_id": self.salesman.id,
            "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": qty, "price_unit": 100.0,
                                           "tax_id": [Command.clear()]})],
        })

    def _validate(self, picking):
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        return picking.button_validate()

    def test_delivery_validation_matrix(self):
        # the order (300.00) was confirmed before the customer was blocked; a delivery adds no
        # exposure, so any approved release of its order lets it through
        expected = {
            "none": (False, rf"overdue by more than 10 days.*\nTo go ahead, request a credit release.*"
                            rf"{OVERDUE_ADVICE}"),
            "requested": (False, r"is still waiting for the approval of a Credit Manager"),
            "approved": (True, None),
            "approved_too_small": (True, None),
            "expired": (False, r"Credit release CR/\S+ expired on"),
            "used": (True, None),
            "refused": (False, rf"^(?!.*Credit release CR/).*overdue by more than 10 days.*{OVERDUE_ADVICE}"),
            "cancelled": (False, rf"^(?!.*Credit release CR/).*overdue by more than 10 days.*{OVERDUE_ADVICE}"),
        }
        self.assertEqual(set(expected), set(MATRIX_STATES))
        for state, (passes, pattern) in expected.items():
            with self.subTest(state=state), closing(self.env.cr.savepoint()):
                self.company.ar_credit_overdue_days = 0
                order = self._goods_order()
                order.action_confirm()
                release = self._matrix_release(state, order)
                used_before = release.amount_used
                self.company.ar_credit_overdue_days = 10
                picking = order.picking_ids
                message = self._matrix_outcome(lambda p=picking: self._validate(p))
                if passes:
                    self.assertIsNone(message, state)
                    self.assertEqual(picking.state, "done")
                    self.assertEqual(release.state, "used", "tied to the order: it covers the order's documents")
                else:
                    self.assertRegex(message or "", f"(?s){pattern}")
                    self.assertNotIn("lift the hold", message)
                    self.assertEqual(picking.state, "assigned")
                self.assertEqual(release.amount_used, used_before, "a delivery spends nothing")

    def test_release_for_an_order_covers_its_deliveries_and_invoice(self):
        self._set_limit(self.customer, 1700.0)
        self.company.ar_credit_overdue_days = 10
        self.company.ar_credit_check_invoice = True
        order = self._goods_order()
        release = self._release(self.customer, 300.0, sale_order_id=order.id)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual((release.state, release.amount_used), ("used", 300.0))

        # shipped in two goes: the backorder is of the same order
        picking = order.picking_ids
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.with_context(cancel_backorder=False)._action_done()
        self.assertEqual(picking.state, "done")
        backorder = order.picking_ids - picking
        self._validate(backorder)
        self.assertEqual(backorder.state, "done")
        self.assertIn(f"{backorder.name} of {order.name} went through on this release, which covers its order",
                      release.message_ids.mapped("body")[0])

        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual((release.state, release.amount_used), ("used", 300.0), "spent once, on its order")

        # another order of the customer is not covered by it
        self.company.ar_credit_overdue_days = 0
        self._set_limit(self.customer, 0.0)
        other = self._goods_order(qty=1)
        other.action_confirm()
        self.company.ar_credit_overdue_days = 10
        with self.assertRaisesRegex(UserError, "overdue by more than 10 days"):
            self._validate(other.picking_ids)

    def test_release_for_any_document_keeps_its_amount(self):
        self.company.ar_credit_overdue_days = 10
        release = self._release(self.customer, 300.0)
        order = self._goods_order()
        order.action_confirm()
        self.assertEqual((release.state, release.amount_used), ("used", 300.0), "spent by the order")
        with self.assertRaisesRegex(UserError, rf"overdue by more than 10 days.*\n.*{OVERDUE_ADVICE}"):
            self._validate(order.picking_ids)
        self.assertEqual(order.picking_ids.state, "assigned")

    def test_hold_message_names_the_delivery(self):
        order = self._goods_order()
        order.action_confirm()
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filing",
        })
        with self.assertRaisesRegex(UserError, r"on credit hold \(Bankruptcy filing\): ask a Credit Manager to lift "
                                               r"the hold before validating the delivery\.$"):
            self._validate(order.picking_ids)
