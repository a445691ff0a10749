from odoo import api, fields, models
from odoo.tools import SQL

from ..models.ar_cash_match import RULES

OUTCOMES = [
    ("auto", "Applied automatically"),
    ("manual", "Applied by a person"),
    ("queued", "In the exceptions queue"),
    ("pending", "To match"),
    ("other", "Reconciled otherwise"),
]


class ArCashMatchReport(models.Model):
    """How well does cash application work? One row per incoming bank line the matcher has seen:
    applied automatically, by a person, still queued, and whether a person reversed a match of
    it, by the rule that decided (the applied match's, else the best suggestion's) and by month."""

    _name = "ar.cash.match.report"
    _description = "Cash application match rate"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "statement_line_id"
    _depends = {
        "account.bank.statement.line": ["ar_match_status", "is_reconciled", "amount", "move_id", "journal_id",
                                        "company_id"],
        "account.move": ["date"],
        "ar.cash.match": ["statement_line_id", "state", "rule", "applied_auto", "rank", "confidence", "partner_id"],
    }

    statement_line_id = fields.Many2one("account.bank.statement.line", string="Bank line", readonly=True)
    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    journal_id = fields.Many2one("account.journal", string="Bank journal", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    rule = fields.Selection(RULES + [("none", "No suggestion")], readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    confidence = fields.Integer(readonly=True, aggregator="avg")
    amount = fields.Monetary(string="Received", readonly=True, currency_field="currency_id")
    line_count = fields.Integer(string="Bank lines", readonly=True)
    auto_count = fields.Integer(string="Automatic", readonly=True)
    manual_count = fields.Integer(string="By a person", readonly=True)
    queued_count = fields.Integer(string="Queued", readonly=True)
    reversed_count = fields.Integer(
        string="Reversed", readonly=True, help="Bank lines of which a person reversed an applied match.")
    auto_rate = fields.Float(string="Automatic (%)", readonly=True, aggregator="avg",
                             help="Share of the bank lines applied without a person.")
    reversed_rate = fields.Float(string="Reversed (%)", readonly=True, aggregator="avg",
                                 help="Share of the bank lines of which a person reversed a match.")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT st.id, st.id AS statement_line_id, move.date, st.company_id, company.currency_id, st.journal_id,
                   COALESCE(applied.partner_id, best.partner_id, st.partner_id) AS partner_id,
                   COALESCE(applied.rule, best.rule, rev.rule, 'none') AS rule,
                   CASE WHEN applied.id IS NOT NULL AND applied.applied_auto THEN 'auto'
                        WHEN applied.id IS NOT NULL THEN 'manual'
                        WHEN st.is_reconciled THEN 'other'
                        WHEN st.ar_match_status = 'pending' THEN 'pending'
                        ELSE 'queued' END AS outcome,
                   COALESCE(applied.confidence, best.confidence) AS confidence,
                   st.amount, 1 AS line_count,
                   (applied.applied_auto IS TRUE)::int AS auto_count,
                   (applied.id IS NOT NULL AND applied.applied_auto IS NOT TRUE)::int AS manual_count,
                   (applied.id IS NULL AND st.is_reconciled IS NOT TRUE AND st.ar_match_status = 'queued')::int
                       AS queued_count,
                   (rev.n > 0)::int AS reversed_count,
                   CASE WHEN applied.applied_auto THEN 100.0 ELSE 0.0 END AS auto_rate,
                   CASE WHEN rev.n > 0 THEN 100.0 ELSE 0.0 END AS reversed_rate
              FROM account_bank_statement_line st
              JOIN account_move move ON move.id = st.move_id
              JOIN res_company company ON company.id = st.company_id
         LEFT JOIN LATERAL (
                    SELECT m.id, m.rule, m.applied_auto, m.confidence, m.partner_id FROM ar_cash_match m
                     WHERE m.statement_line_id = st.id AND m.state = 'applied' ORDER BY m.id DESC LIMIT 1
              ) applied ON TRUE
         LEFT JOIN LATERAL (
                    SELECT m.rule, m.confidence, m.partner_id FROM ar_cash_match m
                     WHERE m.statement_line_id = st.id AND m.state = 'proposed' ORDER BY m.rank, m.id LIMIT 1
              ) best ON TRUE
         LEFT JOIN LATERAL (
                    SELECT count(*) AS n, (array_agg(m.rule ORDER BY m.id DESC))[1] AS rule FROM ar_cash_match m
                     WHERE m.statement_line_id = st.id AND m.state = 'reversed'
              ) rev ON TRUE
             WHERE st.ar_match_status IS NOT NULL AND st.company_id IN %(company_ids)s
            """,
            company_ids=tuple(self.env.companies.ids),
        )

    @api.model
    def _ar_match_rate(self, date_from=None, date_to=None):
        """The match-rate KPI of the current companies' bank lines dated in the period (for the
        collections dashboard): lines seen, applied automatically, by a person, queued, reversed,
        and the automatic share of the lines decided (in percent; None without any).

        :return: {"lines", "automatic", "manual", "queued", "reversed", "automatic_rate"}
        """
        domain = [("outcome", "!=", "pending")]
        if date_from:
            domain.append(("date", ">=", date_from))
        if date_to:
            domain.append(("date", "<=", date_to))
        [(lines, automatic, manual, queued, reversed_)] = self._read_group(
            domain, aggregates=["line_count:sum", "auto_count:sum", "manual_count:sum", "queued_count:sum",
                                "reversed_count:sum"])
        return {
            "lines": lines or 0, "automatic": automatic or 0, "manual": manual or 0, "queued": queued or 0,
            "reversed": reversed_ or 0,
            "automatic_rate": round(100.0 * automatic / lines, 1) if lines else None,
        }
