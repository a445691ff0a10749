from urllib.parse import urlencode

from odoo import Command
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.run_summary import record
from odoo.addons.ar_collections_portal_stripe.tests.common import ArStripeHttpCommon

PAID = ("paid", "in_payment")


@tagged("post_install", "-at_install")
class TestStripeIntentBinding(ArStripeHttpCommon):
    """A Stripe intent settles only the transaction it was made for, whatever route brings it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.small_invoice = cls._ar_invoice(cls.customer, 5.0, days_overdue=3)
        cls.large_invoice = cls._ar_invoice(cls.customer, 500.0, days_overdue=3)

    def _tx(self, invoice, operation="online_direct", **values):
        return self.env["payment.transaction"].sudo().create({
            "provider_id": self.stripe.id,
            "payment_method_id": self.card_method.id,
            "amount": invoice.amount_residual,
            "currency_id": invoice.currency_id.id,
            "partner_id": self.customer.id,
            "operation": operation,
            "invoice_ids": [Command.set(invoice.ids)],
            **values,
        })

    def _intent(self, tx, confirm=True):
        """The PaymentIntent payment_stripe creates for ``tx``, paid by card when ``confirm``."""
        intent = tx._stripe_create_intent()
        if confirm:
            intent = self.fake_stripe.confirm_intent(intent["id"], "pm_card_visa")
        return intent

    def _return(self, tx, intent_id):
        """The customer's browser opening Odoo's Stripe return URL."""
        query = urlencode({"reference": tx.reference, "payment_intent": intent_id})
        response = self.url_open(f"/payment/stripe/return?{query}", allow_redirects=False)
        tx.invalidate_recordset()
        return response

    def _refusals(self, invoice):
        return invoice.message_ids.filtered(lambda m: "refused" in (m.body or ""))

    def _assert_refused(self, tx, invoice, fragment, refusals_before=0):
        self.assertNotIn(tx.state, ("done", "authorized"), "the swapped intent confirmed the transaction")
        self.assertIn("refused", tx.state_message or "")
        self.assertIn(fragment, tx.state_message)
        tx._post_process()
        self.assertFalse(tx.payment_id, "a refused notification creates no payment")
        invoice.invalidate_recordset()
        self.assertNotIn(invoice.payment_state, PAID)
        self.assertEqual(invoice.amount_residual, 500.0)
        self.assertGreater(len(self._refusals(invoice)), refusals_before, "the refusal is told on the invoice")

    # ------------------------------------------------------------------
    # Through Odoo's real return route
    # ------------------------------------------------------------------

    def test_return_route_refuses_the_intent_of_a_smaller_payment(self):
        small_tx = self._tx(self.small_invoice)
        small_intent = self._intent(small_tx)
        self.assertEqual(self._return(small_tx, small_intent["id"]).status_code, 303)
        self.assertEqual(small_tx.state, "done")

        large_tx = self._tx(self.large_invoice)
        self._intent(large_tx, confirm=False)  # started, never paid
        response = self._return(large_tx, small_intent["id"])
        self.assertEqual(response.status_code, 303, "the customer lands on the status page, no server error")
        self.assertTrue(response.headers["Location"].endswith("/payment/status"))
        self._assert_refused(large_tx, self.large_invoice, small_tx.reference)
        self.assertEqual(small_tx.state, "done", "the genuine payment stays as it was")
        self.assertEqual(len(self.fake_stripe.charges), 1, "Stripe charged 5.00 once")

    def test_return_route_refuses_an_intent_replayed_on_another_transaction(self):
        first = self._tx(self.small_invoice)
        intent = self._intent(first)
        self._return(first, intent["id"])
        self.assertEqual(first.state, "done")
        # Replaying the same answer on the same transaction is harmless and stays accepted.
        self.assertEqual(self._return(first, intent["id"]).status_code, 303)
        self.assertEqual(first.state, "done")
        second_invoice = self._ar_invoice(self.customer, 5.0, days_overdue=1)
        second = self._tx(second_invoice)
        self._return(second, intent["id"])
        self.assertNotEqual(second.state, "done")
        self.assertIn(first.reference, second.state_message)

    def test_return_route_keeps_the_genuine_payment(self):
        tx = self._tx(self.large_invoice)
        intent = self._intent(tx)
        self.assertEqual(self._return(tx, intent["id"]).status_code, 303)
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, intent["id"])
        tx._post_process()
        self.assertIn(self.large_invoice.payment_state, PAID)

    # ------------------------------------------------------------------
    # Through the signed webhook
    # ------------------------------------------------------------------

    def test_webhook_refuses_an_intent_of_another_amount(self):
        tx = self._tx(self.large_invoice)
        self._intent(tx, confirm=False)
        other = self._intent(self._tx(self.small_invoice))
        # Even signed by Stripe, an event whose intent does not match the transaction it names
        # settles nothing (e.g. a description edited in the Stripe dashboard).
        forged = dict(other, description=tx.reference)
        body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", forged)
        self.assertEqual(self.url_open("/payment/stripe/webhook", data=body, headers=headers).status_code, 200)
        tx.invalidate_recordset()
        self._assert_refused(tx, self.large_invoice, "500")

    # ------------------------------------------------------------------
    # At the transaction, every field
    # ------------------------------------------------------------------

    def _notify(self, tx, **intent):
        base = {"id": "pi_forged_000001", "object": "payment_intent", "status": "succeeded",
                "amount": 50000, "currency": "usd", "description": tx.reference, "payment_method": None}
        data = {"reference": tx.reference, "payment_intent": {**base, **intent}}
        tx._handle_notification_data("stripe", data)
        tx.invalidate_recordset()

    def test_transaction_refuses_each_mismatch(self):
        currency = self.large_invoice.currency_id.name.lower()
        cases = [
            ("amount", {"amount": 500}, "500"),
            ("currency", {"currency": "jpy" if currency != "jpy" else "eur"}, "JPY" if currency != "jpy" else "EUR"),
            ("reference", {"description": "S00042-1"}, "S00042-1"),
            ("reference in metadata", {"description": None, "metadata": {"reference": "S00042-2"}}, "S00042-2"),
            ("no id", {"id": ""}, "no intent"),
        ]
        for label, intent, fragment in cases:
            with self.subTest(label):
                refusals = len(self._refusals(self.large_invoice))
                tx = self._tx(self.large_invoice)
                self._notify(tx, **{"currency": currency, **intent})
                self._assert_refused(tx, self.large_invoice, fragment, refusals)

    def test_transaction_refuses_an_intent_of_another_transaction(self):
        currency = self.large_invoice.currency_id.name.lower()
        first = self._tx(self.large_invoice)
        self._notify(first, currency=currency)
        self.assertEqual(first.state, "done", "a matching intent is applied")
        second = self._tx(self.large_invoice)
        # Same amount, currency and a description naming the second transaction: only the id
        # gives the replay away.
        self._notify(second, currency=currency)
        self.assertNotEqual(second.state, "done")
        self.assertIn(first.reference, second.state_message)
        # Nor can a transaction bound to one intent be confirmed by another.
        self._notify(first, id="pi_forged_000002", currency=currency)
        self.assertEqual(first.state, "done")
        self.assertEqual(first.provider_reference, "pi_forged_000001")

    def test_done_transaction_keeps_its_state_and_tells_the_refusal(self):
        currency = self.large_invoice.currency_id.name.lower()
        tx = self._tx(self.large_invoice)
        self._notify(tx, currency=currency)
        self.assertFalse(self._refusals(self.large_invoice))
        self._notify(tx, currency=currency, amount=100, status="canceled")
        self.assertEqual(tx.state, "done")
        self.assertTrue(self._refusals(self.large_invoice), "the refusal is told although the state stays")

    def test_setup_intent_of_another_transaction_is_refused(self):
        validation = self.env["payment.transaction"].sudo().create({
            "provider_id": self.stripe.id, "payment_method_id": self.card_method.id, "amount": 0.0,
            "currency_id": self.large_invoice.currency_id.id, "partner_id": self.customer.id,
            "operation": "validation", "tokenize": True,
        })
        data = {"reference": validation.reference, "setup_intent": {
            "id": "seti_forged_1", "object": "setup_intent", "status": "succeeded",
            "description": "S00099-1", "payment_method": None, "customer": "cus_x"}}
        validation._handle_notification_data("stripe", data)
        validation.invalidate_recordset()
        self.assertNotEqual(validation.state, "done")
        self.assertFalse(validation.token_id)
        self.assertIn("S00099-1", validation.state_message)

    # ------------------------------------------------------------------
    # Catalogue: every mismatch through every route
    # ------------------------------------------------------------------

    def test_intent_swap_catalogue(self):
        """Each forged intent, through the return route, the signed webhook and the transaction,
        must leave the large invoice unpaid."""
        paid = self._tx(self.small_invoice)
        paid_intent = self._intent(paid)
        self._return(paid, paid_intent["id"])
        self.assertEqual(paid.state, "done")
        currency = self.large_invoice.currency_id.name.lower()
        minor = 50000
        variants = {
            "smaller amount": {"amount": 500},
            "larger amount": {"amount": minor * 10},
            "one cent less": {"amount": minor - 1},
            "other currency": {"currency": "jpy" if currency != "jpy" else "eur"},
            "upper-case other currency": {"currency": "JPY" if currency != "jpy" else "EUR"},
            "other reference": {"description": paid.reference},
            "no reference": {"description": None},
            "empty reference": {"description": ""},
            "reference only in metadata, wrong": {"description": None, "metadata": {"reference": paid.reference}},
            "id of a done transaction": {"id": paid_intent["id"]},
        }
        results = []
        for label, change in variants.items():
            for route in ("return", "webhook", "transaction"):
                tx = self._tx(self.large_invoice)
                intent = {**paid_intent, "id": f"pi_forged_{len(results):04d}", "amount": minor, "currency": currency,
                          "description": tx.reference, **change}
                if route == "return":
                    self.fake_stripe.payment_intents[intent["id"]] = intent
                    status = self._return(tx, intent["id"]).status_code
                elif route == "webhook":
                    body, headers = self.fake_stripe.signed_webhook("payment_intent.succeeded", intent)
                    status = self.url_open("/payment/stripe/webhook", data=body, headers=headers).status_code
                else:
                    tx._handle_notification_data("stripe", {"reference": tx.reference, "payment_intent": intent})
                    status = 200
                tx.invalidate_recordset()
                results.append((label, route, status, tx.state))
        accepted = [row for row in results if row[3] in ("done", "authorized")]
        errors = [row for row in results if row[2] >= 500]
        record("stripe intent swap catalogue", inputs=len(results), accepted_bad=len(accepted))
        self.assertFalse(accepted, f"forged intents accepted: {accepted}")
        self.assertFalse(errors, f"server errors: {errors}")
        self.assertEqual(len(results), 30)
        self.large_invoice.invalidate_recordset()
        self.assertNotIn(self.large_invoice.payment_state, PAID)
        self.assertEqual(len(self.fake_stripe.charges), 1)
