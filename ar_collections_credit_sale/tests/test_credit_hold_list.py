from datetime import timedelta

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditHoldList(ArCreditSaleCommon):
    """Customers on Credit Hold lists every customer blocked now, with the reason and the figures,
    stored per company and kept up to date (issue 18, point 2).

    Overdue Industries owes 1,650.00: 1,000.00 due 20 days ago, 350.00 left of 600.00 due 5 days
    ago, 300.00 not due.
    """

    def _holds(self, partner=None, company=None):
        self.env.cr.precommit.run()  # documents refresh the holds when the transaction commits
        return self.env["ar.credit.hold"].search([
            ("partner_id", "=", (partner or self.customer).id),
            ("company_id", "=", (company or self.company).id),
        ])

    def _by_reason(self, partner=None, company=None):
        return {hold.reason: hold for hold in self._holds(partner, company)}

    def test_nobody_held_by_default(self):
        # install defaults: no limit, holds after 60 days overdue; nobody here is blocked
        self.assertFalse(self._holds())
        order = self._order(self.customer)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(self._holds(), "the defaults block nobody")

    def test_over_the_limit_listed_with_the_amount_over(self):
        self._set_limit(self.customer, 1500.0)
        hold = self._by_reason()["limit"]
        self.assertAlmostEqual(hold.figure, 1650.0)
        self.assertAlmostEqual(hold.limit, 1500.0)
        self.assertAlmostEqual(hold.amount, 150.0, msg="over the limit by 150.00")
        self.assertIn("over its credit limit of", hold.detail)
        self.assertTrue(self.customer.ar_credit_blocked)
        self.assertFalse(self.other_customer.ar_credit_blocked)
        # a limit raised above the exposure takes the customer off the list at once
        self._set_limit(self.customer, 5000.0)
        self.assertFalse(self._holds())

    def test_every_reason_listed(self):
        self.company.ar_credit_overdue_days = 10
        self._set_limit(self.customer, 1000.0)
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filing"})
        self.customer.sudo().write({"ar_dunning_hold": True, "ar_dunning_hold_reason": "Final notice reached"})
        holds = self._by_reason()
        self.assertEqual(set(holds), {"manual", "dunning", "overdue", "limit"})
        self.assertEqual(holds["manual"].detail, "Bankruptcy filing")
        self.assertEqual(holds["dunning"].detail, "Final notice reached")
        self.assertAlmostEqual(holds["overdue"].amount, 1000.0, msg="the invoice due 20 days ago")
        self.assertIn("overdue by more than 10 days", holds["overdue"].detail)
        self.assertAlmostEqual(holds["limit"].amount, 650.0)
        # the Credit Manager lifts the holds from the list: the automatic reasons stay
        holds["manual"].with_user(self.credit_manager).action_ar_lift_hold()
        self.assertEqual(set(self._by_reason()), {"overdue", "limit"})

    def test_refreshed_by_invoices_and_payments(self):
        self._set_limit(self.customer, 1700.0)
        self.assertFalse(self._holds())
        invoice = self._ar_invoice(self.customer, 100.0, days_overdue=-30)
        hold = self._by_reason()["limit"]
        self.assertAlmostEqual(hold.amount, 50.0, msg="1,750.00 against 1,700.00")
        self._ar_pay(self.inv_overdue, 1000.0)
        self.assertFalse(self._holds(), "paid: back under the limit")
        invoice.button_draft()
        invoice.button_cancel()
        self._set_limit(self.customer, 600.0)
        self.assertAlmostEqual(self._by_reason()["limit"].amount, 50.0, msg="650.00 against 600.00")

    def test_refreshed_by_orders(self):
        self._set_limit(self.customer, 1800.0)
        order = self._order(self.customer, qty=1)
        order.action_confirm()
        self.assertFalse(self._holds(), "1,750.00: within the limit")
        order.order_line.product_uom_qty = 3
        self.assertAlmostEqual(self._by_reason()["limit"].amount, 150.0, msg="1,950.00 against 1,800.00")
        order._action_cancel()
        self.assertFalse(self._holds())

    def test_passing_of_time_daily_run(self):
        self.company.ar_credit_overdue_days = 30
        self.assertFalse(self._holds())
        with freeze_time(self.today + timedelta(days=11)):
            self.env["ar.credit.hold"]._cron_refresh_holds()
            holds = self._by_reason()
        self.assertEqual(set(holds), {"overdue"}, "the 1,000.00 invoice is now 31 days overdue")
        since = holds["overdue"].date
        with freeze_time(self.today + timedelta(days=60)):
            self.env["ar.credit.hold"]._cron_refresh_holds()
            holds = self._by_reason()
        self.assertAlmostEqual(holds["overdue"].amount, 1650.0, msg="every invoice is overdue by then")
        self.assertEqual(holds["overdue"].date, since, "still held: the record and its date are kept")

    def test_per_company_and_record_rules(self):
        company_2 = self.setup_other_company(name="Hold Company 2")["company"]
        self._ar_invoice(self.customer, 5000.0, days_overdue=90, company=company_2)
        self.env.cr.precommit.run()
        self.assertEqual(set(self._by_reason(company=company_2)), {"overdue"})
        self.assertFalse(self._holds(), "company 1 does not block for company 2's debts")
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filing"})
        self.assertIn("manual", self._by_reason(company=company_2), "a manual hold applies in every company")
        visible = self.env["ar.credit.hold"].with_user(self.salesman).search([("partner_id", "=", self.customer.id)])
        self.assertEqual(visible.company_id, self.company, "a salesperson of company 1 sees company 1's holds")
        with self.assertRaises(AccessError):
            self._holds(company=company_2).with_user(self.salesman).read(["reason"])
        with self.assertRaises(AccessError):
            self._holds().with_user(self.salesman).write({"amount": 0.0})

    def test_menu_lists_holds_with_reason_filters_and_groups(self):
        self._set_limit(self.customer, 1000.0)
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filing"})
        self._set_limit(self.other_customer, 100.0)
        action = self.env.ref("ar_collections_credit.action_ar_credit_hold_partners")
        self.assertEqual(action.res_model, "ar.credit.hold")
        Hold = self.env["ar.credit.hold"].with_user(self.credit_manager)
        groups = dict(Hold._read_group([], ["reason"], ["partner_id:count_distinct"]))
        self.assertEqual(groups, {"manual": 1, "limit": 2})
        search = etree.fromstring(Hold.get_view(view_type="search")["arch"])
        for name in ("manual", "dunning", "overdue", "limit", "limit_type", "group_reason"):
            self.assertTrue(search.xpath(f"//filter[@name='{name}']"), name)
        columns = etree.fromstring(Hold.get_view(action.view_id.id, "list")["arch"])
        for name in ("partner_id", "reason", "detail", "figure", "limit", "amount"):
            self.assertTrue(columns.xpath(f"//field[@name='{name}']"), name)
