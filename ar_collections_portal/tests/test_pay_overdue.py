
from lxml import html as lxml_html

from odoo.tests import tagged

from odoo.addons.ar_collections_portal.tests.common import ArPortalHttpCommon
from odoo.addons.ar_collections_portal.tests.pay_common import PAID, ArPayStatementMixin


@tagged("post_install", "-at_install")
class TestPayOverdue(ArPayStatementMixin, ArPortalHttpCommon):

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

    # ------------------------------------------------------------------
    # End to end
    # ------------------------------------------------------------------

    def test_pay_all_overdue_end_to_end(self):
        self._ar_login()
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        pay_url = statement.xpath("//a[contains(@class, 'o_ar_pay_overdue')]/@href")[0]
        page = self.url_open(pay_url)
        self.assertEqual(page.status_code, 200)
        tree = lxml_html.fromstring(page.text)
        self.assertEqual({int(i) for i in tree.xpath("//tr[contains(@class, 'o_ar_pay_invoice')]/@data-move-id")},
                         set(self.overdue.ids))
        form = tree.xpath("//form[@id='o_payment_form']")
        self.assertTrue(form, "Odoo's payment form is on the page")
        route = form[0].get("data-transaction-route")
        self.assertEqual(route, f"/my/statement/transaction/{self.inv_overdue.id},{self.inv_partial.id}")
        self.assertEqual(float(form[0].get("data-amount")), 1350.0)
        self.assertEqual(form[0].get("data-landing-route"), "/my/statement")

        # the payment form posts to the route it was given, the invoices in its URL
        tx, processing = self._pay([], 1350.0, route=route)
        self.assertEqual(tx.state, "draft")
        self.assertEqual(tx.invoice_ids, self.overdue)
        self.assertEqual(tx.amount, 1350.0)
        self.assertEqual(tx.partner_id, self.customer_contact)
        self.assertEqual(tx.landing_route, "/my/statement", "the landing route sent by the browser is ignored")
        self.assertEqual((processing["provider_code"], processing["reference"]), ("none", tx.reference))

        # the provider confirms the payment; the payment cron books it
        self._complete_payment(tx, processing)
        self.assertEqual(tx.state, "done")
        tx._post_process()
        payment = tx.payment_id
        self.assertTrue(payment)
        self.assertEqual(payment.amount, 1350.0)
        self.assertEqual(payment.partner_id, self.customer)
        self.assertEqual(payment.reconciled_invoice_ids, self.overdue)
        self.assertEqual(set(self.overdue.mapped("payment_state")) - set(PAID), set())
        self.assertEqual(self.inv_not_due.payment_state, "not_paid")
        self.assertEqual(payment.currency_id, self.company.currency_id)
        # the statement has nothing overdue left
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        self.assertFalse(statement.xpath("//a[contains(@class, 'o_ar_pay_overdue')]"))

    def test_pay_selection(self):
        self._ar_login()
        tx, _processing = self._pay(self.inv_partial | self.inv_not_due, 650.0)
        self.assertEqual(tx.invoice_ids, self.inv_partial | self.inv_not_due)
        self.assertEqual(tx.amount, 650.0)
        self.assertTrue(tx.reference.startswith("BATCH"), "several invoices: a batch payment reference")
        self._complete_payment(tx, _processing)
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.inv_partial | self.inv_not_due)
        self.assertIn(self.inv_partial.payment_state, PAID)
        self.assertIn(self.inv_not_due.payment_state, PAID)
        self.assertEqual(self.inv_overdue.payment_state, "not_paid")

    def test_pay_one_from_page(self):
        self._ar_login()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_partial.id}")
        self.assertEqual(page.status_code, 200)
        form = lxml_html.fromstring(page.text).xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(float(form.get("data-amount")), 350.0)
        tx, _processing = self._pay([], 350.0, route=form.get("data-transaction-route"))
        self.assertEqual(tx.invoice_ids, self.inv_partial)
        self.assertEqual(tx.reference.split("-")[0], self.inv_partial.name)

    def test_pay_with_saved_payment_method(self):
        token = self._ar_token(self.customer_contact)
        self._ar_login()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}")
        self.assertIn(f'id="o_payment_token_{token.id}"', page.text, "the customer's saved method is offered")
        tx, processing = self._pay(self.overdue, 1350.0, flow="token", token_id=token.id,
                                   provider_id=None, payment_method_id=None)
        self.assertEqual((tx.token_id, tx.provider_id, tx.amount), (token, self.provider, 1350.0))
        self._complete_payment(tx, processing)
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.overdue)

    def test_saved_method_of_other_customer_refused(self):
        token = self._ar_token(self.other_customer)
        self._ar_login()
        self._refused(self._tx_params(self.overdue, 1350.0, flow="token", token_id=token.id),
                      "This payment method is not available")
        self.assertFalse(self.Tx.search([("token_id", "=", token.id)]))

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

    def test_partial_allowed_pays_oldest_first(self):
        self.company.ar_portal_allow_partial = True
        self._ar_login()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_partial.id},{self.inv_overdue.id}&amount=1100")
        self.assertEqual(page.status_code, 200)
        tree = lxml_html.fromstring(page.text)
        self.assertTrue(tree.xpath("//form[contains(@class, 'o_ar_partial_amount')]//input[@name='amount']"))
        self.assertEqual(float(tree.xpath("//form[@id='o_payment_form']/@data-amount")[0]), 1100.0)
        tx, processing = self._pay(self.overdue, 1100.0)
        self.assertEqual(tx.amount, 1100.0)
        self._complete_payment(tx, processing)
        self.assertEqual(tx.state, "done")
        tx._post_process()
        self.assertEqual(tx.payment_id.amount, 1100.0)
        self.assertIn(self.inv_overdue.payment_state, PAID, "the oldest due invoice is settled first")
        self.assertEqual(self.inv_partial.payment_state, "partial")
        self.assertAlmostEqual(self.inv_partial.amount_residual, 250.0)

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

    def test_pay_overdue_from_link(self):
        token = self.customer._ar_statement_access_token()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id},{self.inv_partial.id}"
                             f"&access_token={token}")
        self.assertEqual(page.status_code, 200)
        form = lxml_html.fromstring(page.text).xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(form.get("data-access-token"), token)
        self.assertEqual(form.get("data-landing-route"), f"/my/statement?access_token={token}")
        tx, processing = self._pay([], 1350.0, route=form.get("data-transaction-route"), access_token=token)
        self.assertEqual(tx.partner_id, self.customer)
        self.assertEqual(tx.invoice_ids, self.overdue)
        self.assertEqual(tx.landing_route, f"/my/statement?access_token={token}")
        self.assertFalse(tx.tokenize)
        self._complete_payment(tx, processing)
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.overdue)

    def test_link_cannot_use_or_save_cards(self):
        token = self.customer._ar_statement_access_token()
        card = self._ar_token(self.customer)
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}&access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)
        self.assertNotIn(f'id="o_payment_token_{card.id}"', page.text, "saved cards are not offered")
        self._refused(self._tx_params(self.inv_overdue, 1000.0, flow="token", token_id=card.id, access_token=token),
                      "Log in to pay with a saved payment method")
        tx, _processing = self._pay(self.inv_overdue, 1000.0, tokenization_requested=True, access_token=token)
        self.assertFalse(tx.tokenize)

    def test_expired_link_cannot_pay(self):
        self.customer._ar_statement_access_token()
        expiry = 1000
        token = f"{self.customer.id}-{expiry}-{self.customer._ar_statement_signature(expiry)}"
        self._refused(self._tx_params(self.overdue, 1350.0, access_token=token), "has expired or is not valid")
