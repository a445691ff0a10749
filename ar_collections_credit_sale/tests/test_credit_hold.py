from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditHold(ArCreditSaleCommon):

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
        self.policy.jump_to_reached = True  # +14 on the first run (go-live option)
        self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 14).escalation = "credit_hold"
        self._ar_run()
        self.assertTrue(self.customer.ar_dunning_hold)
        order = self._order(self.customer)
        with self.assertRaisesRegex(UserError, "Overdue Industries was flagged for credit hold by the payment reminders"):
            order.with_user(self.salesman).action_confirm()
        action = self.env.ref("ar_collections_credit.action_ar_credit_hold_partners")
        # the list is of holds (one per customer and reason) since issue 18, point 2
        self.assertEqual(action.res_model, "ar.credit.hold")
        self.assertIn(self.customer, self.env[action.res_model].search(safe_eval(action.domain or "[]")).partner_id,
                      "the flagged customer is listed with the customers on hold")
        with self.assertRaisesRegex(AccessError, "Only a Credit Manager"):
            self.customer.with_user(self.user_collector).action_ar_lift_credit_hold()
        self.customer.with_user(self.credit_manager).action_ar_lift_credit_hold()
        self.assertFalse(self.customer.ar_dunning_hold)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    # ------------------------------------------------------------------
    # Automatic holds
    # ------------------------------------------------------------------

    def test_order_over_credit_limit_refused_with_figures(self):
        self._set_limit(self.customer, 1800.0)
        order = self._order(self.customer_contact, qty=2)  # 200.00: 1,650 + 200 > 1,800
        expected = (
            rf"Order {order.name} \(\$\s?200\.00\) would bring the credit exposure of Overdue Industries to "
            r"\$\s?1,850\.00, over its credit limit of \$\s?1,800\.00 \(open invoices \$\s?1,650\.00, "
            r"draft invoices \$\s?0\.00, orders not yet invoiced \$\s?0\.00\)\."
        )
        self.assertRegex(order.ar_credit_warning, expected, "the quotation warns before anyone clicks")
        with self.assertRaisesRegex(UserError, expected):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")

    def test_order_within_credit_limit_confirms(self):
        self._set_limit(self.customer, 1850.0)
        order = self._order(self.customer, qty=2)  # exactly at the limit
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertAlmostEqual(self.customer.ar_credit_available, 0.0)
        second = self._order(self.customer, qty=1)
        with self.assertRaisesRegex(UserError, "orders not yet invoiced \\$\\s?200\\.00"):
            second.with_user(self.salesman).action_confirm()

    def test_several_orders_confirmed_together_add_up(self):
        self._set_limit(self.customer, 1900.0)
        orders = self._order(self.customer, qty=1) | self._order(self.customer_contact, qty=2)
        with self.assertRaisesRegex(UserError, rf"Order {orders[0].name}, {orders[1].name} \(\$\s?300\.00\)"):
            orders.with_user(self.salesman).action_confirm()
        self.assertEqual(set(orders.mapped("state")), {"draft"})

    def test_no_limit_no_limit_check(self):
        order = self._order(self.customer, qty=500)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_invoices_overdue_too_long_block_orders(self):
        self.company.ar_credit_overdue_days = 15  # inv_overdue is 20 days late
        order = self._order(self.customer)
        oldest = self.inv_overdue.invoice_date_due
        with self.assertRaisesRegex(
            UserError,
            r"Overdue Industries has 1 invoice\(s\) overdue by more than 15 days \(\$\s?1,000\.00, "
            rf"the oldest due on {oldest.strftime('%m/%d/%Y')}\)\.",
        ):
            order.with_user(self.salesman).action_confirm()
        self.company.ar_credit_overdue_days = 30
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_overdue_hold_off_when_zero_and_lifted_by_payment(self):
        self.company.ar_credit_overdue_days = 0
        self._order(self.customer).action_confirm()
        self.company.ar_credit_overdue_days = 15
        self._ar_pay(self.inv_overdue, 1000.0)
        order = self._order(self.customer)
        order.action_confirm()
        self.assertEqual(order.state, "sale", "paid: no longer overdue")

    def test_all_reasons_listed_together(self):
        self._set_limit(self.customer, 100.0)
        self.company.ar_credit_overdue_days = 10
        self.customer.sudo().write({"ar_dunning_hold": True, "ar_dunning_hold_reason": "Level +30 reached"})
        order = self._order(self.customer)
        with self.assertRaises(UserError) as caught:
            order.action_confirm()
        message = str(caught.exception)
        self.assertIn("flagged for credit hold by the payment reminders (Level +30 reached)", message)
        self.assertIn("overdue by more than 10 days", message)
        self.assertIn("over its credit limit of", message)
        self.assertIn("request a credit release", message)

    def test_invoice_posting_check_is_configurable(self):
        self._set_limit(self.customer, 1800.0)
        draft = self._ar_invoice(self.customer, 300.0, days_overdue=-30, post=False)
        draft.action_post()  # the check is off by default
        self.assertEqual(draft.state, "posted")

        self.company.ar_credit_check_invoice = True
        draft = self._ar_invoice(self.customer, 100.0, days_overdue=-30, post=False)
        with self.assertRaisesRegex(UserError, r"would bring the credit exposure of Overdue Industries to \$\s?2,050\.00"):
            draft.with_user(self.user_billing).action_post()
        self.assertEqual(draft.state, "draft")
        refund = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.customer.id, "invoice_date": self.today,
            "invoice_line_ids": [Command.create({"name": "Return", "quantity": 1, "price_unit": 80.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        refund.action_post()
        self.assertEqual(refund.state, "posted", "a credit note lowers exposure: never blocked")

    def test_invoice_posting_not_checked_for_vendor_bills(self):
        self.company.ar_credit_check_invoice = True
        self._hold()
        bill = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.customer.id, "invoice_date": self.today,
            "invoice_line_ids": [Command.create({"name": "Paper", "quantity": 1, "price_unit": 10.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        bill.action_post()
        self.assertEqual(bill.state, "posted")

    def _online_transaction(self, order, state="done"):
        provider = self.env["payment.provider"].create({"name": "Online", "code": "none", "state": "test"})
        transaction = self.env["payment.transaction"].create({
            "provider_id": provider.id,
            "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
            "reference": f"ONLINE-{order.name}",
            "amount": order.amount_total,
            "currency_id": order.currency_id.id,
            "partner_id": order.partner_id.id,
            "sale_order_ids": [Command.set(order.ids)],
        })
        transaction.state = state
        return transaction

    def test_online_payment_never_blocked(self):
        self._set_limit(self.customer, 100.0)
        self.company.ar_credit_overdue_days = 10
        order = self._order(self.customer_contact)
        self._online_transaction(order, state="pending")
        with self.assertRaises(UserError, msg="a pending payment is no proof of payment"):
            order.action_confirm()
        order.transaction_ids.state = "done"
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_online_payment_context_cannot_be_forged(self):
        self._set_limit(self.customer, 100.0)
        order = self._order(self.customer)
        with self.assertRaises(UserError):
            order.with_context(ar_credit_online_payment=True).action_confirm()

    def test_invoice_of_online_payment_never_blocked(self):
        self.company.ar_credit_check_invoice = True
        self._set_limit(self.customer, 100.0)
        order = self._order(self.customer)
        self._online_transaction(order)
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")

    def test_check_query_count_does_not_grow_with_invoices(self):
        """Confirming an order costs the same queries for 2 or 40 open invoices."""
        few = self.env["res.partner"].create({"name": "Few Invoices", "is_company": True})
        many = self.env["res.partner"].create({"name": "Many Invoices", "is_company": True})
        self._ar_invoices([(few, 10.0, days) for days in (3, 40)]
                          + [(many, 10.0, index - 10) for index in range(40)])
        self.company.ar_credit_overdue_days = 365
        for partner in (few, many):
            self._set_limit(partner, 100000.0)
        counts = []
        # The first confirmation after a cache reset also fills Odoo's method caches (sequences,
        # rules): measure one before, then compare the customer with 40 invoices to the one with 2.
        for partner in (few, many, few):
            order = self._order(partner)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            order.action_confirm()
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(order.state, "sale")
        self.assertEqual(counts[1], counts[2], f"40 invoices: {counts[1]} queries, 2 invoices: {counts[2]}")

    def test_exposure_query_count_is_fixed(self):
        partners = self.env["res.partner"].create([{"name": f"C{i}", "is_company": True} for i in range(5)])
        for partner in partners:
            self._ar_invoice(partner, 10.0, days_overdue=5)
            self._ar_invoice(partner, 10.0, days_overdue=-5, post=False)
        partners._ar_credit_exposure(self.company)  # warm the caches (company, currency, rules)
        self.env.flush_all()
        with self.assertQueryCount(4):
            # receivables, overdue receivables, drafts, orders: one query each for all partners
            partners._ar_credit_exposure(self.company)
        self.assertEqual(fields.Date.context_today(self.env.user), self.today)
