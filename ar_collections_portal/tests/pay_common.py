"""Paying the statement as Odoo's payment form does, whatever the provider (shared with the
Stripe bridge's tests)."""

import json

from lxml import html as lxml_html

PAID = ("paid", "in_payment")


def jsonrpc_error(case, route, params):
    """The message of the JSON-RPC error ``route`` answers (fails the test when it succeeds)."""
    response = case.url_open(route, data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}),
                             headers={"Content-Type": "application/json"})
    response.raise_for_status()
    answer = response.json()
    case.assertIn("error", answer, f"{route} accepted {params}")
    return answer["error"]["data"]["message"]


class ArPayStatementMixin:
    """For an HttpCase: ``_ar_pay_provider()`` and ``_ar_pay_method()`` name what the customer
    pays with; the helpers post to our transaction routes as the payment form does."""

    def setUp(self):
        super().setUp()
        self.Tx = self.env["payment.transaction"].sudo()

    def _ar_pay_provider(self):
        raise NotImplementedError

    def _ar_pay_method(self):
        raise NotImplementedError

    def _tx_params(self, invoices, amount, **values):
        return {
            "invoice_ids": invoices.ids if hasattr(invoices, "ids") else invoices,
            "amount": amount,
            "provider_id": self._ar_pay_provider().id,
            "payment_method_id": self._ar_pay_method().id,
            "token_id": None,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "https://evil.example.com/",
            "is_validation": False,
            **values,
        }

    def _pay(self, invoices, amount, route="/my/statement/transaction", **values):
        """Create the transaction as the payment form does; return it and its processing values."""
        processing = self.make_jsonrpc_request(route, self._tx_params(invoices, amount, **values))
        return self.Tx.search([("reference", "=", processing["reference"])]), processing

    def _refused(self, params, message, route="/my/statement/transaction"):
        before = self.Tx.search_count([])
        error = jsonrpc_error(self, route, params)
        self.assertIn(message, error)
        self.assertEqual(self.Tx.search_count([]), before, "a refused payment creates no transaction")
        return error


class ArPayScenarios(ArPayStatementMixin):
    """The ways a customer pays the statement, run once per provider: the test provider here,
    Stripe through its fake in the bridge. A class using it has ``overdue`` (the customer's
    overdue invoices, 1000 + 350 open) and implements the hooks below."""

    def _complete_payment(self, tx, processing):
        """What the provider and the customer's browser do after the transaction is created,
        up to the provider telling Odoo the payment succeeded."""
        raise NotImplementedError

    def _ar_saved_method(self, partner):
        """A payment method ``partner`` saved at the provider (a token)."""
        raise NotImplementedError

    def _complete_token_payment(self, tx, processing):
        """The same for a payment with a saved method (some providers charge it at once)."""
        self._complete_payment(tx, processing)

    def _check_processing_values(self, tx, processing):
        """What the provider's processing values must hold for the payment form."""

    def _check_charged(self, amounts):
        """The amounts the provider charged, in the order charged (providers that keep a record)."""

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
        self._check_processing_values(tx, processing)

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
        self._check_charged([1350.0])
        # the statement has nothing overdue left
        statement = lxml_html.fromstring(self.url_open("/my/statement").text)
        self.assertFalse(statement.xpath("//a[contains(@class, 'o_ar_pay_overdue')]"))

    def test_pay_selection(self):
        self._ar_login()
        tx, processing = self._pay(self.inv_partial | self.inv_not_due, 650.0)
        self.assertEqual(tx.invoice_ids, self.inv_partial | self.inv_not_due)
        self.assertEqual(tx.amount, 650.0)
        self.assertTrue(tx.reference.startswith("BATCH"), "several invoices: a batch payment reference")
        self._complete_payment(tx, processing)
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.inv_partial | self.inv_not_due)
        self.assertIn(self.inv_partial.payment_state, PAID)
        self.assertIn(self.inv_not_due.payment_state, PAID)
        self.assertEqual(self.inv_overdue.payment_state, "not_paid")

    def test_pay_with_saved_payment_method(self):
        token = self._ar_saved_method(self.customer_contact)
        self._ar_login()
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}")
        self.assertIn(f'id="o_payment_token_{token.id}"', page.text, "the customer's saved method is offered")
        tx, processing = self._pay(self.overdue, 1350.0, flow="token", token_id=token.id,
                                   provider_id=None, payment_method_id=None)
        self.assertEqual((tx.token_id, tx.provider_id, tx.amount), (token, self._ar_pay_provider(), 1350.0))
        self._complete_token_payment(tx, processing)
        self._check_charged([1350.0])
        tx._post_process()
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, self.overdue)

    def test_saved_method_of_other_customer_refused(self):
        token = self._ar_saved_method(self.other_customer)
        self._ar_login()
        self._refused(self._tx_params(self.overdue, 1350.0, flow="token", token_id=token.id),
                      "This payment method is not available")
        self.assertFalse(self.Tx.search([("token_id", "=", token.id)]))
        self._check_charged([])

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
        self._check_charged([1100.0])
        self.assertIn(self.inv_overdue.payment_state, PAID, "the oldest due invoice is settled first")
        self.assertEqual(self.inv_partial.payment_state, "partial")
        self.assertAlmostEqual(self.inv_partial.amount_residual, 250.0)

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
        card = self._ar_saved_method(self.customer)
        page = self.url_open(f"/my/statement/pay?invoice_ids={self.inv_overdue.id}&access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)
        self.assertNotIn(f'id="o_payment_token_{card.id}"', page.text, "saved cards are not offered")
        self._refused(self._tx_params(self.inv_overdue, 1000.0, flow="token", token_id=card.id, access_token=token),
                      "Log in to pay with a saved payment method")
        tx, _processing = self._pay(self.inv_overdue, 1000.0, tokenization_requested=True, access_token=token)
        self.assertFalse(tx.tokenize)
