import logging
import time
from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import cash_matching

_logger = logging.getLogger(__name__)

# Bank lines matched per scheduled call: one call loads the company's open invoices once, so
# larger batches amortise it; a call of this size stays well within the cron time limit on a busy
# machine (README, "Bank data as banks send it").
BATCH_SIZE = 1000
# The scheduled jobs that run the matcher, side by side (data/ir_cron_data.xml).
CRONS = ("ar_collections_cash.ir_cron_ar_cash_match", "ar_collections_cash.ir_cron_ar_cash_match_2")


class AccountBankStatementLine(models.Model):
    _name = "account.bank.statement.line"
    _inherit = ["account.bank.statement.line", "ar.claim.mixin"]

    ar_match_status = fields.Selection([
        ("pending", "To match"),
        ("queued", "Needs a look"),
        ("matched", "Matched"),
    ], string="Cash matching", copy=False, index=True,
        help="To match: the matcher has not looked at it yet. Needs a look: in the exceptions queue, "
             "with the matcher's suggestions. Matched: applied to invoices (see the match log).")
    ar_match_ids = fields.One2many("ar.cash.match", "statement_line_id", string="Suggestions and matches")
    ar_suggestion_ids = fields.One2many(
        "ar.cash.match", "statement_line_id", string="Suggestions", domain=[("state", "=", "proposed")])
    ar_best_confidence = fields.Integer(string="Best confidence", copy=False, readonly=True)
    ar_remittance_id = fields.Many2one("ar.remittance", string="Remittance advice", copy=False, readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        # Incoming lines wait for the matcher; outgoing ones are not customer payments.
        pending = lines.filtered(lambda line: line.amount > 0 and not line.is_reconciled)
        pending.ar_match_status = "pending"
        if pending:
            # a statement file just imported (OCA's CAMT import, Odoo's own) is matched now, not
            # at the next scheduled run
            self._ar_cash_trigger()
        return lines

    @api.model
    def _ar_cash_match_crons(self):
        """The scheduled jobs of the matcher that run: none while the first one is archived (the
        matcher switched off), the second one unless it is archived too."""
        crons = self.env["ir.cron"].sudo()
        for xmlid in CRONS:
            crons |= self.env.ref(xmlid, raise_if_not_found=False) or crons
        return crons.filtered("active") if crons[:1].active else crons.browse()

    @api.model
    def _ar_cash_second_worker_follows(self):
        """Give the second job the first one's state and schedule: an admin who had switched the
        matcher off or slowed it down before the second job existed keeps it so (install, upgrade)."""
        first, second = (self.env.ref(xmlid, raise_if_not_found=False) for xmlid in CRONS)
        if first and second:
            second.sudo().write({"active": first.active, "interval_number": first.interval_number,
                                 "interval_type": first.interval_type, "nextcall": first.nextcall})

    @api.model
    def _ar_cash_trigger(self):
        """Run the matcher's jobs as soon as the scheduler can."""
        for cron in self._ar_cash_match_crons():
            cron._trigger()

    # ------------------------------------------------------------------
    # Scheduled matcher
    # ------------------------------------------------------------------
    def _ar_cash_candidate_where(self):
        return SQL(
            "(ar_match_status = 'pending' OR ar_match_status IS NULL) AND amount > 0 AND is_reconciled IS NOT TRUE")

    @api.model
    def _cron_ar_cash_match(self, batch_size=BATCH_SIZE):
        """Match a batch of waiting incoming bank lines (Odoo 18 batch protocol).

        The lines are claimed with ``FOR UPDATE SKIP LOCKED`` and leave the "to match" status in
        the same transaction as their matches are applied, so a killed call is replayed whole and
        a line is never applied twice. Two jobs run this side by side, each on the lines it
        claimed. A line whose invoice the other job is paying waits for the next call
        (``ar.cash.match._ar_held_elsewhere``); should PostgreSQL still refuse a change of the
        batch (another row both changed), the batch is undone and its lines wait likewise.
        """
        lines = self._ar_claim_rows(
            self._ar_cash_candidate_where(), SQL("id"), batch_size,
            ["ar_match_status", "amount", "is_reconciled"])
        done = 0
        if lines:
            try:
                with self.env.cr.savepoint():
                    done = lines._ar_cash_match()["lines"]
            except psycopg2.extensions.TransactionRollbackError as error:
                _logger.info("cash matching: %s bank lines left for the next call (%s)", len(lines),
                             type(error).__name__)
                self._ar_cash_trigger()
        self.flush_model(["ar_match_status", "amount", "is_reconciled"])
        self.env.cr.execute(SQL("SELECT count(*) FROM %s WHERE %s", SQL.identifier(self._table),
                                self._ar_cash_candidate_where()))
        remaining = self.env.cr.fetchone()[0]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return {"done": done, "remaining": remaining}

    @api.model
    def _cron_ar_cash_match_second(self, batch_size=BATCH_SIZE):
        """The second job: the same matcher on other lines, while the first job is active."""
        if not self._ar_cash_match_crons():
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return {"done": 0, "remaining": 0}
        return self._cron_ar_cash_match(batch_size)

    def _ar_cash_match(self):
        """Match these bank lines now: replace their suggestions, apply the confident ones.

        :return: {"lines": n, "applied": n, "queued": n}
        """
        stats = {"lines": 0, "applied": 0, "queued": 0}
        lines = self.sudo().filtered(lambda line: line.amount > 0 and not line.is_reconciled)
        (self.sudo() - lines).filtered(lambda line: line.ar_match_status == "pending").ar_match_status = False
        for company, company_lines in lines.grouped("company_id").items():
            company_stats = company_lines._ar_cash_match_company(company)
            for key, value in company_stats.items():
                stats[key] += value
        return stats

    def _ar_cash_match_company(self, company):
        started = time.perf_counter()
        Match = self.env["ar.cash.match"].sudo()
        matcher = self._ar_cash_matcher(company)
        remittances = self._ar_cash_remittances(company, matcher)
        self.ar_suggestion_ids.unlink()
        refused = defaultdict(set)
        for match in self.ar_match_ids.filtered(lambda m: m.state in ("rejected", "reversed")):
            refused[match.statement_line_id.id].add(frozenset(match.line_ids.move_id.ids))
        to_create, auto_flags = [], []
        for st_line in self:
            line = st_line._ar_cash_line(matcher, remittances)
            suggestions = [s for s in matcher.suggest(line)
                           if frozenset(s.invoice_ids) not in refused[st_line.id] or not s.invoice_ids]
            best = suggestions[0] if suggestions else None
            auto = (best is not None and company.ar_cash_auto_apply and not best.needs_manager
                    and best.confidence >= company.ar_cash_auto_confidence)
            if auto:
                matcher.consume(best, line)
            # an applied line keeps only its match: the runners-up would be noise in the log
            for rank, sug in enumerate(suggestions[:1] if auto else suggestions, start=1):
                to_create.append(st_line._ar_cash_match_vals(sug, line, rank, company, matcher))
                auto_flags.append(auto and rank == 1)
            st_line.ar_best_confidence = best.confidence if best else 0
            if line.remittance:
                st_line.ar_remittance_id = remittances["by_line"][st_line.id]
        # the invoices' currencies (of the matches' monetary amounts) read at once, not per match
        self.env["account.move"].browse({command[2]["move_id"] for vals in to_create
                                         for command in vals["line_ids"]}).fetch(["currency_id"])
        matches = Match.create(to_create)
        to_apply = Match.browse([m.id for m, auto in zip(matches, auto_flags, strict=True) if auto])
        # the other matching job is paying one of their invoices (or has just paid it): these
        # lines are decided again at the next call, with the ledger as it is then
        held = to_apply._ar_held_elsewhere()
        waiting = held.statement_line_id
        if held:
            matches.filtered(lambda match: match.statement_line_id in waiting).unlink()
            waiting.write({"ar_match_status": "pending", "ar_best_confidence": 0, "ar_remittance_id": False})
            self._ar_cash_trigger()
        applied_lines = (to_apply - held)._ar_apply_isolated().statement_line_id
        applied_lines.ar_match_status = "matched"
        (self - applied_lines - waiting).ar_match_status = "queued"
        _logger.info("cash matching: %s bank lines of %s, %s applied, %s waiting for the next call "
                     "(their invoices being paid by the other matching job), in %.2fs", len(self), company.name,
                     len(applied_lines), len(waiting), time.perf_counter() - started)
        return {"lines": len(self) - len(waiting), "applied": len(applied_lines),
                "queued": len(self) - len(applied_lines) - len(waiting)}

    def _ar_received(self):
        """(currency, amount) of the transaction: what the payer sent, in the currency the bank
        gave when it converted, else the journal's."""
        self.ensure_one()
        currency = self.foreign_currency_id or self.journal_id.currency_id or self.company_id.currency_id
        return currency, self.amount_currency if self.foreign_currency_id else self.amount

    def _ar_cash_line(self, matcher, remittances):
        """This bank line as the matcher sees it."""
        self.ensure_one()
        currency, amount = self._ar_received()
        remittance = remittances["by_line"].get(self.id)
        return cash_matching.Line(
            id=self.id, amount=amount, currency_id=currency.id, date=self.date, label=self._ar_cash_label(),
            partner_id=self.partner_id.commercial_partner_id.id or None,
            account_number=self.account_number or None,
            remittance=remittance and remittances["allocations"][remittance.id],
            payer_name=self.partner_name or None,
        )

    def _ar_cash_label(self):
        """Everything the bank said about the line: its label, the statement's reference, the
        payer's name and the import's notes (a CAMT or MT940 import keeps the raw fields there)."""
        self.ensure_one()
        return " ".join(filter(None, [self.payment_ref, self.move_id.ref, self.partner_name, self.narration and
                                      str(self.narration)]))

    def _ar_cash_match_vals(self, sug, line, rank, company, matcher):
        kind = sug.difference_kind
        return {
            "statement_line_id": self.id,
            "currency_id": line.currency_id,
            "amount": line.amount,
            "partner_id": sug.partner_id,
            "rule": sug.rule,
            "confidence": max(0, min(100, sug.confidence)),
            "rank": rank,
            "signals": "\n".join(sug.signals),
            "difference_kind": kind,
            "difference_amount": sug.difference,
            "writeoff_account_id": (company.ar_cash_writeoff_account_id.id if kind == "short_writeoff"
                                    else company.ar_cash_fee_account_id.id if kind == "bank_fee" else False),
            "needs_manager": sug.needs_manager,
            "line_ids": [fields.Command.create({
                "sequence": seq, "move_id": inv_id, "amount": amount, "discount_amount": discount,
                "disputed": matcher.invoices[inv_id].disputed,
            }) for seq, (inv_id, amount, discount) in enumerate(sug.allocations)],
        }

    # ------------------------------------------------------------------
    # Loading a company's open receivables once per batch
    # ------------------------------------------------------------------
    @api.model
    def _ar_cash_matcher(self, company):
        """A :class:`CashMatcher` over the open customer invoices of ``company``.

        Raw SQL: at 50,000 open invoices the ORM read of these columns takes seconds per batch
        (prefetch of computed related fields); one query takes a fraction of that.
        """
        self.env["account.move"].flush_model()
        self.env["account.move.line"].flush_model()
        self.env.cr.execute(SQL("""
            SELECT m.id, m.commercial_partner_id, m.name, m.payment_reference, m.currency_id,
                   m.amount_residual, m.invoice_date_due, epd.discount_date, epd.discount_amount_currency,
                   epd.amount_currency
              FROM account_move m
              LEFT JOIN LATERAL (
                    SELECT min(l.discount_date) AS discount_date,
                           sum(l.discount_amount_currency) AS discount_amount_currency,
                           sum(l.amount_currency) AS amount_currency, count(*) AS n
                      FROM account_move_line l
                     WHERE l.move_id = m.id AND l.display_type = 'payment_term' AND l.discount_date IS NOT NULL
              ) epd ON TRUE
             WHERE m.company_id = %(company)s AND m.move_type = 'out_invoice' AND m.state = 'posted'
               AND m.payment_state IN ('not_paid', 'partial') AND m.amount_residual > 0
        """, company=company.id))
        rows = self.env.cr.fetchall()
        # open credit notes: an invoice may be paid net of one
        self.env.cr.execute(SQL("""
            SELECT id, commercial_partner_id, name, payment_reference, currency_id, amount_residual
              FROM account_move
             WHERE company_id = %(company)s AND move_type = 'out_refund' AND state = 'posted'
               AND payment_state IN ('not_paid', 'partial') AND amount_residual > 0
        """, company=company.id))
        credit_notes = [cash_matching.Invoice(
            id=note_id, partner_id=partner_id, name=name or "", payment_reference=payment_ref or "",
            currency_id=currency_id, residual=residual, date_due=None, is_refund=True,
        ) for note_id, partner_id, name, payment_ref, currency_id, residual in self.env.cr.fetchall()]
        disputed = set(self.env["ar.dispute"].sudo().search_fetch(
            [("is_open", "=", True), ("company_id", "=", company.id)], ["invoice_ids"]).invoice_ids.ids)
        invoices = []
        for (inv_id, partner_id, name, payment_ref, currency_id, residual, date_due, discount_date,
             discount_amount, term_amount) in rows:
            invoices.append(cash_matching.Invoice(
                id=inv_id, partner_id=partner_id, name=name or "", payment_reference=payment_ref or "",
                currency_id=currency_id, residual=residual, date_due=date_due,
                # the discount holds while nothing was paid yet
                discount_residual=discount_amount if discount_date and term_amount
                and abs(term_amount - residual) < 0.005 else None,
                discount_date=discount_date, disputed=inv_id in disputed,
            ))
        partner_ids = list({inv.partner_id for inv in invoices})
        partners, bank_accounts = {}, {}
        if partner_ids:
            self.env["res.partner"].flush_model(["name", "vat", "commercial_partner_id"])
            self.env["res.partner.bank"].flush_model(["sanitized_acc_number", "partner_id"])
            self.env.cr.execute(SQL(
                "SELECT id, name, vat FROM res_partner WHERE id = ANY(%s)", partner_ids))
            partners = {pid: (name or "", vat or "") for pid, name, vat in self.env.cr.fetchall()}
        # Every known account, also of customers with nothing open: their payment is then a
        # credit, not somebody else's invoice.
        self.env.cr.execute(SQL("""
            SELECT b.sanitized_acc_number, p.commercial_partner_id
              FROM res_partner_bank b JOIN res_partner p ON p.id = b.partner_id
             WHERE b.active AND (b.company_id IS NULL OR b.company_id = %s)
        """, company.id))
        for acc_number, partner_id in self.env.cr.fetchall():
            key = cash_matching.normalize(acc_number)
            # an account shared by two customers identifies neither
            bank_accounts[key] = None if bank_accounts.get(key, partner_id) != partner_id else partner_id
        currencies = self.env["res.currency"].browse(
            {inv.currency_id for inv in invoices + credit_notes} | {company.currency_id.id})
        rounding = {cur.id: cur.rounding for cur in currencies.sudo()}
        rates = {}

        def convert(amount, from_id, to_id, date):
            key = (from_id, to_id, date)
            if key not in rates:
                Currency = self.env["res.currency"]
                rates[key] = Currency._get_conversion_rate(Currency.browse(from_id), Currency.browse(to_id),
                                                            company, date)
            return amount * rates[key]

        matcher = cash_matching.CashMatcher(
            invoices, partners, {k: v for k, v in bank_accounts.items() if v}, convert, rounding,
            short_tolerance=(company.ar_cash_short_tolerance / 100.0, company.ar_cash_short_tolerance_max),
            time_budget=company.ar_cash_search_ms / 1000.0,
            writeoff=bool(company.ar_cash_writeoff_account_id),
            groups=self._ar_cash_groups(), credit_notes=credit_notes,
            fee_tolerance=company._ar_cash_fee_tolerance(),
        )
        matcher.add_closed(self._ar_cash_named_closed(company, matcher))
        return matcher

    @api.model
    def _ar_cash_groups(self):
        """{commercial partner id: its group's top company} for the companies that have a parent
        (subsidiaries, branches) and their parents: one of them may pay for another."""
        self.env["res.partner"].flush_model(["parent_id", "commercial_partner_id"])
        self.env.cr.execute(SQL("""
            WITH RECURSIVE tree AS (
                SELECT id, parent_id, id AS top, 0 AS depth FROM res_partner WHERE parent_id IS NULL
                UNION ALL
                SELECT p.id, p.parent_id, tree.top, tree.depth + 1 FROM res_partner p
                  JOIN tree ON p.parent_id = tree.id
                 WHERE tree.depth < 10
            )
            SELECT tree.id, tree.top FROM tree
              JOIN res_partner p ON p.id = tree.id
             WHERE p.id = p.commercial_partner_id AND tree.top != tree.id
        """))
        groups = dict(self.env.cr.fetchall())
        for top in set(groups.values()):
            groups.setdefault(top, top)
        return groups

    def _ar_cash_named_closed(self, company, matcher):
        """Customer invoices of ``company`` that are not open (paid, cancelled, reversed) and that
        a label of these bank lines may name: one query for the batch.

        :return: [:class:`cash_matching.Invoice`] with their ``status``
        """
        keys, numbers = matcher.candidate_keys([line._ar_cash_label() for line in self])
        if not keys and not numbers:
            return []
        self.env.cr.execute(SQL("""
            SELECT id, commercial_partner_id, name, payment_reference, currency_id, date, state, payment_state,
                   amount_total
              FROM account_move
             WHERE company_id = %(company)s AND move_type = 'out_invoice' AND state IN ('posted', 'cancel')
               AND name IS NOT NULL AND name != '/'
               AND NOT (state = 'posted' AND payment_state IN ('not_paid', 'partial') AND amount_residual > 0)
               AND (regexp_replace(upper(name), '[^0-9A-Z]', '', 'g') = ANY(%(keys)s)
                    OR regexp_replace(upper(payment_reference), '[^0-9A-Z]', '', 'g') = ANY(%(keys)s)
                    OR substring(name FROM '([0-9]{1,9})[^0-9]*$')::bigint = ANY(%(numbers)s))
        """, company=company.id, keys=list(keys), numbers=list(numbers)))
        return [cash_matching.Invoice(
            id=inv_id, partner_id=partner_id, name=name, payment_reference=payment_ref or "",
            # not open: its residual is its total, what a second payment of it would bring
            currency_id=currency_id, residual=amount_total, date_due=date,
            status="cancel" if state == "cancel" else payment_state,
        ) for inv_id, partner_id, name, payment_ref, currency_id, date, state, payment_state, amount_total
            in self.env.cr.fetchall()]

    def _ar_cash_remittances(self, company, matcher):
        """Open remittance advices of ``company`` and the bank lines of ``self`` they belong to:
        the advice's reference in the label, else the only advice of the payer for that amount."""
        remittances = self.env["ar.remittance"].sudo().search_fetch(
            [("company_id", "=", company.id), ("state", "=", "open")], ["name", "partner_id", "amount", "currency_id"])
        by_key = {}
        for remittance in remittances:
            by_key.setdefault(cash_matching.normalize(remittance.name), remittance)
        allocations = {r.id: [(line.move_id.id, line.amount) for line in r.line_ids] for r in remittances}
        by_line, used = {}, set()
        if not remittances:
            return {"by_line": by_line, "allocations": allocations}
        by_amount = defaultdict(list)
        for remittance in remittances:
            by_amount[(remittance.partner_id.commercial_partner_id.id, remittance.currency_id.id,
                       remittance.currency_id.round(remittance.amount))].append(remittance)
        for st_line in self:
            label = " ".join(filter(None, [st_line.payment_ref, st_line.move_id.ref]))
            for window in matcher.windows(label):
                remittance = by_key.get(cash_matching.normalize(window))
                if remittance and remittance.id not in used:
                    by_line[st_line.id] = remittance
                    used.add(remittance.id)
                    break
            else:
                # No reference: the payer's only advice of exactly this amount.
                line = st_line._ar_cash_line(matcher, {"by_line": {}})
                payers, name_only = matcher.payers(line)
                currency = self.env["res.currency"].browse(line.currency_id)
                found = [r for partner_id in ([] if name_only else payers)
                         for r in by_amount.get((partner_id, currency.id, currency.round(line.amount)), ())
                         if r.id not in used]
                if len(found) == 1:
                    by_line[st_line.id] = found[0]
                    used.add(found[0].id)
        return {"by_line": by_line, "allocations": allocations}

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_ar_match_again(self):
        """Look for matches again now (new invoices, a remittance advice arrived)."""
        self._ar_cash_match()
        return True

    def action_ar_open_split(self):
        """Split this bank line across invoices by hand."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ar_collections_cash.action_ar_cash_match_split")
        action["context"] = {"default_statement_line_id": self.id}
        return action

    def _ar_check_can_match(self):
        for st_line in self:
            if st_line.is_reconciled or st_line.amount <= 0:
                raise UserError(self.env._(
                    "The bank line %(line)s is already matched or is not an incoming payment.",
                    line=st_line.payment_ref or st_line.display_name))
