"""Paying the statement as Odoo's payment form does, whatever the provider (shared with the
Stripe bridge's tests)."""

import json

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
