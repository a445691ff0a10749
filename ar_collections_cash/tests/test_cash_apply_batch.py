import re
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from ..models.ar_cash_match import ArCashMatch
from .common import ArCashCommon

# as a scheduled call runs: tracking and the chatter's log on (the test classes switch them off)
PRODUCTION_CONTEXT = {"tracking_disable": False, "mail_notrack": False, "mail_create_nolog": False,
                      "mail_create_nosubscribe": False}
NEW_ID = re.compile(r'(#|data-oe-id="?)\d+')


@tagged("post_install", "-at_install")
class TestCashApplyBatch(ArCashCommon):
    """A batch of bank lines applied at once leaves the ledger as applying them one by one does:
    the same journal items, reconciliations, payment states and chatter messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_account = cls._ar_fee_account()
        cls.company.write({"ar_cash_fee_account_id": cls.fee_account.id, "ar_cash_fee_tolerance": 15.0})
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.env["res.currency.rate"].create({"currency_id": cls.eur.id, "company_id": cls.company.id,
                                             "name": cls.today - timedelta(days=60), "rate": 0.9})
        terms = cls.env["account.payment.term"].create({
            "name": "2/10 net 30", "early_discount": True, "discount_percentage": 2.0, "discount_days": 10,
            "early_pay_discount_computation": "excluded",
            "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })
        exact, partial, first, second, over, fee, twice, in_company = cls._ar_invoices([
            (cls.payer, amount, 5) for amount in (420.0, 1000.0, 110.0, 230.0, 400.0, 1500.0, 800.0, 1000.0)])
        in_eur, eur_b, eur_same = (cls._ar_invoice(cls.payer, amount, days_overdue=3, currency=cls.eur)
                                   for amount in (900.0, 450.0, 360.0))
        discounted = cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": cls.payer.id, "invoice_date": cls.today - timedelta(days=3),
            "invoice_payment_term_id": terms.id,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 500.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        discounted.action_post()
        cls.invoices = (exact | partial | first | second | over | fee | twice | in_company | in_eur | discounted
                        | eur_b | eur_same)
        # somebody follows the invoices' payment: the "paid" message notifies them
        cls.invoices.message_subscribe(cls.user_collector.partner_id.ids,
                                       subtype_ids=cls.env.ref("account.mt_invoice_paid").ids)
        account = cls.payer_bank.acc_number
        specs = [
            (420.0, exact.name, {}),
            (600.0, partial.name, {}),  # partial payment, the rest left open
            (340.0, f"{first.name} {second.name}", {}),
            (450.0, over.name, {}),  # overpayment: customer credit
            (1488.5, f"EREF+{fee.name} SVWZ+{fee.name}", {}),  # less the bank's fee
            (300.0, twice.name, {}),  # two payments of one invoice in the same batch
            (500.0, twice.name, {}),
            (1003.0, in_company.name, {"foreign_currency_id": cls.eur.id, "amount_currency": 900.0}),
            (1003.5, in_eur.name, {"foreign_currency_id": cls.eur.id, "amount_currency": 900.0}),
            (490.0, discounted.name, {}),  # early-payment discount
            (12.34, "UNKNOWN", {}),  # queued
            # two more payments in euros, one at another rate than the invoice's, one at its rate
            # (no exchange difference): reconciled together, as their partials come in that order
            (502.0, eur_b.name, {"foreign_currency_id": cls.eur.id, "amount_currency": 450.0}),
            (400.0, eur_same.name, {"foreign_currency_id": cls.eur.id, "amount_currency": 360.0}),
        ]
        cls.st_lines = cls.env["account.bank.statement.line"].concat(*[
            cls._ar_bank_line(amount, label, account_number=account, **vals) for amount, label, vals in specs])

    def _ar_commit(self):
        """What a commit does before it commits: pending writes and the tracking messages."""
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.invalidate_all()

    def _ar_ledger(self, first_message_id):
        """The bank lines' and invoices' ledger and chatter, new records' ids left out."""
        moves = self.st_lines.move_id | self.invoices
        items = moves.line_ids

        def item(line):
            # an exchange difference entry is new: known by its journal
            move = str(line.move_id.id) if line.move_id in moves else line.move_id.journal_id.code
            return (move, line.account_id.code, line.partner_id.id, line.currency_id.id, line.balance,
                    line.amount_currency, line.name, line.reconciled, line.amount_residual,
                    line.amount_residual_currency)

        def parent(message):
            # a parent written by the run itself (the first message of its entry) is known by its text
            return message.id if message.id < first_message_id else NEW_ID.sub(r"\1N", str(message.body))

        partials = (items.matched_debit_ids | items.matched_credit_ids)
        messages = self.env["mail.message"].search([
            ("model", "=", "account.move"), ("res_id", "in", moves.ids), ("id", ">=", first_message_id)])
        return {
            "items": sorted(item(line) for line in items),
            "partials": sorted((item(p.debit_move_id), item(p.credit_move_id), p.amount, p.debit_amount_currency,
                                p.credit_amount_currency, bool(p.full_reconcile_id),
                                sorted(item(line) for line in p.exchange_move_id.line_ids)) for p in partials),
            "full": sorted(sorted(item(line) for line in full.reconciled_line_ids)
                           for full in items.full_reconcile_id),
            "invoices": [(inv.payment_state, inv.amount_residual) for inv in self.invoices],
            "lines": [(line.is_reconciled, line.ar_match_status, line.ar_best_confidence,
                       sorted((m.state, m.rule, m.difference_kind, m.applied_auto, m.rank, m.confidence)
                              for m in line.ar_match_ids)) for line in self.st_lines],
            "messages": sorted((msg.model, msg.res_id, NEW_ID.sub(r"\1N", str(msg.body)), msg.message_type,
                                msg.subtype_id.id, msg.author_id.id, msg.is_internal, parent(msg.parent_id),
                                msg.record_name or "", msg.reply_to or "", msg.email_from or "",
                                msg.record_alias_domain_id.id, msg.record_company_id.id, msg.email_add_signature,
                                msg.subject or "", sorted(msg.partner_ids.ids), sorted(msg.attachment_ids.ids),
                                sorted(msg.notification_ids.res_partner_id.ids),
                                sorted((t.field_id.name, t.old_value_char or "", t.new_value_char or "",
                                        t.old_value_float, t.new_value_float, t.old_value_integer,
                                        t.new_value_integer) for t in msg.tracking_value_ids))
                               for msg in messages),
        }

    def _ar_batch_and_one_by_one(self, lines):
        """The ledger left by matching ``lines`` as one batch, then (from the same start) one by
        one; and the answers of the check of exchange difference entries in the batch."""
        first_message_id = self.env["mail.message"].search([], order="id desc", limit=1).id + 1
        lines = lines.with_context(**PRODUCTION_CONTEXT)
        checked = []
        check = ArCashMatch._ar_exchange_on_own_partials

        def spy(match_self, plans):
            checked.append(check(match_self, plans))
            return checked[-1]

        with self.env.cr.savepoint() as savepoint:
            with patch.object(ArCashMatch, "_ar_exchange_on_own_partials", spy):
                stats = lines._ar_cash_match()
            self._ar_commit()
            batch = self._ar_ledger(first_message_id)
            savepoint.close(rollback=True)
        self.env.invalidate_all()
        self.assertEqual(stats, {"lines": 13, "applied": 12, "queued": 1})
        for line in lines:
            line._ar_cash_match()
            self._ar_commit()
        return batch, self._ar_ledger(first_message_id), checked

    def test_exchange_entries_of_a_batch_on_their_own_partials(self):
        """Paid at the invoice's rate first (no exchange difference), then at other rates: 18.0's
        reconciliation of the plans together would put the entries on the wrong partials; the
        check sees it and they are reconciled one by one, the ledger as one by one."""
        eur_lines = self.st_lines.filtered("foreign_currency_id").sorted(lambda line: -line.amount_currency)
        same_rate = self.st_lines[-1]
        lines = self.st_lines - eur_lines + same_rate + (eur_lines - same_rate)
        batch, one_by_one, checked = self._ar_batch_and_one_by_one(lines)
        self.assertEqual(checked, [False])
        for key, value in one_by_one.items():
            self.assertEqual(batch[key], value, key)

    def test_batch_makes_the_ledger_of_one_by_one(self):
        batch, one_by_one, checked = self._ar_batch_and_one_by_one(self.st_lines)
        self.assertEqual(checked, [True], "the payments in euros reconciled together")
        for key, value in one_by_one.items():
            self.assertEqual(batch[key], value, key)
        self.assertEqual([state for state, _residual in one_by_one["invoices"]],
                         ["paid", "partial"] + ["paid"] * 10)
        paid_messages = [m for m in one_by_one["messages"] if m[4] == self.env.ref("account.mt_invoice_paid").id]
        self.assertEqual(len(paid_messages), 11, "a message per invoice paid, notifying its follower")
        self.assertTrue(all(m[-2] == self.user_collector.partner_id.ids for m in paid_messages))

    def test_batch_tracking_is_odoo_tracking(self):
        """The payment status messages of a batch, written together, are those Odoo's own
        tracking writes one by one: the "Paid" posts (notifying the invoices' follower where
        there is one, nobody elsewhere), the "Partially paid" logs and their tracking values."""
        self.invoices[::2].message_unsubscribe(self.user_collector.partner_id.ids)
        first_message_id = self.env["mail.message"].search([], order="id desc", limit=1).id + 1
        lines = self.st_lines.with_context(**PRODUCTION_CONTEXT)

        def odoo_tracking(_self, env):
            env.flush_all()
            env["account.move"]._track_finalize()

        with self.env.cr.savepoint() as savepoint:
            with patch.object(ArCashMatch, "_ar_track_finalize", odoo_tracking):
                lines._ar_cash_match()
                self._ar_commit()
            odoo = self._ar_ledger(first_message_id)
            savepoint.close(rollback=True)
        self.env.invalidate_all()
        lines._ar_cash_match()
        self._ar_commit()
        batch = self._ar_ledger(first_message_id)
        self.assertEqual(batch["messages"], odoo["messages"])
        self.assertEqual(batch, odoo)
        paid = self.env.ref("account.mt_invoice_paid").id
        notified = [m[-2] for m in batch["messages"] if m[4] == paid]
        self.assertEqual(len(notified), 11)
        self.assertIn([], notified, "an invoice nobody follows: a message, no notification")
        self.assertIn(self.user_collector.partner_id.ids, notified)
        self.assertTrue(any(m[-1] for m in batch["messages"] if m[4] == paid), "tracking values kept")
