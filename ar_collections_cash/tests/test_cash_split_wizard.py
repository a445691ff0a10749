from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.ar_collections.tests.hostile_catalogue import INF, NAN, ArHostileCatalogue

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashSplitWizard(ArCashCommon):
    """Splitting one bank line across invoices by hand, from the exceptions queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv_a = cls._ar_invoice(cls.payer, 300.0, days_overdue=10)
        cls.inv_b = cls._ar_invoice(cls.payer, 250.0, days_overdue=5)

    def _wizard(self, st_line, lines, user=None, **context):
        """The split wizard of ``st_line`` with ``lines`` [(invoice, amount)]."""
        env = self.env(user=user) if user else self.env
        return env["ar.cash.match.split"].with_context(default_statement_line_id=st_line.id, **context).create({
            "line_ids": [Command.create({"move_id": move.id, "amount": amount}) for move, amount in lines],
        })

    def _assert_refused(self, st_line, lines, message):
        wizard = self._wizard(st_line, lines)
        with self.assertRaisesRegex(UserError, message):
            wizard.action_apply()
        self.assertFalse(st_line.is_reconciled)
        self.assertFalse(st_line.ar_match_ids.filtered(lambda m: m.state == "applied"))
        self.assertEqual((self.inv_a.amount_residual, self.inv_b.amount_residual), (300.0, 250.0))

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------
    def test_at_least_one_invoice(self):
        self._assert_refused(self._ar_bank_line(600.0, "PAYMENT"), [], "Add at least one invoice")

    def test_amounts_above_zero(self):
        st_line = self._ar_bank_line(600.0, "PAYMENT")
        self._assert_refused(st_line, [(self.inv_a, 0.0)], "Enter an amount above zero")
        self._assert_refused(st_line, [(self.inv_a, -10.0)], "Enter an amount above zero")
        self._assert_refused(st_line, [(self.inv_a, 0.001)], "Enter an amount above zero")

    def test_nan_and_infinite_amounts_are_refused(self):
        st_line = self._ar_bank_line(600.0, "PAYMENT")
        for amount in (NAN, INF):
            # refused by Odoo's conversion of the value (JSON-RPC only: the web client cannot send them),
            # else by the wizard
            raised = None
            try:
                with self.env.cr.savepoint():
                    self._wizard(st_line, [(self.inv_a, amount)]).action_apply()
            except (UserError, ValueError, OverflowError) as exc:
                raised = exc
            self.assertIsNotNone(raised, amount)
        self.assertFalse(st_line.is_reconciled)

    def test_total_at_most_the_bank_line(self):
        st_line = self._ar_bank_line(500.0, "PAYMENT")
        self._assert_refused(st_line, [(self.inv_a, 300.0), (self.inv_b, 250.0)],
                             r"The invoices get .*550\.00 but the bank line brings .*500\.00")

    def test_no_invoice_twice(self):
        st_line = self._ar_bank_line(600.0, "PAYMENT")
        self._assert_refused(st_line, [(self.inv_a, 100.0), (self.inv_a, 100.0)], "is listed twice")

    def test_not_more_than_left_to_pay(self):
        st_line = self._ar_bank_line(600.0, "PAYMENT")
        self._assert_refused(st_line, [(self.inv_a, 300.01)], "more than is left to pay")

    def test_invoice_of_another_company(self):
        company_b = self.setup_other_company()["company"]
        invoice_b = self._ar_invoice(self.payer, 300.0, days_overdue=3, company=company_b)
        st_line = self._ar_bank_line(600.0, "PAYMENT")
        self._assert_refused(st_line, [(invoice_b, 300.0)], "is not an invoice of .*the company of the bank line")
        self.assertEqual(invoice_b.amount_residual, 300.0)

    def test_only_open_customer_invoices(self):
        self._ar_wrong_kind_documents()
        st_line = self._ar_bank_line(600.0, "PAYMENT")
        for document in (self.vendor_bill, self.refund, self.draft_invoice, self.cancelled_invoice,
                         self.paid_invoice):
            self._assert_refused(st_line, [(document, 50.0)], "is not an open customer invoice")

    def test_line_already_matched_or_outgoing(self):
        outgoing = self._ar_bank_line(-600.0, "BANK FEES")
        self._assert_refused(outgoing, [(self.inv_a, 300.0)], "already matched or is not an incoming payment")
        st_line = self._ar_bank_line(300.0, "PAYMENT")
        self._wizard(st_line, [(self.inv_a, 300.0)]).action_apply()
        with self.assertRaisesRegex(UserError, "already matched"):
            self._wizard(st_line, [(self.inv_b, 250.0)]).action_apply()
        self.assertEqual(self.inv_b.amount_residual, 250.0)

    # ------------------------------------------------------------------
    # Applying
    # ------------------------------------------------------------------
    def test_split_across_invoices_leaves_the_rest_as_credit(self):
        st_line = self._ar_bank_line(600.0, "PAYMENT NORTHWIND", partner=self.payer)
        wizard = self._wizard(st_line, [(self.inv_a, 300.0), (self.inv_b, 200.0)], user=self.user_collector)
        self.assertEqual((wizard.amount, wizard.allocated_amount, wizard.remainder), (600.0, 500.0, 100.0))
        self.assertEqual(wizard.action_apply(), {"type": "ir.actions.act_window_close"})
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(st_line.ar_match_status, "matched")
        self.assertIn(self.inv_a.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.inv_a.amount_residual, 0.0)
        self.assertEqual(self.inv_b.amount_residual, 50.0, "short paid: the rest stays open")
        match = self._ar_applied(st_line)
        self.assertRecordValues(match, [{
            "rule": "manual", "confidence": 100, "applied_auto": False, "applied_by_id": self.user_collector.id,
            "partner_id": self.payer.id, "difference_kind": "overpayment", "difference_amount": 100.0,
        }])
        self.assertEqual(match.line_ids.mapped("amount"), [300.0, 200.0])

    def test_queue_button_opens_the_wizard_on_the_line(self):
        st_line = self._ar_bank_line(550.0, "PAYMENT")
        action = st_line.action_ar_open_split()
        self.assertEqual(action["res_model"], "ar.cash.match.split")
        wizard = self.env["ar.cash.match.split"].with_context(**action["context"]).create({})
        self.assertEqual(wizard.statement_line_id, st_line)
        self.assertEqual((wizard.amount, wizard.remainder), (550.0, 550.0))

    def test_suggestion_prefills_the_split(self):
        st_line = self._ar_bank_line(550.0, "NORTHWIND TRADERS")
        self._ar_match(st_line)
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertTrue(suggestion, "a suggestion to adjust")
        wizard = self.env["ar.cash.match.split"].with_context(
            default_statement_line_id=st_line.id, default_match_id=suggestion.id).create({})
        self.assertEqual(wizard.line_ids.move_id, suggestion.line_ids.move_id)
        self.assertEqual(wizard.line_ids.mapped("amount"), suggestion.line_ids.mapped("amount"))
        # the suggestion of another bank line is not copied
        other_line = self._ar_bank_line(550.0, "OTHER")
        wizard = self.env["ar.cash.match.split"].with_context(
            default_statement_line_id=other_line.id, default_match_id=suggestion.id).create({})
        self.assertFalse(wizard.line_ids)

    def test_choosing_an_invoice_proposes_what_is_left(self):
        st_line = self._ar_bank_line(400.0, "PAYMENT")
        form = Form(self.env["ar.cash.match.split"].with_context(default_statement_line_id=st_line.id))
        with form.line_ids.new() as line:
            line.move_id = self.inv_a
            self.assertEqual(line.amount, 300.0, "the invoice's residual")
        with form.line_ids.new() as line:
            line.move_id = self.inv_b
            self.assertEqual(line.amount, 100.0, "what is left of the bank line")
        self.assertEqual(form.remainder, 0.0)
        wizard = form.save()
        wizard.action_apply()
        self.assertEqual(self.inv_b.amount_residual, 150.0)

    def test_foreign_currency_line(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": self.company.id,
                                              "name": self.today, "rate": 0.5})
        inv_eur = self._ar_invoice(self.payer, 200.0, days_overdue=2, currency=eur)
        st_line = self._ar_bank_line(400.0, "EUR PAYMENT", foreign_currency_id=eur.id, amount_currency=200.0)
        wizard = self._wizard(st_line, [(inv_eur, 200.0)])
        self.assertEqual((wizard.currency_id, wizard.amount), (eur, 200.0), "in the transaction's currency")
        wizard.action_apply()
        self.assertEqual(inv_eur.amount_residual, 0.0)


def split(*lines, line="st_line", user="user_collector"):
    """Send, as ``user``, the split of the bank line ``line`` as [(invoice, amount)] (attributes of the test)."""
    return lambda t: t._send(getattr(t, line), [(getattr(t, name), amount) for name, amount in lines],
                             getattr(t, user))


# (label, what is sent, error class, message)
SPLIT_CASES = [
    ("amount NaN", split(("inv_a", NAN)), ValueError, "cannot convert float NaN"),
    ("amount infinite", split(("inv_a", INF)), OverflowError, "cannot convert float infinity"),
    ("amount negative", split(("inv_a", -100.0)), UserError, "Enter an amount above zero"),
    ("amount zero", split(("inv_a", 0.0)), UserError, "Enter an amount above zero"),
    ("amount below the currency's rounding", split(("inv_a", 0.004)), UserError, "Enter an amount above zero"),
    ("no invoice", split(), UserError, "Add at least one invoice"),
    ("more than the bank line brings", split(("inv_a", 300.0), ("inv_b", 250.0), ("inv_c", 100.0)), UserError,
     "but the bank line brings"),
    ("more than left to pay on the invoice", split(("inv_a", 1e9)), UserError, "more than is left to pay"),
    ("same invoice twice", split(("inv_a", 100.0), ("inv_a", 100.0)), UserError, "is listed twice"),
    ("invoice of a company the collector is not in", split(("invoice_b", 100.0)), AccessError, "'read' access"),
    ("invoice of the collector's other company", split(("invoice_b", 100.0), user="collector_ab"), UserError,
     "is not an invoice of"),
    ("vendor bill", split(("vendor_bill", 50.0)), UserError, "is not an open customer invoice"),
    ("credit note", split(("refund", 50.0)), UserError, "is not an open customer invoice"),
    ("draft invoice", split(("draft_invoice", 50.0)), UserError, "is not an open customer invoice"),
    ("cancelled invoice", split(("cancelled_invoice", 50.0)), UserError, "is not an open customer invoice"),
    ("paid invoice", split(("paid_invoice", 50.0)), UserError, "is not an open customer invoice"),
    ("outgoing bank line", split(("inv_a", 50.0), line="outgoing"), UserError, "not an incoming payment"),
    ("bank line already matched", split(("inv_a", 50.0), line="matched_line"), UserError, "already matched"),
]
HOSTILE_CASES = [f"split wizard: {label}" for label, *_rest in SPLIT_CASES]
RESULTS = []


@tagged("post_install", "-at_install")
class TestCashSplitWizardHostile(ArHostileCatalogue, ArCashCommon):
    """The hostile-input catalogue of the manual split: each split is refused with a clear error
    and reconciles nothing."""

    catalogue_source = "back-office hostile input: split wizard"
    catalogue_results = RESULTS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._ar_wrong_kind_documents()
        cls.inv_a = cls._ar_invoice(cls.payer, 300.0, days_overdue=10)
        cls.inv_b = cls._ar_invoice(cls.payer, 250.0, days_overdue=5)
        cls.inv_c = cls._ar_invoice(cls.payer, 100.0, days_overdue=2)
        company_b = cls.setup_other_company(name="AR Split B")["company"]
        cls.collector_ab = new_test_user(
            cls.env, "ar_split_collector_ab", groups="base.group_user,ar_collections.group_ar_collections_user",
            company_id=cls.company.id, company_ids=[Command.set((cls.company | company_b).ids)])
        cls.invoice_b = cls._ar_invoice(cls.payer, 640.0, days_overdue=3, company=company_b)
        cls.st_line = cls._ar_bank_line(600.0, "PAYMENT")
        cls.outgoing = cls._ar_bank_line(-600.0, "SUPPLIER")
        cls.matched_line = cls._ar_bank_line(100.0, "PAYMENT")
        cls.env["ar.cash.match"]._ar_create_manual(cls.matched_line, [(cls.inv_c, 100.0)])
        cls.inv_c = cls._ar_invoice(cls.payer, 100.0, days_overdue=2)

    def _read_counts(self, env):
        lines = env["account.bank.statement.line"].search([])
        return {
            "bank lines": [(line.id, line.is_reconciled, line.ar_match_status) for line in lines],
            "matches": [(m.id, m.state) for m in env["ar.cash.match"].search([])],
            "invoices": [(m.id, m.amount_residual, m.payment_state)
                         for m in env["account.move"].search([("move_type", "=", "out_invoice")])],
        }

    def _send(self, st_line, lines, user):
        wizard = self.env["ar.cash.match.split"].with_user(user).with_context(
            default_statement_line_id=st_line.id).create({
                "line_ids": [Command.create({"move_id": move.id, "amount": amount}) for move, amount in lines]})
        return wizard.action_apply()

    def test_hostile_splits(self):
        for label, send, error, message in SPLIT_CASES:
            self._attack(f"split wizard: {label}", lambda send=send: send(self), error, message)
        self._assert_no_failures()

    def test_zz_catalogue_is_complete(self):
        """Every case of HOSTILE_CASES was tried by the tests above (named to run last)."""
        self._assert_catalogue_complete(HOSTILE_CASES)
