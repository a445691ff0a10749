
from lxml import html as lxml_html

from odoo.tests import tagged

from odoo.addons.ar_collections_portal.tests.common import ArPortalHttpCommon
from odoo.addons.ar_collections_portal.tests.pay_common import ArPayScenarios


@tagged("post_install", "-at_install")
class TestPayOverdue(ArPayScenarios, ArPortalHttpCommon):
    """Paying the statement with Odoo's test provider; the scenarios of every provider come from
    ``ArPayScenarios``, the checks of what the customer sends are here."""
    # Odoo's runner runs only the methods a class defines itself unless told: the scenarios are inherited
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.overdue = cls.inv_overdue | cls.inv_partial  # 1000 + 350 open

    def _ar_pay_provider(self):
        return self.provider

    def _ar_pay_method(self):
        return self.payment_method

    def _complete_payment(self, tx, processing):
        """What the provider does next: the customer pays there and the provider tells Odoo the
        payment of this transaction succeeded."""
        self.assertEqual(processing["reference"], tx.reference)
        self._ar_provider_confirms(tx)
        tx.invalidate_recordset()

    def _ar_saved_method(self, partner):
        return self._ar_token(partner)

    def _check_processing_values(self, tx, processing):
        self.assertEqual((processing["provider_code"], processing["reference"]), ("none", tx.reference))

    # ------------------------------------------------------------------
    # One invoice from its page
    # ------------------------------------------------------------------

    def test_pay_one_from_page(self):
        self._ar_login()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_partial.id}")
        self.assertEqual(page.status_code, 200)
        form = lxml_html.fromstring(page.text).xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(float(form.get("data-amount")), 350.0)
        tx, _processing = self._pay([], 350.0, route=form.get("data-transaction-route"))
        self.assertEqual(tx.invoice_ids, self.inv_partial)
        self.assertEqual(tx.reference.split("-")[0], self.inv_partial.name)

    # ------------------------------------------------------------------
    # Amounts
    # ------------------------------------------------------------------

    def test_partial_refused_by_default(self):
        self._ar_login()
        self.assertFalse(self.company.ar_portal_allow_partial)
        self._refused(self._tx_params(self.overdue, 1000.0), "partial payments are not accepted online")
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}&amount=10")
        self.assertEqual(page.status_code, 400)
        self.assertIn("partial payments are not accepted online", page.text)
        self.assertNotIn("o_payment_form", page.text)

    def test_amount_checks(self):
        self.company.ar_portal_allow_partial = True
        self._ar_login()
        self._refused(self._tx_params(self.overdue, 1350.01), "more than the selected invoices have open")
        self._refused(self._tx_params(self.overdue, 0.0), "must be more than zero")
        self._refused(self._tx_params(self.overdue, -5.0), "must be more than zero")
        self._refused(self._tx_params(self.overdue, "lots"), "not a number")
        self._refused(self._tx_params(self.overdue, True), "not a number")
        self._refused(self._tx_params(self.overdue, "nan"), "not a number")
        self._refused(self._tx_params(self.overdue, None), "amount to pay is missing")
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}&amount=5000")
        self.assertEqual(page.status_code, 400)
        self.assertIn("more than the selected invoices have open", page.text)

    # ------------------------------------------------------------------
    # Invoices
    # ------------------------------------------------------------------

    def test_currency_mix_refused(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        inv_eur = self._ar_invoice(self.customer, 400.0, days_overdue=8, currency=eur)
        self._ar_login()
        self._refused(self._tx_params(self.inv_overdue | inv_eur, 1400.0), "different currencies")
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}&invoice_ids={inv_eur.id}")
        self.assertEqual(page.status_code, 400)
        self.assertIn("different currencies", page.text)

    def test_company_mix_refused(self):
        company_b = self.setup_other_company(name="Pay Company B")["company"]
        inv_b = self._ar_invoice(self.customer, 400.0, days_overdue=8, company=company_b, currency=self.company.currency_id)
        self._ar_login()
        self._refused(self._tx_params(self.inv_overdue | inv_b, 1400.0), "different companies")

    def test_other_customer_invoice_injected(self):
        self._ar_login()
        for ids in ([self.inv_other.id], self.overdue.ids + [self.inv_other.id], [self.inv_overdue.id, 999999999]):
            self._refused(self._tx_params(ids, 2050.0), "only open invoices of your account")
            # also hidden in the URL of the payment form
            route = "/my/statement/transaction/" + ",".join(map(str, ids))
            self._refused(self._tx_params([], 2050.0), "only open invoices of your account", route=route)

    def test_closed_and_non_invoice_documents_refused(self):
        refund = self._ar_credit_note(self.inv_overdue, 100.0)
        self._ar_pay(self.inv_not_due, 300.0)
        self._ar_login()
        self._refused(self._tx_params(self.inv_not_due, 300.0), "only open invoices of your account")
        self._refused(self._tx_params(refund, 100.0), "only open invoices of your account")

    def test_bad_selection_refused(self):
        self._ar_login()
        self._refused(self._tx_params([], 10.0), "Select at least one invoice")
        self._refused(self._tx_params(["1 OR 1=1"], 10.0), "not valid")
        self._refused(self._tx_params([True], 10.0), "not valid")
        self._refused(self._tx_params(list(range(1, 300)), 10.0), "at most 200 invoices")
        page = self.url_open("/my/statement/pay")
        self.assertEqual(page.status_code, 400)
        self.assertIn("Select at least one invoice", page.text)

    def test_payment_in_flight_blocks_a_second_one(self):
        self._ar_login()
        tx, _processing = self._pay(self.overdue, 1350.0)
        tx._set_pending()
        self._refused(self._tx_params(self.inv_overdue, 1000.0), "being processed")

    # ------------------------------------------------------------------
    # Payment form values
    # ------------------------------------------------------------------

    def test_form_values_checked(self):
        self._ar_login()
        self._refused(self._tx_params(self.overdue, 1350.0, partner_id=self.other_customer.id), "not whitelisted")
        self._refused(self._tx_params(self.overdue, 1350.0, flow="magic"), "unknown payment flow")
        self._refused(self._tx_params(self.overdue, 1350.0, is_validation=True), "unknown payment flow")
        self._refused(self._tx_params(self.overdue, 1350.0, provider_id=999999), "not available")
        self._refused(self._tx_params(self.overdue, 1350.0, payment_method_id="x"), "not available")
        self._refused(self._tx_params(self.overdue, 1350.0, provider_id=True), "not available")
        self._refused(self._tx_params(self.overdue, 1350.0, flow="token", token_id=True), "not available")
        self.provider.is_published = False
        self._refused(self._tx_params(self.overdue, 1350.0), "not available")

    def test_public_user_needs_login_or_link(self):
        self._refused(self._tx_params(self.overdue, 1350.0), "Log in")
        response = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    # ------------------------------------------------------------------
    # Paying from a statement link (no login)
    # ------------------------------------------------------------------

    def test_expired_link_cannot_pay(self):
        self.customer._ar_statement_access_token()
        expiry = 1000
        token = f"{self.customer.id}-{expiry}-{self.customer._ar_statement_signature(expiry)}"
        self._refused(self._tx_params(self.overdue, 1350.0, access_token=token), "has expired or is not valid")
