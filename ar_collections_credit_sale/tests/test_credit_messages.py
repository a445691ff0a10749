from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import ArCreditSaleCommon


@tagged("post_install", "-at_install")
class TestCreditMessages(ArCreditSaleCommon):
    """What the credit check tells salespeople, and the buttons it offers (issue 18, point 3)."""

    def _invisible(self, model, button, values):
        """Whether ``button`` of ``model``'s form (as a Credit Manager sees it) is hidden for ``values``."""
        arch = etree.fromstring(self.env[model].with_user(self.credit_manager).get_view(view_type="form")["arch"])
        node = arch.xpath(f"//button[@name='{button}']")
        self.assertEqual(len(node), 1, f"{button} is on the form")
        return bool(safe_eval(node[0].get("invisible", "False"), values))

    def test_over_limit_says_what_to_do_with_the_overdue_amount(self):
        self._set_limit(self.customer, 1700.0)
        order = self._order(self.customer, qty=3)
        with self.assertRaises(UserError) as caught:
            order.with_user(self.salesman).action_confirm()
        message = str(caught.exception)
        self.assertNotIn("lift the hold", message, "there is no hold to lift")
        self.assertRegex(
            message,
            r"over its credit limit of \$\s?1,700\.00 .*\nTo go ahead, request a credit release \(Sales > Orders > "
            r"Credit Releases\), or have Overdue Industries pay its overdue invoices \(\$\s?1,350\.00\)\.$",
        )

    def test_over_limit_without_overdue(self):
        customer = self.env["res.partner"].create({"name": "Prompt Payers", "is_company": True})
        self._ar_invoice(customer, 500.0, days_overdue=-20)
        self._set_limit(customer, 550.0)
        order = self._order(customer, qty=1)
        with self.assertRaises(UserError) as caught:
            order.action_confirm()
        message = str(caught.exception)
        self.assertTrue(message.endswith(
            "To go ahead, request a credit release (Sales > Orders > Credit Releases)."), message)
        self.assertNotIn("overdue invoices", message)

    def test_hold_message_names_the_document(self):
        self.company.ar_credit_check_invoice = True
        order = self._order(self.customer, qty=1)
        order.action_confirm()
        invoice = order._create_invoices()
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filing",
        })
        quotation = self._order(self.customer, qty=1)
        with self.assertRaisesRegex(UserError, r"lift the hold before confirming the order\.$"):
            quotation.action_confirm()
        self.assertIn("before confirming the order", quotation.ar_credit_warning)
        with self.assertRaisesRegex(UserError, r"on credit hold \(Bankruptcy filing\): ask a Credit Manager to "
                                               r"lift the hold before posting the invoice\.$"):
            invoice.action_post()
        self.customer.with_user(self.credit_manager).action_ar_lift_credit_hold()
        self.customer.sudo().write({"ar_dunning_hold": True, "ar_dunning_hold_reason": "Level +30 reached"})
        with self.assertRaisesRegex(UserError, r"payment reminders \(Level \+30 reached\): ask a Credit Manager "
                                               r"to lift the hold before posting the invoice\."):
            invoice.action_post()

    def test_quotation_shows_the_pending_release_instead_of_the_button(self):
        self._set_limit(self.customer, 1700.0)
        order = self._order(self.customer, qty=3)
        button = "action_ar_request_credit_release"
        self.assertFalse(order.ar_credit_release_id)
        self.assertFalse(self._invisible("sale.order", button, {"ar_credit_release_id": False}))

        action = order.with_user(self.salesman).action_ar_request_credit_release()
        with Form(self.env["ar.credit.release"].with_user(self.salesman).with_context(**action["context"])) as form:
            form.reason = "Framework agreement signed"
        release = form.record
        order.invalidate_recordset()
        self.assertEqual(order.ar_credit_release_id, release)
        self.assertEqual(order.ar_credit_release_state, "draft")
        release.with_user(self.salesman).action_request()
        order.invalidate_recordset()
        self.assertEqual(order.with_user(self.salesman).ar_credit_release_id, release)
        self.assertEqual(order.ar_credit_release_state, "requested")
        self.assertTrue(self._invisible("sale.order", button, {"ar_credit_release_id": release.id}),
                        "no second request while one is pending")
        arch = self.env["sale.order"].get_view(view_type="form")["arch"]
        self.assertIn('name="ar_credit_release_id"', arch, "the pending release is shown instead")

        release.with_user(self.credit_manager).action_refuse()
        order.invalidate_recordset()
        self.assertFalse(order.ar_credit_release_id, "refused: a new request can be made")

    def test_requester_does_not_see_approve_or_refuse(self):
        release = self.env["ar.credit.release"].with_user(self.credit_manager).create({
            "partner_id": self.customer.id, "amount": 500.0, "reason": "I trust them",
        })
        release.with_user(self.credit_manager).action_request()
        self.assertFalse(release.with_user(self.credit_manager).can_approve, "the requester")
        self.assertTrue(release.with_user(self.credit_manager_2).can_approve)
        self.assertFalse(release.with_user(self.salesman).can_approve, "not a Credit Manager")
        for button in ("action_approve", "action_refuse"):
            for state in ("requested", "approved"):
                self.assertTrue(self._invisible("ar.credit.release", button, {"state": state, "can_approve": False}),
                                f"{button} hidden from the requester")
        self.assertFalse(self._invisible("ar.credit.release", "action_approve",
                                         {"state": "requested", "can_approve": True}))
        self.assertFalse(self._invisible("ar.credit.release", "action_refuse",
                                         {"state": "approved", "can_approve": True}))
        with self.assertRaisesRegex(AccessError, "another Credit Manager must approve it"):
            release.with_user(self.credit_manager).action_approve()
        release.with_user(self.credit_manager_2).action_approve()
        self.assertEqual(release.state, "approved")
