import logging
from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.translate import get_translation

from ..tools import cash_matching

_logger = logging.getLogger(__name__)
# Odoo's own terms of the journal items' log (translated by the accounting app's catalogue)
ITEM_CREATED = "Journal Item %s created"
ITEM_DELETED = "Journal Item %s deleted"

# How a match was found, strongest first.
RULES = [
    ("remittance", "Remittance advice"),
    ("reference", "Invoice reference"),
    ("reference_fuzzy", "Invoice reference (near match)"),
    ("combination", "Combination of open invoices"),
    ("amount", "Customer and amount"),
    ("manual", "Manual"),
]
DIFFERENCES = [
    ("exact", "Exact"),
    ("short_open", "Short payment, remainder left open"),
    ("short_writeoff", "Short payment, written off"),
    ("bank_fee", "Paid less a bank fee"),
    ("discount", "Early-payment discount"),
    ("overpayment", "Overpayment kept as customer credit"),
]


class ArCashMatch(models.Model):
    """A proposed or applied application of one incoming bank line to open customer invoices.

    Suggestions below the company's confidence threshold wait in the exceptions queue; applied
    matches stay as the log of who or what matched the line, by which rule and how sure, until a
    manager reverses them.
    """

    _name = "ar.cash.match"
    _inherit = ["ar.pause.source.mixin"]
    _ar_pause_sequence = 40
    _ar_pause_means_paid = True
    _description = "Cash match"
    _order = "statement_line_id desc, rank, id"
    _rec_name = "statement_line_id"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank line", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="statement_line_id.company_id", store=True, index=True)
    date = fields.Date(related="statement_line_id.date", store=True)
    payment_ref = fields.Char(related="statement_line_id.payment_ref", string="Label")
    currency_id = fields.Many2one("res.currency", required=True, help="Currency of the bank transaction.")
    amount = fields.Monetary(string="Received", help="Amount of the bank line, in its transaction currency.")
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    state = fields.Selection([
        ("proposed", "Suggested"),
        ("applied", "Applied"),
        ("rejected", "Rejected"),
        ("reversed", "Reversed"),
        ("superseded", "Superseded"),
    ], default="proposed", required=True, index=True)
    rule = fields.Selection(RULES, required=True)
    confidence = fields.Integer(help="0 to 100: how sure the matcher is that this is how the customer meant it.")
    rank = fields.Integer(default=1, help="1 for the best suggestion of the bank line.")
    signals = fields.Text(help="What matched: references, customer identification, amount logic.")
    line_ids = fields.One2many("ar.cash.match.line", "match_id", string="Invoices")
    invoice_ids = fields.Many2many(
        "account.move", compute="_compute_invoice_ids", search="_search_invoice_ids", string="Invoice list")
    allocated_amount = fields.Monetary(compute="_compute_allocated_amount", string="Applied to invoices")
    difference_kind = fields.Selection(DIFFERENCES, string="Difference", default="exact", required=True)
    difference_amount = fields.Monetary(
        string="Difference amount", help="Received minus applied to invoices (negative: short payment).")
    writeoff_account_id = fields.Many2one("account.account", string="Write-off account")
    needs_manager = fields.Boolean(
        help="A disputed invoice is involved: only a collections manager may apply the match.")
    applied_auto = fields.Boolean(string="Applied automatically", readonly=True)
    applied_by_id = fields.Many2one("res.users", string="Applied by", readonly=True)
    applied_date = fields.Datetime(string="Applied on", readonly=True)
    reversed_by_id = fields.Many2one("res.users", string="Reversed by", readonly=True)
    reversed_date = fields.Datetime(string="Reversed on", readonly=True)
    counterpart_line_ids = fields.Many2many(
        "account.move.line", "ar_cash_match_counterpart_rel", "match_id", "line_id",
        string="Journal items created", readonly=True)

    @api.depends("line_ids.move_id")
    def _compute_invoice_ids(self):
        for match in self:
            match.invoice_ids = match.line_ids.move_id

    def _search_invoice_ids(self, operator, value):
        return [("line_ids.move_id", operator, value)]

    @api.depends("line_ids.amount")
    def _compute_allocated_amount(self):
        for match in self:
            match.allocated_amount = sum(match.line_ids.mapped("amount"))

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        """A payment received and probably for these invoices (a suggestion at least as sure
        as the company's pause confidence, on a bank line not reconciled yet) pauses them:
        no reminder for what is being paid."""
        found = {}
        items = self.env["ar.cash.match.line"].search_fetch([
            ("move_id", "in", invoices.ids),
            ("match_id.state", "=", "proposed"),
            ("match_id.statement_line_id.is_reconciled", "=", False),
        ], ["move_id", "match_id", "company_id"])
        for item in items:
            match = item.match_id
            if match.confidence >= match.company_id.ar_cash_pause_confidence:
                found.setdefault(item.move_id.id, self.env._(
                    "Payment received, being matched (%(date)s, %(amount)s)",
                    date=fields.Date.to_string(match.date), amount=match.currency_id.format(match.amount)))
        return found

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_accept(self):
        """Apply this suggestion: reconcile the bank line with its invoices."""
        for match in self:
            if match.state != "proposed":
                raise UserError(self.env._("Only a suggestion can be applied; this one is %(state)s.",
                                           state=dict(self._fields["state"]._description_selection(self.env))[match.state]))
        self._ar_check_manager_for_disputes()
        lines = self.statement_line_id
        if len(lines) != len(self):
            raise UserError(self.env._("Apply one suggestion per bank line."))
        self._ar_apply(auto=False)
        return True

    def action_reject(self):
        """Discard this suggestion: the matcher will not propose these invoices for this line again."""
        self.filtered(lambda m: m.state == "proposed").write({"state": "rejected"})
        return True

    def action_reverse(self):
        """Undo an applied match (manager): the bank line goes back to the exceptions queue."""
        if not self.env.user.has_group("ar_collections.group_ar_collections_manager"):
            raise AccessError(self.env._("Only a collections manager may reverse a match."))
        for match in self:
            if match.state != "applied":
                raise UserError(self.env._("Only an applied match can be reversed."))
        st_lines = self.statement_line_id.sudo()
        st_lines.action_undo_reconciliation()
        self.sudo().write({"state": "reversed", "reversed_by_id": self.env.uid, "reversed_date": fields.Datetime.now()})
        st_lines.write({"ar_match_status": "queued"})
        self.env["ar.remittance"].sudo().search([("statement_line_id", "in", st_lines.ids)]).write(
            {"state": "open", "statement_line_id": False})
        for match in self:
            for invoice in match.line_ids.move_id:
                invoice.sudo().message_post(body=self.env._(
                    "Payment from bank line %(line)s unmatched by %(user)s.",
                    line=match.statement_line_id.payment_ref or match.statement_line_id.id, user=self.env.user.name))
        return True

    @api.model
    def _ar_create_manual(self, statement_line, allocations):
        """Apply ``statement_line`` to invoices as a person decided.

        :param allocations: [(invoice, amount in the bank line's currency)]; what the line brings
            beyond their sum stays as customer credit
        :return: the applied ``ar.cash.match``
        """
        statement_line.ensure_one()
        statement_line._ar_check_can_match()
        currency, received = statement_line._ar_received()
        moves = self.env["account.move"].browse([move.id for move, _amount in allocations])
        if not allocations:
            raise UserError(self.env._("Choose at least one invoice."))
        total = sum(amount for _move, amount in allocations)
        if currency.compare_amounts(total, received) > 0:
            raise UserError(self.env._("The invoices get %(total)s but the bank line brings %(received)s.",
                                       total=currency.format(total), received=currency.format(received)))
        disputed = moves._ar_disputed_ids()
        match = self.create({
            "statement_line_id": statement_line.id,
            "currency_id": currency.id,
            "amount": received,
            "partner_id": moves[:1].commercial_partner_id.id,
            "rule": "manual",
            "confidence": 100,
            "rank": 0,
            "signals": self.env._("Split by %(user)s", user=self.env.user.name),
            "difference_kind": "overpayment" if currency.compare_amounts(received, total) > 0 else "exact",
            "difference_amount": received - total,
            "needs_manager": bool(disputed),
            "line_ids": [fields.Command.create({"move_id": move.id, "amount": amount, "disputed": move.id in disputed})
                         for move, amount in allocations],
        })
        match.action_accept()
        return match

    # ------------------------------------------------------------------
    # Applying
    # ------------------------------------------------------------------
    def _ar_check_manager_for_disputes(self):
        disputed = self.line_ids.move_id._ar_disputed_ids()
        if (disputed or any(self.mapped("needs_manager"))) \
                and not self.env.user.has_group("ar_collections.group_ar_collections_manager"):
            raise AccessError(self.env._(
                "An invoice of this match is disputed: only a collections manager may apply a payment to it."))

    def _ar_apply(self, auto=False, skip_errors=False):
        """Reconcile each match's bank line with its invoices, all matches in one go.

        The bank line's suspense item is replaced by one receivable item per invoice (plus the
        early-payment discount, write-off or customer credit items), for every match in one
        ``create`` and one ``unlink`` (balance checked after); the receivable items are then
        reconciled with the invoices' open items in as few reconciliation plans as give Odoo's
        result (:meth:`_ar_reconcile`). Item by item through
        ``account.move.write`` costs about 150 ms per bank line, too slow for a bank file.

        :param skip_errors: leave the matches that can no longer be applied as suggestions
            instead of failing the whole batch (scheduled matcher)
        :return: the matches applied
        """
        if not self:
            return self
        # the log Odoo writes per journal item created or deleted in a posted entry (a message
        # each) is written below for the whole batch in one go, the same messages
        Line = self.env["account.move.line"].sudo().with_context(
            check_move_validity=False, skip_account_move_synchronization=True,
            skip_readonly_check=True, force_delete=True, tracking_disable=True)
        all_vals, suspense, pairs, failed = [], Line, [], self.browse()
        # the journal items the counterparts are computed from, read for the whole batch at once
        # (each match below reads its own with an isolated prefetch: found in the cache)
        batch = self.sudo()
        (batch.line_ids.move_id | batch.statement_line_id.move_id).line_ids.fetch(
            ["move_id", "account_id", "account_type", "display_type", "reconciled", "currency_id", "balance",
             "amount_currency", "amount_residual", "amount_residual_currency"])
        batch.line_ids.move_id.fetch(["name", "state", "move_type", "company_id", "currency_id",
                                      "commercial_partner_id"])
        # all of the bank entries' items: Odoo's conversion at the bank line's rate reads more than the above
        batch.statement_line_id.move_id.line_ids.fetch(list(batch.env["account.move.line"]._fields))
        for match in self.sudo():
            try:
                # one bank line at a time: prefetching all the batch's moves per field access is quadratic
                vals_list, match_suspense, match_pairs = match.with_prefetch()._ar_counterpart_vals()
            except UserError as error:
                if not skip_errors:
                    raise
                # The ledger moved since the suggestion (a payment registered meanwhile): a person looks.
                failed |= match
                match.signals = "\n".join(filter(None, [match.signals, str(error)]))
                continue
            all_vals.extend((match, vals) for vals in vals_list)
            suspense |= match_suspense
            company_currency = match.statement_line_id.company_id.currency_id.id
            pairs.extend((vals, open_lines, {vals["currency_id"], *open_lines.currency_id.ids} != {company_currency})
                         for vals, open_lines in match_pairs)
        if all(state == "posted" for state in self.statement_line_id.move_id.mapped("state")):
            # Odoo's synchronisation of tax, payment term and balancing lines around create, unlink
            # and reconcile changes drafts, and posted invoices only when an edit of their lines
            # made their terms dirty (the invoices here are posted and untouched): what it reads of
            # every line of every entry before and after would change nothing
            Line = Line.with_context(skip_invoice_sync=True)
        companies = self.statement_line_id.company_id
        if not self.env["account.analytic.distribution.model"].sudo().search_count(
                [("company_id", "in", [*companies.ids, False])], limit=1):
            # Odoo looks for an analytic distribution model per item (a query each, its partner
            # differs): where no model exists, the distribution it finds is none
            for _match, vals in all_vals:
                vals.setdefault("analytic_distribution", False)
        created = Line.create([vals for _match, vals in all_vals])
        log = self._ar_journal_item_log(created, ITEM_CREATED) + self._ar_journal_item_log(suspense, ITEM_DELETED)
        suspense.with_env(Line.env).unlink()
        if log:
            self.env["account.move"].sudo()._ar_message_log_many(log)
        moves = self.statement_line_id.move_id.sudo()
        with moves._check_balanced({"records": moves}):
            pass
        line_of = {id(vals): line for (_match, vals), line in zip(all_vals, created, strict=True)}
        by_match = defaultdict(list)
        for (match, _vals), line in zip(all_vals, created, strict=True):
            by_match[match.id].append(line.id)
        # the batch's relation rows in two statements: a write per match read and wrote its rows
        # one match at a time, a tenth of a second per hundred matches
        self.flush_recordset(["counterpart_line_ids"])
        self.env.cr.execute(SQL("DELETE FROM ar_cash_match_counterpart_rel WHERE match_id IN %s", tuple(self.ids)))
        if by_match:
            self.env.cr.execute(SQL("INSERT INTO ar_cash_match_counterpart_rel (match_id, line_id) VALUES %s",
                                    SQL(", ").join(SQL("(%s, %s)", match_id, line_id)
                                                   for match_id, line_ids in by_match.items() for line_id in line_ids)))
        self.invalidate_recordset(["counterpart_line_ids"])
        match_of = {id(vals): match for match, vals in all_vals}
        # the reconciliation with tracking (the invoices' payment status in their chatter)
        self._ar_reconcile(Line.with_context(tracking_disable=self.env.context.get("tracking_disable", False)), [
            (match_of[id(vals)], line_of[id(vals)] + open_lines, foreign) for vals, open_lines, foreign in pairs])
        self._ar_track_finalize(Line.env)
        applied = self - failed
        applied.sudo().write({
            "state": "applied", "applied_auto": auto, "applied_by_id": self.env.uid,
            "applied_date": fields.Datetime.now(),
        })
        others = self.env["ar.cash.match"].sudo().search([
            ("statement_line_id", "in", applied.statement_line_id.ids), ("state", "=", "proposed"),
            ("id", "not in", applied.ids)])
        others.state = "superseded"
        applied.statement_line_id.sudo().ar_match_status = "matched"
        if not auto:
            applied.sudo()._ar_learn_bank_accounts()
        for match in applied.sudo().filtered(lambda m: m.rule == "remittance" and m.statement_line_id.ar_remittance_id):
            remittance = match.statement_line_id.ar_remittance_id
            if remittance.state == "open":
                remittance.write({"state": "matched", "statement_line_id": match.statement_line_id.id})
        return applied

    @api.model
    def _ar_reconcile(self, Line, plans):
        """Reconcile [(match, journal items, whether in another currency than the company's)] in
        as few reconciliation plans as leave the ledger as applying each match alone would.

        An invoice two matches of the batch pay is reconciled in rounds, its payment status
        logged after each (not paid, partially paid, paid: Odoo tracks a record's change once per
        transaction). The plans in another currency than the company's are reconciled apart
        (:meth:`_ar_reconcile_foreign`).
        """
        rounds, match_round, invoice_round = defaultdict(list), {}, {}
        # Odoo reads the items plan by plan: all of them at once
        prefetch = tuple({item_id for _match, items, _foreign in plans for item_id in items.ids})
        plans = [(match, items.with_prefetch(prefetch), foreign) for match, items, foreign in plans]
        for match, items, foreign in plans:
            if match not in match_round:
                invoices = match.line_ids.move_id.ids
                match_round[match] = max((invoice_round[inv] + 1 for inv in invoices if inv in invoice_round),
                                         default=0)
                invoice_round.update(dict.fromkeys(invoices, match_round[match]))
            rounds[match_round[match]].append((items, foreign))
        for number, round_plans in sorted(rounds.items()):
            if number:
                # the earlier round's payment statuses, as its commit would log them
                self._ar_track_finalize(Line.env)
            in_company_currency = [items for items, foreign in round_plans if not foreign]
            if in_company_currency:
                Line._reconcile_plan(in_company_currency)
            foreign_plans = [items for items, foreign in round_plans if foreign]
            if foreign_plans:
                self._ar_reconcile_foreign(Line, foreign_plans)

    @api.model
    def _ar_reconcile_foreign(self, Line, plans):
        """Reconcile plans in another currency than the company's: together when each exchange
        difference entry lands on the partial it corrects, else one by one. 18.0's reconciliation
        of several plans attaches the entries to the partials by an index that counts only the
        partials with one: right when no partial without one comes before."""
        if len(plans) > 1:
            # the savepoint flushes: the tracking so far is written first, the batch's way
            self._ar_track_finalize(Line.env)
            with Line.env.cr.savepoint() as savepoint:
                Line._reconcile_plan(plans)
                if self._ar_exchange_on_own_partials(plans):
                    self._ar_track_finalize(Line.env)
                    return
                savepoint.close(rollback=True)
        for items in plans:
            Line._reconcile_plan([items])

    @api.model
    def _ar_exchange_on_own_partials(self, plans):
        """Whether every exchange difference entry of the partials of these reconciled journal
        items corrects one of that partial's own two items."""
        items = self.env["account.move.line"].union(*plans)
        for partial in (items.matched_debit_ids | items.matched_credit_ids).filtered("exchange_move_id"):
            lines = partial.exchange_move_id.line_ids
            corrected = lines.matched_debit_ids.debit_move_id | lines.matched_credit_ids.credit_move_id
            if not corrected & (partial.debit_move_id | partial.credit_move_id):
                return False
        return True

    @api.model
    def _ar_track_finalize(self, env):
        """Write the tracking messages of the entries changed so far (the invoices' payment
        status), as the commit would, for the batch at once (``account.move._message_track``)."""
        env.flush_all()
        env["account.move"].with_context(ar_batch_tracking=True)._track_finalize()

    @api.model
    def _ar_journal_item_log(self, lines, term):
        """What ``account.move.line`` logs on a posted entry for each of ``lines`` created or, before
        it is, deleted (``term``): [(entry, body, tracking values, author)] as
        ``account.move._ar_message_log_many`` writes them; nothing under ``tracking_disable`` (Odoo
        logs nothing then)."""
        Line = self.env["account.move.line"]
        if self.env.context.get("tracking_disable"):
            return []
        tracked = [name for name, field in Line._fields.items()
                   if getattr(field, "tracking", None) and not getattr(field, "related", None)]
        ref_fields = Line.fields_get(tracked)
        empty_values, empty_line = dict.fromkeys(tracked), Line.browse([False])
        log = []
        for move, move_lines in lines.grouped("move_id").items():
            if not move.posted_before:
                continue
            for line in move_lines:
                tracking = (line._mail_track(ref_fields, empty_values) if term is ITEM_CREATED
                            else empty_line._mail_track(ref_fields, line))[1]
                if tracking:
                    log.append((move, get_translation("account", self.env.lang or "en_US", term,
                                                      (line._get_html_link(title=f"#{line.id}"),)), tracking, None))
        return log

    def _ar_held_elsewhere(self):
        """Lock the invoices these matches pay, for the transaction; return the matches of which
        an invoice is locked by another transaction (the other matching job applying a payment
        of it) or was changed since this transaction began: applied now, PostgreSQL would refuse
        the change when the other commits and undo the whole batch.

        Raw SQL: 18.0 has no ORM helper for ``FOR UPDATE SKIP LOCKED``. A row changed after this
        transaction's snapshot makes the statement fail (repeatable read): then each invoice is
        locked alone, to tell which ones.
        """
        invoice_ids = tuple(set(self.line_ids.move_id.ids))
        if not invoice_ids:
            return self.browse()
        self.env["account.move"].flush_model()
        cr = self.env.cr
        lock = "SELECT id FROM account_move WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED"
        # an expected refusal, not an error for the log
        try:
            with cr.savepoint(flush=False):
                cr.execute(SQL(lock, invoice_ids), log_exceptions=False)
                locked = {row[0] for row in cr.fetchall()}
        except psycopg2.errors.SerializationFailure:
            locked = set()
            for invoice_id in invoice_ids:
                try:
                    with cr.savepoint(flush=False):
                        cr.execute(SQL(lock, (invoice_id,)), log_exceptions=False)
                        locked.update(row[0] for row in cr.fetchall())
                except psycopg2.errors.SerializationFailure:
                    continue
        return self.filtered(lambda match: not set(match.line_ids.move_id.ids) <= locked)

    def _ar_apply_isolated(self):
        """Apply these matches for the scheduled matcher: all at once, and if the ledger refuses
        the batch, one by one, so that one bad match waits for a person instead of stopping
        every later batch. :return: the matches applied"""
        try:
            with self.env.cr.savepoint():
                return self._ar_apply(auto=True, skip_errors=True)
        except (UserError, ValidationError) as error:
            _logger.warning("cash matching: batch of %s matches refused (%s), applying one by one", len(self), error)
        applied = self.browse()
        for match in self:
            try:
                with self.env.cr.savepoint():
                    applied |= match._ar_apply(auto=True, skip_errors=True)
            except (UserError, ValidationError) as error:
                match.signals = "\n".join(filter(None, [match.signals, str(error)]))
        return applied

    def _ar_learn_bank_accounts(self):
        """A person said who paid: remember the payer's bank account for the next payments."""
        Bank = self.env["res.partner.bank"].with_context(active_test=False)
        for match in self.filtered(lambda m: m.statement_line_id.account_number and m.partner_id):
            number = match.statement_line_id.account_number
            sanitized = cash_matching.normalize(number)
            if len(sanitized) < 6 or Bank.search_count([("sanitized_acc_number", "=", sanitized)], limit=1):
                continue  # too short to be an account, or known (maybe of someone else: then ambiguous)
            Bank.create({"acc_number": number, "partner_id": match.partner_id.commercial_partner_id.id})

    def _ar_counterpart_vals(self):
        """The items that replace the suspense item of the bank line.

        :return: (values of the new items, the suspense item, [(values of a receivable item,
            the invoice's open receivable items it is reconciled with)])
        """
        self.ensure_one()
        st_line = self.statement_line_id
        company = st_line.company_id
        st_line._ar_check_can_match()
        liquidity, suspense, other = st_line._seek_for_lines()
        if other or len(suspense) != 1:
            raise UserError(self.env._("The bank line %(line)s is already partly matched.",
                                       line=st_line.payment_ref or st_line.id))
        trans_currency = self.currency_id
        company_currency = company.currency_id

        def at_line_rate(amount):
            """Company-currency value of ``amount`` of the transaction currency, at the bank's rate."""
            return st_line._prepare_counterpart_amounts_using_st_line_rate(trans_currency, None, amount)["balance"]

        vals_list, pairs, label = [], [], st_line.payment_ref or ""
        for item in self.line_ids:
            invoice = item.move_id
            if invoice.company_id != company:
                raise UserError(self.env._("%(invoice)s belongs to another company than the bank line.",
                                           invoice=invoice.name))
            open_lines = invoice.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable" and not line.reconciled)
            # a credit note nets the invoices it is matched with (negative share)
            kind = "out_refund" if item.amount < 0 else "out_invoice"
            if invoice.state != "posted" or invoice.move_type != kind or not open_lines:
                raise UserError(self.env._("%(invoice)s has nothing left to pay.", invoice=invoice.name))
            inv_currency = invoice.currency_id
            balance = -at_line_rate(item.amount)
            residual = sum(open_lines.mapped("amount_residual_currency"))
            extra = []
            if self.difference_kind == "discount" and item.discount_amount:
                # Odoo's own early-payment discount lines (tax-excluded, -included or mixed terms).
                discount_balance = sum(open_lines.mapped("amount_residual")) + balance
                epd = self.env["account.move"]._get_invoice_counterpart_amls_for_early_payment_discount(
                    [{"aml": line, "amount_currency": -line.amount_residual_currency, "balance": -line.amount_residual}
                     for line in open_lines], discount_balance)
                for key in ("term_lines", "tax_lines", "base_lines", "exchange_lines"):
                    extra.extend(dict(vals, name=vals.get("name") or self.env._("Early payment discount"))
                                 for vals in epd[key])
                amount_currency, balance = -residual, -sum(open_lines.mapped("amount_residual"))
            elif self.difference_kind == "short_writeoff" and self.writeoff_account_id:
                gap = trans_currency.round(self.allocated_amount and item.amount / self.allocated_amount
                                           * -self.difference_amount or 0.0)
                extra.append({
                    "name": self.env._("Short payment of %(invoice)s", invoice=invoice.name),
                    "account_id": self.writeoff_account_id.id, "partner_id": invoice.commercial_partner_id.id,
                    "currency_id": trans_currency.id, "amount_currency": gap, "balance": at_line_rate(gap),
                })
                amount_currency = -residual if inv_currency != trans_currency else -(item.amount + gap)
                balance -= extra[-1]["balance"]
            elif inv_currency == trans_currency:
                amount_currency = -item.amount
            elif self._ar_settles(item, residual):
                # paid in another currency, within the bank's margin: settled
                amount_currency = -residual
                if inv_currency == company_currency:
                    # an item in company currency carries its balance: the margin is booked here
                    margin = company_currency.round(-balance - residual)  # received minus due
                    balance = -residual
                    if not company_currency.is_zero(margin):
                        extra.append({
                            "name": self.env._("Exchange difference on %(invoice)s", invoice=invoice.name),
                            "account_id": (company.income_currency_exchange_account_id if margin > 0
                                           else company.expense_currency_exchange_account_id).id,
                            "partner_id": invoice.commercial_partner_id.id, "currency_id": company_currency.id,
                            "amount_currency": -margin, "balance": -margin,
                        })
            else:
                amount_currency = -inv_currency.round(
                    trans_currency._convert(item.amount, inv_currency, company, st_line.date))
            vals_list.append({
                "name": self.env._("%(label)s: %(invoice)s", label=label, invoice=invoice.name),
                "account_id": open_lines[0].account_id.id,
                "partner_id": invoice.commercial_partner_id.id,
                "currency_id": inv_currency.id,
                "amount_currency": amount_currency,
                "balance": balance,
            })
            pairs.append((vals_list[-1], open_lines))
            vals_list.extend(extra)
        received = self.amount
        if self.difference_kind == "bank_fee":
            # the bank kept a fee: booked on the fee account as a reconciliation model's write-off
            fee = trans_currency.round(self.allocated_amount - received)
            if not self.writeoff_account_id or trans_currency.compare_amounts(fee, 0) <= 0:
                raise UserError(self.env._("The bank fee of %(line)s has no account to be booked to.", line=label))
            vals_list.append({
                "name": self.env._("%(label)s: bank fee", label=label),
                "account_id": self.writeoff_account_id.id,
                "partner_id": (self.partner_id.commercial_partner_id or self.line_ids.move_id.commercial_partner_id[:1]).id,
                "currency_id": trans_currency.id, "amount_currency": fee, "balance": at_line_rate(fee),
            })
        credit = trans_currency.round(received - self.allocated_amount) \
            if self.difference_kind not in ("short_writeoff", "bank_fee") else 0
        if trans_currency.compare_amounts(credit, 0) > 0:
            partner = self.partner_id.commercial_partner_id or self.line_ids.move_id.commercial_partner_id[:1]
            account = partner.with_company(company).property_account_receivable_id
            if not partner or not account:
                raise UserError(self.env._("Choose the customer who gets the rest of %(line)s as credit.",
                                           line=label))
            vals_list.append({
                "name": self.env._("%(label)s: customer credit", label=label),
                "account_id": account.id, "partner_id": partner.id, "currency_id": trans_currency.id,
                "amount_currency": -credit, "balance": -at_line_rate(credit),
            })
        # Rounding of the conversions: the new items carry exactly what the suspense item carried.
        gap = suspense.balance - sum(vals["balance"] for vals in vals_list)
        if not company_currency.is_zero(gap):
            target = max((vals for vals, _lines in pairs), key=lambda v: abs(v["balance"]), default=vals_list[-1])
            target["balance"] += gap
        for vals in vals_list:
            vals["move_id"] = st_line.move_id.id
            if vals.get("currency_id") == company_currency.id:
                # Odoo keeps amount_currency = balance on company-currency items (else: unbalanced)
                vals["amount_currency"] = vals["balance"]
        return vals_list, suspense, pairs

    def _ar_settles(self, item, residual):
        """Whether the share of a bank line in another currency pays the whole invoice (within the
        bank's exchange margin)."""
        invoice = item.move_id
        converted = self.currency_id._convert(item.amount, invoice.currency_id, invoice.company_id,
                                              self.statement_line_id.date)
        return abs(converted - residual) <= max(invoice.currency_id.rounding, 0.02 * abs(residual))

