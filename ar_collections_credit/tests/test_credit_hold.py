from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestCreditHold(ArCollectionsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_ctx = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.credit_manager = new_test_user(
            cls.env, "ar_credit_mgr", groups="base.group_user,ar_collections_credit.group_ar_credit_manager",
            name="Carla Credit", **company_ctx,
        )
        cls.salesman = new_test_user(
            cls.env, "ar_salesman", groups="base.group_user,sales_team.group_sale_salesman",
            name="Sam Sales", **company_ctx,
        )
        cls.product = cls.env["product.product"].create({"name": "Widget", "list_price": 100.0})

    def _order(self, partner):
        return self.env["sale.order"].with_company(self.company).create({
            "partner_id": partner.id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2})],
        })

    def _hold(self, reason="Three invoices over 60 days"):
        # the account test base disables tracking; the hold must be tracked
        self.customer.with_env(self.env(user=self.credit_manager, context={})).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": reason,
        })

    def test_order_confirmation_blocked_with_reason(self):
        self._hold()
        order = self._order(self.customer_contact)  # ordered by a contact: the company's hold applies
        with self.assertRaisesRegex(UserError, r"Overdue Industries is on credit hold \(Three invoices over 60 days\)"):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")

    def test_order_without_hold_confirms(self):
        order = self._order(self.other_customer)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_lift_hold_then_confirm(self):
        self._hold()
        self.customer.with_user(self.credit_manager).action_ar_lift_credit_hold()
        self.assertFalse(self.customer.ar_credit_hold)
        order = self._order(self.customer)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_only_credit_manager_sets_or_lifts_hold(self):
        for user in (self.user_collector, self.salesman, self.user_ar_manager):
            with self.assertRaisesRegex(AccessError, "Only a Credit Manager"):
                self.customer.with_user(user).write({"ar_credit_hold": True, "ar_credit_hold_reason": "x"})
        self._hold()
        with self.assertRaisesRegex(AccessError, "Only a Credit Manager"):
            self.customer.with_user(self.user_collector).action_ar_lift_credit_hold()
        self.assertTrue(self.customer.ar_credit_hold)

    def test_hold_needs_reason(self):
        with self.assertRaisesRegex(ValidationError, "Say why Overdue Industries is on credit hold"):
            self.customer.with_user(self.credit_manager).write({"ar_credit_hold": True})

    def test_hold_tracked_on_chatter(self):
        # run the tracking callbacks the class setup left pending, so that ours are the ones tested
        self.env.flush_all()
        self.env.cr.precommit.run()
        self._hold("Disputes unresolved")
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written when the transaction commits
        values = self.env["mail.tracking.value"].search([
            ("mail_message_id.model", "=", "res.partner"),
            ("mail_message_id.res_id", "=", self.customer.id),
            ("field_id.name", "=", "ar_credit_hold_reason"),
        ])
        self.assertEqual(values.mapped("new_value_char"), ["Disputes unresolved"])
        self.assertEqual(values.mail_message_id.author_id, self.credit_manager.partner_id)

    def test_credit_manager_is_a_collector(self):
        self.assertTrue(self.credit_manager.has_group("ar_collections.group_ar_collections_user"))

    def test_reminder_escalation_flag_blocks_orders(self):
        """The dunning engine's credit-hold escalation blocks orders until a Credit Manager lifts it."""
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 14).escalation = "credit_hold"
        self._ar_run()
        self.assertTrue(self.customer.ar_dunning_hold)
        order = self._order(self.customer)
        with self.assertRaisesRegex(UserError, "Overdue Industries was flagged for credit hold by the payment reminders"):
            order.with_user(self.salesman).action_confirm()
        action = self.env.ref("ar_collections_credit.action_ar_credit_hold_partners")
        self.assertIn(self.customer, self.env["res.partner"].search(safe_eval(action.domain)),
                      "the flagged customer is listed with the customers on hold")
        with self.assertRaisesRegex(AccessError, "Only a Credit Manager"):
            self.customer.with_user(self.user_collector).action_ar_lift_credit_hold()
        self.customer.with_user(self.credit_manager).action_ar_lift_credit_hold()
        self.assertFalse(self.customer.ar_dunning_hold)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
