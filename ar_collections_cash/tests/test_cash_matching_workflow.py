from pathlib import Path
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.module import get_module_path
from odoo.tests import tagged

from .common import ArCashCommon


@tagged("post_install", "-at_install")
class TestCashMatchingWorkflow(ArCashCommon):
    """The exceptions queue, disputes, reversal, the scheduled action and the dunning pause."""

    def _ar_dispute(self, invoice):
        return self.env["ar.dispute"].create({
            "partner_id": invoice.partner_id.id, "invoice_ids": [(6, 0, invoice.ids)], "reason": "pricing",
        })

    def test_disputed_invoice_is_never_applied_without_a_manager(self):
        invoice = self._ar_invoice(self.payer, 510.0, days_overdue=5)
        self._ar_dispute(invoice)
        st_line = self._ar_bank_line(510.0, invoice.name)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled, "an exact reference does not override the dispute")
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertTrue(suggestion.needs_manager)
        self.assertTrue(suggestion.line_ids.disputed)
        with self.assertRaises(AccessError):
            suggestion.with_user(self.user_collector).action_accept()
        self.assertFalse(st_line.is_reconciled)
        suggestion.with_user(self.user_ar_manager).action_accept()
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(suggestion.applied_by_id, self.user_ar_manager)

    def test_dispute_opened_after_the_suggestion_still_needs_a_manager(self):
        invoice = self._ar_invoice(self.payer, 512.0, days_overdue=5)
        st_line = self._ar_bank_line(300.0, invoice.name)  # short by a lot: suggested only
        self._ar_match(st_line)
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertFalse(suggestion.needs_manager)
        self._ar_dispute(invoice)
        with self.assertRaises(AccessError):
            suggestion.with_user(self.user_collector).action_accept()

    def test_collector_accepts_a_suggestion_and_the_others_are_superseded(self):
        first = self._ar_invoice(self.payer, 250.0, days_overdue=8)
        second = self._ar_invoice(self.payer, 250.0, days_overdue=3)
        st_line = self._ar_bank_line(250.0, "PAYMENT", account_number=self.payer_bank.acc_number)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled, "two invoices of that amount")
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertEqual(suggestion.invoice_ids, first, "the oldest first")
        suggestion.with_user(self.user_collector).action_accept()
        self.assertRecordValues(suggestion, [{"state": "applied", "applied_auto": False,
                                              "applied_by_id": self.user_collector.id}])
        self.assertFalse(st_line.ar_suggestion_ids)
        self.assertEqual(st_line.ar_match_status, "matched")
        self.assertEqual(second.amount_residual, 250.0)
        with self.assertRaises(UserError):
            suggestion.action_accept()

    def test_accepted_match_teaches_the_payers_bank_account(self):
        invoice = self._ar_invoice(self.payer, 333.0, days_overdue=2)
        st_line = self._ar_bank_line(333.0, "NORTHWIND TRADERS", account_number="GB29 NWBK 6016 1331 9268 19")
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled, "by name only")
        st_line.ar_suggestion_ids[:1].with_user(self.user_collector).action_accept()
        self.assertIn("GB29NWBK60161331926819", self.payer.bank_ids.mapped("sanitized_acc_number"))
        # the next payment from that account is recognised without the name
        second = self._ar_invoice(self.payer, 444.0, days_overdue=1)
        next_line = self._ar_bank_line(444.0, "TRF", account_number="GB29NWBK60161331926819")
        self._ar_match(next_line)
        self.assertEqual(self._ar_applied(next_line).invoice_ids, second)
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_suggestion_for_an_invoice_paid_meanwhile_is_refused_not_forced(self):
        invoice = self._ar_invoice(self.payer, 333.0, days_overdue=2)
        st_line = self._ar_bank_line(333.0, "NORTHWIND TRADERS")
        self._ar_match(st_line)
        suggestion = st_line.ar_suggestion_ids[:1]
        self._ar_pay(invoice, 333.0)
        with self.assertRaisesRegex(UserError, "nothing left to pay"):
            suggestion.action_accept()
        # the scheduled path keeps the batch going and tells why
        self.assertFalse(suggestion._ar_apply(auto=True, skip_errors=True))
        self.assertEqual(suggestion.state, "proposed")
        self.assertIn("nothing left to pay", suggestion.signals)
        self.assertFalse(st_line.is_reconciled)

    def test_rejected_suggestion_is_not_proposed_again(self):
        invoice = self._ar_invoice(self.payer, 333.0, days_overdue=2)
        st_line = self._ar_bank_line(333.0, "NORTHWIND TRADERS")
        self._ar_match(st_line)
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertEqual(suggestion.invoice_ids, invoice)
        suggestion.with_user(self.user_collector).action_reject()
        st_line.with_user(self.user_collector).action_ar_match_again()
        self.assertNotIn(invoice, st_line.ar_suggestion_ids.invoice_ids)

    def test_manual_split(self):
        first = self._ar_invoice(self.payer, 300.0, days_overdue=8)
        second = self._ar_invoice(self.payer, 500.0, days_overdue=3)
        st_line = self._ar_bank_line(700.0, "ACME MULTI PAYMENT")
        match = self.env["ar.cash.match"].with_user(self.user_collector)._ar_create_manual(
            st_line, [(first, 300.0), (second, 350.0)])
        self.assertRecordValues(match, [{"rule": "manual", "state": "applied", "difference_kind": "overpayment",
                                         "difference_amount": 50.0}])
        self.assertEqual(first.amount_residual, 0.0)
        self.assertEqual(second.amount_residual, 150.0)
        self.assertTrue(st_line.is_reconciled)
        with self.assertRaises(UserError):
            self.env["ar.cash.match"]._ar_create_manual(st_line, [(second, 10.0)])

    def test_journal_items_log_is_the_one_odoo_writes(self):
        """The matcher writes the log of the journal items it creates and deletes on the bank entry
        in one go: the same messages as Odoo writes item by item (body, type, subtype, author,
        tracked values)."""
        invoice = self._ar_invoice(self.payer, 420.0, days_overdue=3)
        st_line = self._ar_bank_line(420.0, invoice.name, account_number=self.payer_bank.acc_number)
        suspense = st_line._seek_for_lines()[1]
        # the test classes disable tracking, the log with it: both logs written here as in production
        st_line.with_context(tracking_disable=False)._ar_cash_match()
        item = self._ar_applied(st_line).counterpart_line_ids
        self.assertEqual(len(item), 1)
        ours = {kind: st_line.move_id.message_ids.filtered(lambda m, i=line_id: f">#{i}<" in m.body)
                for kind, line_id in (("created", item.id), ("deleted", suspense.id))}
        # Odoo's own log: the same item created and the suspense item deleted on another bank entry
        other = self._ar_bank_line(420.0, invoice.name, account_number=self.payer_bank.acc_number)
        other_suspense = other._seek_for_lines()[1]
        Line = self.env["account.move.line"].with_context(
            check_move_validity=False, skip_account_move_synchronization=True, force_delete=True,
            tracking_disable=False)
        odoo_item = Line.create({
            "move_id": other.move_id.id, "name": item.name, "account_id": item.account_id.id,
            "partner_id": item.partner_id.id, "currency_id": item.currency_id.id,
            "amount_currency": item.amount_currency, "balance": item.balance})
        other_suspense_id = other_suspense.id
        other_suspense.with_context(force_delete=True, check_move_validity=False, tracking_disable=False).unlink()
        odoo = {kind: other.move_id.message_ids.filtered(lambda m, i=line_id: f">#{i}<" in m.body)
                for kind, line_id in (("created", odoo_item.id), ("deleted", other_suspense_id))}

        def shape(message, line_id):
            return (str(message.body).replace(str(line_id), "ID"), message.message_type, message.subtype_id,
                    message.author_id, message.is_internal,
                    sorted((t.field_id.name, t.old_value_char or "", t.new_value_char or "", t.old_value_float,
                            t.new_value_float, t.old_value_integer, t.new_value_integer)
                           for t in message.tracking_value_ids))

        for kind, ids in (("created", (item.id, odoo_item.id)), ("deleted", (suspense.id, other_suspense_id))):
            self.assertEqual(len(ours[kind]), 1, kind)
            self.assertTrue(ours[kind].tracking_value_ids, kind)
            self.assertEqual(shape(ours[kind], ids[0]), shape(odoo[kind], ids[1]), kind)

    def test_journal_items_log_of_a_batch_is_written_at_once(self):
        """Item by item, Odoo writes a message per journal item created or deleted (about 40 ms
        each): the batch's are written in one create."""
        invoices = [self._ar_invoice(self.payer, 310.0 + n, days_overdue=3) for n in range(3)]
        lines = self.env["account.bank.statement.line"].concat(*[
            self._ar_bank_line(inv.amount_total, inv.name, account_number=self.payer_bank.acc_number)
            for inv in invoices])
        Move = self.env.registry["account.move"]
        calls = []
        original = Move._message_create

        def message_create(records, values_list):
            calls.append(len([v for v in values_list if "Journal Item" in str(v.get("body"))]))
            return original(records, values_list)

        with patch.object(Move, "_message_create", message_create):
            lines.with_context(tracking_disable=False)._ar_cash_match()
        self.assertTrue(all(lines.mapped("is_reconciled")))
        self.assertEqual([n for n in calls if n], [6], "3 items created and 3 deleted, in one create")

    def test_manual_split_refuses_more_than_received(self):
        invoice = self._ar_invoice(self.payer, 300.0, days_overdue=8)
        st_line = self._ar_bank_line(100.0, "PART")
        with self.assertRaises(UserError):
            self.env["ar.cash.match"]._ar_create_manual(st_line, [(invoice, 150.0)])
        self.assertFalse(st_line.is_reconciled)
        self.assertFalse(st_line.ar_match_ids)

    def test_manager_reverses_an_automatic_match(self):
        invoice = self._ar_invoice(self.payer, 420.0, days_overdue=3)
        st_line = self._ar_bank_line(420.0, invoice.name)
        self._ar_match(st_line)
        match = self._ar_applied(st_line)
        with self.assertRaises(AccessError):
            match.with_user(self.user_collector).action_reverse()
        match.with_user(self.user_ar_manager).action_reverse()
        self.assertRecordValues(match, [{"state": "reversed", "reversed_by_id": self.user_ar_manager.id}])
        self.assertFalse(st_line.is_reconciled)
        self.assertEqual(st_line.ar_match_status, "queued")
        self.assertEqual(invoice.amount_residual, 420.0)
        self.assertEqual(invoice.payment_state, "not_paid")
        # the scheduled matcher does not apply the same thing again
        self.env["account.bank.statement.line"]._cron_ar_cash_match()
        self.assertFalse(st_line.is_reconciled)
        st_line.action_ar_match_again()
        self.assertFalse(st_line.is_reconciled, "a reversed match is not proposed again")

    def test_scheduled_matcher_batches_and_never_applies_twice(self):
        invoices = [self._ar_invoice(self.payer, 100.0 + i, days_overdue=i) for i in range(3)]
        lines = [self._ar_bank_line(inv.amount_total, inv.name) for inv in invoices]
        Line = self.env["account.bank.statement.line"]
        pending = Line.search([("ar_match_status", "in", ("pending", False)), ("amount", ">", 0),
                               ("is_reconciled", "=", False)])
        self.assertGreaterEqual(len(pending), 3)
        first = Line._cron_ar_cash_match(batch_size=2)
        self.assertEqual(first["done"], 2)
        self.assertEqual(first["remaining"], len(pending) - 2)
        for _guard in range(20):
            if not Line._cron_ar_cash_match(batch_size=2)["remaining"]:
                break
        for st_line, invoice in zip(lines, invoices, strict=True):
            self.assertEqual(len(self._ar_applied(st_line)), 1)
            self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(Line._cron_ar_cash_match()["done"], 0)
        self.assertEqual(len(self.env["ar.cash.match"].search([("statement_line_id", "in", [s.id for s in lines]),
                                                              ("state", "=", "applied")])), 3)

    def test_new_bank_lines_start_both_matching_jobs(self):
        """Two scheduled jobs match side by side (each claims its own lines); a new incoming
        line triggers both, an archived one is left alone."""
        first = self.env.ref("ar_collections_cash.ir_cron_ar_cash_match")
        second = self.env.ref("ar_collections_cash.ir_cron_ar_cash_match_2")
        Trigger = self.env["ir.cron.trigger"]
        Trigger.search([]).unlink()
        self._ar_bank_line(120.0, "INV/2099/00001")
        self.assertEqual(Trigger.search([]).cron_id, first | second)
        Trigger.search([]).unlink()
        second.active = False
        self._ar_bank_line(130.0, "INV/2099/00002")
        self.assertEqual(Trigger.search([]).cron_id, first)
        Trigger.search([]).unlink()
        # the first one archived: the matcher is off, the second job does nothing either
        first.active, second.active = False, True
        self._ar_bank_line(140.0, "INV/2099/00003")
        self.assertFalse(Trigger.search([]))
        Line = self.env["account.bank.statement.line"]
        self.assertEqual(Line._cron_ar_cash_match_second(), {"done": 0, "remaining": 0})
        first.active = True
        self.assertEqual(Line._cron_ar_cash_match_second(batch_size=1)["done"], 1)

    def test_second_job_follows_the_first_on_install_and_upgrade(self):
        """An admin who had switched the matcher off (or slowed it) before the second job came
        keeps it so: the second job takes the first one's state and schedule."""
        first = self.env.ref("ar_collections_cash.ir_cron_ar_cash_match")
        second = self.env.ref("ar_collections_cash.ir_cron_ar_cash_match_2")
        first.write({"active": False, "interval_number": 3, "interval_type": "hours"})
        self.env["account.bank.statement.line"]._ar_cash_second_worker_follows()
        self.assertEqual((second.active, second.interval_number, second.interval_type, second.nextcall),
                         (False, 3, "hours", first.nextcall))

    def test_one_match_the_ledger_refuses_does_not_stop_the_batch(self):
        good, bad = (self._ar_invoice(self.payer, amount, days_overdue=3) for amount in (210.0, 220.0))
        good_line, bad_line = self._ar_bank_line(210.0, good.name), self._ar_bank_line(220.0, bad.name)
        Match = type(self.env["ar.cash.match"])
        original = Match._ar_counterpart_vals

        def unbalanced(match):
            vals_list, suspense, pairs = original(match)
            if match.statement_line_id == bad_line:
                vals_list[0]["balance"] -= 1.0  # as if a conversion went wrong
                vals_list[0]["amount_currency"] -= 1.0
            return vals_list, suspense, pairs

        with patch.object(Match, "_ar_counterpart_vals", unbalanced):
            stats = self._ar_match(good_line, bad_line)
        self.assertEqual(stats["applied"], 1)
        self.assertTrue(good_line.is_reconciled)
        self.assertFalse(bad_line.is_reconciled)
        self.assertEqual(bad_line.ar_match_status, "queued")
        self.assertIn("not balanced", bad_line.ar_match_ids.signals)
        self.assertEqual(bad.amount_residual, 220.0)

    def test_later_lines_of_a_batch_see_what_earlier_ones_paid(self):
        invoice = self._ar_invoice(self.payer, 700.0, days_overdue=3)
        first = self._ar_bank_line(700.0, invoice.name)
        second = self._ar_bank_line(700.0, invoice.name)
        self._ar_match(first, second)
        self.assertTrue(first.is_reconciled)
        self.assertFalse(second.is_reconciled, "the invoice is paid: the second payment is not applied to it")

    def test_dunning_pauses_invoices_being_matched(self):
        invoice = self._ar_invoice(self.payer, 333.0, days_overdue=20)
        st_line = self._ar_bank_line(333.0, "NORTHWIND TRADERS")
        self._ar_match(st_line)
        suggestion = st_line.ar_suggestion_ids[:1]
        self.assertGreaterEqual(suggestion.confidence, self.company.ar_cash_pause_confidence)
        self.assertIn("Payment received, being matched", invoice._ar_get_pause_reasons().get(invoice.id, ""))
        self._ar_run()
        self.assertFalse(self._ar_logs(invoice), "no reminder for an invoice whose payment is on the bank line")
        # a weak guess does not stop the chase
        self.company.ar_cash_pause_confidence = suggestion.confidence + 1
        self.assertNotIn(invoice.id, invoice._ar_get_pause_reasons())
        # nor does a rejected one
        self.company.ar_cash_pause_confidence = 70
        suggestion.action_reject()
        self.assertNotIn(invoice.id, invoice._ar_get_pause_reasons())

    def test_pause_comes_from_this_add_on_through_the_engine_hook(self):
        sources = self.env["ar.dunning.engine"]._get_pause_sources()
        names = [source._name for source in sources]
        self.assertIn("ar.cash.match", names)
        self.assertGreater(names.index("ar.cash.match"), names.index("ar.payment.plan"),
                           "a payment being matched is shown after disputes, promises and plans")
        self.assertEqual(self.env["ar.cash.match"]._original_module, "ar_collections_cash")
        self.assertEqual(self.env["ir.model"]._get("ar.cash.match").modules, "ar_collections_cash")
        # ar_collections works without this add-on: none of its code names a cash model
        root = Path(get_module_path("ar_collections"))
        for path in [*root.rglob("*.py"), *root.rglob("*.xml"), *root.rglob("*.csv")]:
            if {"tests", "migrations"}.isdisjoint(path.relative_to(root).parts):
                source = path.read_text()
                for name in ("ar.cash.match", "ar.remittance", "ar_cash_match", "ar_remittance", "ar_match_status",
                             "ar_cash_auto"):
                    self.assertFalse(name in source, f"{path.relative_to(root)} names {name}")

    def test_settings_are_validated(self):
        for vals in ({"ar_cash_auto_confidence": 0}, {"ar_cash_auto_confidence": 101},
                     {"ar_cash_pause_confidence": 95, "ar_cash_auto_confidence": 90},
                     {"ar_cash_short_tolerance": -1}, {"ar_cash_short_tolerance": 80},
                     {"ar_cash_search_ms": 0}, {"ar_cash_short_tolerance_max": -5},
                     {"ar_cash_writeoff_account_id": self.company_data["default_account_receivable"].id}):
            with self.subTest(vals=vals), self.assertRaises(ValidationError), self.cr.savepoint():
                self.company.write(vals)
                self.company.flush_recordset()


@tagged("post_install", "-at_install")
class TestCashMatchingMultiCompany(ArCashCommon):
    """Matching never crosses companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company()["company"]
        cls.bank_b = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.company_b.id)], limit=1)

    def test_reference_to_an_invoice_of_another_company_is_ignored(self):
        invoice_b = self._ar_invoice(self.payer, 640.0, days_overdue=3, company=self.company_b)
        st_line = self._ar_bank_line(640.0, invoice_b.name)
        self._ar_match(st_line)
        self.assertFalse(st_line.is_reconciled)
        self.assertNotIn(invoice_b, st_line.ar_match_ids.invoice_ids)
        self.assertEqual(invoice_b.amount_residual, 640.0)

    def test_each_company_matches_its_own_lines(self):
        invoice_a = self._ar_invoice(self.payer, 640.0, days_overdue=3)
        invoice_b = self._ar_invoice(self.payer, 640.0, days_overdue=3, company=self.company_b)
        line_a = self._ar_bank_line(640.0, "PAYMENT", account_number=self.payer_bank.acc_number)
        line_b = self._ar_bank_line(640.0, "PAYMENT", account_number=self.payer_bank.acc_number, journal=self.bank_b)
        self._ar_match(line_a, line_b)
        self.assertEqual(self._ar_applied(line_a).invoice_ids, invoice_a)
        self.assertEqual(self._ar_applied(line_b).invoice_ids, invoice_b)
        self.assertEqual(self._ar_applied(line_b).company_id, self.company_b)

    def test_manual_split_refuses_an_invoice_of_another_company(self):
        invoice_b = self._ar_invoice(self.payer, 640.0, days_overdue=3, company=self.company_b)
        st_line = self._ar_bank_line(640.0, "PAYMENT")
        with self.assertRaises(UserError):
            self.env["ar.cash.match"]._ar_create_manual(st_line, [(invoice_b, 640.0)])
        self.assertEqual(invoice_b.amount_residual, 640.0)
        self.assertFalse(st_line.is_reconciled)
