from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReceivable(ArCollectionsCommon):

    def test_days_overdue(self):
        self.assertEqual(self.inv_overdue.ar_days_overdue, 20)
        self.assertEqual(self.inv_partial.ar_days_overdue, 5)
        self.assertEqual(self.inv_not_due.ar_days_overdue, -10)
        self._ar_pay(self.inv_overdue, 1000.0)
        self.assertEqual(self.inv_overdue.payment_state in ("paid", "in_payment"), True)
        self.inv_overdue.invalidate_recordset(["ar_days_overdue"])
        self.assertEqual(self.inv_overdue.ar_days_overdue, 0, "a paid invoice is not overdue")

    def test_partner_amounts_after_partial_payment_and_credit_note(self):
        customer = self.customer.with_company(self.company)
        # 1000 overdue + (600 - 250) overdue + 300 not due
        self.assertAlmostEqual(customer.ar_open_amount, 1650.0)
        self.assertAlmostEqual(customer.ar_overdue_amount, 1350.0)
        self._ar_credit_note(self.inv_overdue, 400.0)
        customer.invalidate_recordset(["ar_open_amount", "ar_overdue_amount"])
        self.assertAlmostEqual(customer.ar_overdue_amount, 950.0)
        self.assertAlmostEqual(self.customer_contact.with_company(self.company).ar_overdue_amount, 950.0,
                               "a contact shows its company's receivable")

    def test_has_overdue_search(self):
        partners = self.env["res.partner"].with_company(self.company).search([("ar_has_overdue", "=", True)])
        self.assertIn(self.customer, partners)
        self.assertIn(self.other_customer, partners)
        self._ar_pay(self.inv_other, 700.0)
        partners = self.env["res.partner"].with_company(self.company).search([("ar_has_overdue", "=", True)])
        self.assertNotIn(self.other_customer, partners)
        not_overdue = self.env["res.partner"].with_company(self.company).search([("ar_has_overdue", "=", False)])
        self.assertIn(self.other_customer, not_overdue)
        self.assertNotIn(self.customer, not_overdue)

    def test_no_chase_needs_reason(self):
        with self.assertRaisesRegex(ValidationError, "Say why"):
            self.customer.ar_no_chase = True
        with self.assertRaisesRegex(ValidationError, "Say why"):
            self.inv_overdue.write({"ar_no_chase": True, "ar_no_chase_reason": "   "})

    def test_no_chase_exclusion_and_end_date(self):
        self.assertFalse(self.inv_overdue._ar_is_chase_excluded())
        self.inv_overdue.write({"ar_no_chase": True, "ar_no_chase_reason": "Agreed with CFO"})
        self.assertTrue(self.inv_overdue._ar_is_chase_excluded())
        self.inv_overdue.write({"ar_no_chase": False, "ar_no_chase_reason": False})
        self.customer.write({
            "ar_no_chase": True,
            "ar_no_chase_reason": "Bankruptcy proceedings",
            "ar_no_chase_until": self.today + timedelta(days=10),
        })
        self.assertTrue(self.inv_partial._ar_is_chase_excluded())
        self.assertFalse(self.inv_partial._ar_is_chase_excluded(self.today + timedelta(days=11)),
                         "the exclusion ends after its end date")
        self.assertFalse(self.inv_other._ar_is_chase_excluded())
