from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ArCreditCommon


@tagged("post_install", "-at_install")
class TestCreditInstallDefaults(ArCreditCommon):
    """What an admin expects of a new install: Odoo's groups keep their rights, and holds warn
    (as Odoo's own credit limit does) until a Credit Manager turns blocking on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.ar_credit_check_invoice = True
        cls._set_limit(cls.customer, 1000.0)  # owes 1,650 already

    def test_new_company_only_warns(self):
        company = self.env["res.company"].create({"name": "Fresh Co"})
        self.assertFalse(company.ar_credit_block)

    def test_warning_mode_posts_and_still_lists_the_hold(self):
        self.company.ar_credit_block = False
        invoice = self._ar_invoice(self.customer, 500.0, post=False)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.env["ar.credit.hold"]._ar_refresh(self.customer, self.company)
        self.assertIn("limit", self.env["ar.credit.hold"].search([("partner_id", "=", self.customer.id)])
                      .mapped("reason"), "the customer over its limit is listed, to act on")

    def test_manual_hold_refuses_without_blocking(self):
        self.company.ar_credit_block = False
        self.customer.with_user(self.credit_manager).write({
            "ar_credit_hold": True, "ar_credit_hold_reason": "Bankruptcy filed"})
        invoice = self._ar_invoice(self.customer, 10.0, post=False)
        with self.assertRaisesRegex(UserError, "is on credit hold \\(Bankruptcy filed\\)"):
            invoice.action_post()

    def test_blocking_refuses_over_the_limit(self):
        invoice = self._ar_invoice(self.customer, 500.0, post=False)
        with self.assertRaisesRegex(UserError, "over its credit limit of"):
            invoice.action_post()

    def test_accounting_administrator_sets_credit_limits(self):
        """Odoo lets its Accounting Administrators set a customer's credit limit: so does credit control."""
        accountant = new_test_user(self.env, "ar_acc_admin", company_id=self.company.id,
                                   groups="base.group_partner_manager,account.group_account_manager")
        self.customer.with_user(accountant).credit_limit = 5000.0
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 5000.0)
        with self.assertRaisesRegex(AccessError, "Only a Credit Manager can change a credit limit"):
            self.customer.with_user(self.user_billing).credit_limit = 9000.0
