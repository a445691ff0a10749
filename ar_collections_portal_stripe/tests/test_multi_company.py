from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.ar_collections_portal_stripe.tests.test_autopay import ArAutopayCase


@tagged("post_install", "-at_install")
class TestAutopayMultiCompany(ArAutopayCase):
    """A mandate belongs to one company: it charges that company's invoices only, through that
    company's Stripe account, and users of other companies do not see it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.stripe_b = cls._ar_stripe_provider(cls.company_b)
        cls.inv_b = cls._ar_invoice(cls.customer, 400.0, days_overdue=2, company=cls.company_b)
        cls.collector_b = new_test_user(
            cls.env, "ar_collector_b", groups="base.group_user,ar_collections.group_ar_collections_user",
            company_id=cls.company_b.id, company_ids=[Command.set(cls.company_b.ids)],
        )

    def test_mandate_charges_its_company_only(self):
        attempt = self._run_day(self.today)
        self.assertEqual(attempt.company_id, self.company)
        self.assertNotIn(self.inv_b, attempt.invoice_ids, "company B's invoice is not charged by company A's mandate")
        self.assertEqual(attempt.transaction_id.provider_id, self.stripe)
        self.assertEqual(len(self.fake_stripe.charges), 1)
        self.assertEqual(self.inv_b.payment_state, "not_paid")
        self.assertFalse(self._run_day(self.today), "and never later")

        token_b = self._ar_stripe_token(self.customer, pm="pm_card_mastercard", provider=self.stripe_b)
        mandate_b = self.Mandate.create({
            "partner_id": self.customer.id, "company_id": self.company_b.id, "token_id": token_b.id,
        })
        attempt_b = self._run_day(self.today + timedelta(days=1))
        self.assertEqual((attempt_b.mandate_id, attempt_b.invoice_ids), (mandate_b, self.inv_b))
        self.assertEqual(attempt_b.transaction_id.provider_id, self.stripe_b)
        self.assertEqual(attempt_b.state, "done")
        self.assertEqual(self.fake_stripe.charges[-1]["payment_method"], "pm_card_mastercard")
        self.assertEqual(len(self.fake_stripe.charges), 2)

    def test_card_of_another_company_refused(self):
        token_b = self._ar_stripe_token(self.customer, pm="pm_card_mastercard", provider=self.stripe_b)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.mandate.token_id = token_b

    def test_record_rules(self):
        self._run_day(self.today)
        attempt = self.Attempt.search([("mandate_id", "=", self.mandate.id)])
        as_b = self.env(user=self.collector_b)
        self.assertFalse(as_b["ar.autopay.mandate"].search([]), "company A's mandates are hidden from company B")
        self.assertFalse(as_b["ar.autopay.attempt"].search([]))
        with self.assertRaises(AccessError):
            as_b["ar.autopay.mandate"].browse(self.mandate.id).read(["partner_id"])
        with self.assertRaises(AccessError):
            as_b["ar.autopay.attempt"].browse(attempt.id).read(["amount"])
        as_a = self.env(user=self.user_collector)
        self.assertEqual(as_a["ar.autopay.mandate"].search([]), self.mandate)
        self.assertEqual(as_a["ar.autopay.attempt"].search([]), attempt)
        as_a_attempt = as_a["ar.autopay.attempt"].browse(attempt.id)
        self.assertEqual(as_a_attempt.transaction_id.display_name, attempt.transaction_id.reference,
                         "a collector sees the charge with its transaction")
        with self.assertRaises(AccessError):
            as_a["ar.autopay.mandate"].browse(self.mandate.id).write({"active": False})

    def test_manager_acts_on_charges(self):
        self.customer.with_company(self.company).ar_collector_id = self.user_collector
        self._use_card("pm_ar_gone")
        del self.fake_stripe.payment_methods["pm_ar_gone"]
        attempt = self._run_day(self.today)
        self.assertEqual(attempt.state, "failed")
        with self.assertRaises(AccessError), self.cr.savepoint():
            attempt.with_user(self.user_collector).action_cancel()
        self.assertEqual(attempt.state, "failed")
        attempt.with_user(self.user_ar_manager).action_cancel()
        self.assertEqual(attempt.state, "cancelled")
