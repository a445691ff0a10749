import re

from odoo import api, fields, models
from odoo.tools import SQL, format_date

AGING_BUCKETS = [
    ("not_due", "Not due"),
    ("1_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("90_plus", "90+ days"),
]

# The context keys that change a partner's display name (res.partner's _compute_display_name,
# website's): under any of them the names are computed as usual.
PARTNER_NAME_CONTEXT_KEYS = ("show_address", "partner_show_db_id", "address_inline", "show_email", "show_vat",
                             "display_website")

# What the as-of queries read; flushed before each query (see BaseModel._table_sql).
OPEN_LINES_DEPENDS = {
    "account.move.line": [
        "account_id", "amount_residual", "balance", "company_id", "date", "date_maturity", "move_id",
        "parent_state", "partner_id", "reconciled",
    ],
    "account.partial.reconcile": ["amount", "credit_move_id", "debit_move_id", "max_date"],
    "account.move": ["invoice_date", "move_type"],
    "account.account": ["account_type"],
    "res.partner": ["commercial_partner_id"],
}


def open_receivable_lines_sql(dates, company_ids):
    """SQL of the receivable journal items open on each of ``dates``, with their
    open amount on that date in company currency.

    The open amount of an item on date D is its balance minus the reconciliations
    (``account.partial.reconcile``) whose ``max_date`` is on or before D: a payment
    made after D does not reduce D's receivable. Only items of posted entries dated
    on or before D count (invoices, credit notes, and also unapplied payments, so the
    total equals the receivable balance of the ledger on D).

    Raw SQL because the ORM cannot subtract the reconciliations of a date from each
    item in one query; columns: as_of_date, line_id, company_id, partner_id
    (commercial), move_id, account_id, date, date_maturity, amount_residual (items
    fully open or fully settled on D included; filter on amount_residual).

    :param dates: list of ``date``
    :param company_ids: tuple of company ids (non-empty)
    """
    return SQL(
        """
        WITH late_partial AS (
            -- the reconciliations after the first date: an item's open amount on an earlier date
            -- is today's residual plus those taken off it (debit) minus those added (credit)
            SELECT partial.debit_move_id AS id, partial.max_date, partial.amount
              FROM account_partial_reconcile partial
             WHERE partial.max_date > %(first_date)s
         UNION ALL
            SELECT partial.credit_move_id, partial.max_date, -partial.amount
              FROM account_partial_reconcile partial
             WHERE partial.max_date > %(first_date)s
        ),
        late AS (
            SELECT DISTINCT id FROM late_partial
        ),
        receivable AS (
            -- the items open today (read from the index of open items alone: its condition as
            -- the ORM writes "not reconciled", see ar.worklist), then those reconciled since the
            -- first date: an OR of the two read every journal item
            SELECT aml.id, aml.company_id, aml.partner_id, aml.move_id, aml.account_id, aml.date,
                   aml.date_maturity, aml.amount_residual
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
             WHERE aml.parent_state = 'posted'
               AND (aml.reconciled IS NULL OR NOT aml.reconciled)
               AND account.account_type = 'asset_receivable'
               AND aml.company_id IN %(company_ids)s
               AND aml.date <= %(last_date)s
         UNION ALL
            SELECT aml.id, aml.company_id, aml.partner_id, aml.move_id, aml.account_id, aml.date,
                   aml.date_maturity, aml.amount_residual
              FROM late
              JOIN account_move_line aml ON aml.id = late.id
              JOIN account_account account ON account.id = aml.account_id
             WHERE aml.parent_state = 'posted'
               AND aml.reconciled
               AND account.account_type = 'asset_receivable'
               AND aml.company_id IN %(company_ids)s
               AND aml.date <= %(last_date)s
        ),
        undone AS (
            -- per item and date, the reconciliations made after that date (hash-joined, no
            -- lookup per item)
            SELECT as_of.as_of_date, late_partial.id, SUM(late_partial.amount) AS amount
              FROM unnest(%(dates)s::date[]) AS as_of(as_of_date)
              JOIN late_partial ON late_partial.max_date > as_of.as_of_date
          GROUP BY 1, 2
        )
        SELECT as_of.as_of_date,
               line.id AS line_id,
               line.company_id,
               COALESCE(partner.commercial_partner_id, line.partner_id) AS partner_id,
               line.move_id,
               line.account_id,
               line.date,
               COALESCE(line.date_maturity, line.date) AS date_maturity,
               -- the residual is the balance minus every reconciliation, in company currency
               line.amount_residual + COALESCE(undone.amount, 0) AS amount_residual
          FROM unnest(%(dates)s::date[]) AS as_of(as_of_date)
          JOIN receivable line ON line.date <= as_of.as_of_date
     LEFT JOIN undone ON undone.id = line.id AND undone.as_of_date = as_of.as_of_date
     LEFT JOIN res_partner partner ON partner.id = line.partner_id
        """,
        company_ids=tuple(company_ids),
        dates=list(dates),
        first_date=min(dates),
        last_date=max(dates),
    )


def open_balances_sql(dates, company_ids):
    """SQL of the receivable open on each of ``dates`` per customer (commercial partner) and
    company: columns company_id, partner_id, date, open_amount, overdue_amount (overdue: due
    before the date); the sums of :func:`open_receivable_lines_sql` per customer, rows with
    both amounts zero left out.

    An item's balance counts from its date, each reconciliation from its own date (taken off
    its debit item, added to its credit item). Instead of joining each of these amounts to
    every date on or after it, each goes to the first date it counts on (for the overdue
    amount, the first date after the due date too) and the dates' figures are running totals
    of those (a window function): the work grows with the items, not items x dates.

    :param dates: list of ``date``
    :param company_ids: tuple of company ids (non-empty)
    """
    dates = sorted(set(dates))
    return SQL(
        """
        WITH item AS (
            SELECT line.id, line.company_id, COALESCE(partner.commercial_partner_id, line.partner_id) AS partner_id,
                   line.date, COALESCE(line.date_maturity, line.date) AS maturity, line.balance
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
         LEFT JOIN res_partner partner ON partner.id = line.partner_id
             WHERE line.parent_state = 'posted'
               AND account.account_type = 'asset_receivable'
               AND line.company_id IN %(company_ids)s
               AND line.date <= %(last_date)s
               -- items settled before the first date are zero on every date
               AND (NOT line.reconciled OR line.id IN (
                    SELECT late.debit_move_id FROM account_partial_reconcile late
                     WHERE late.max_date > %(first_date)s
                    UNION ALL
                    SELECT late.credit_move_id FROM account_partial_reconcile late
                     WHERE late.max_date > %(first_date)s))
        ),
        flow AS (
            SELECT company_id, partner_id, date, maturity, balance AS amount FROM item
         UNION ALL
            SELECT item.company_id, item.partner_id, partial.max_date, item.maturity, -partial.amount
              FROM item JOIN account_partial_reconcile partial ON partial.debit_move_id = item.id
             WHERE partial.max_date <= %(last_date)s
         UNION ALL
            SELECT item.company_id, item.partner_id, partial.max_date, item.maturity, partial.amount
              FROM item JOIN account_partial_reconcile partial ON partial.credit_move_id = item.id
             WHERE partial.max_date <= %(last_date)s
        ),
        placed AS (
            -- rank of the first date on or after the amount's date, and after its due date
            -- partner 0 for the items without one: the joins below stay hash joins
            SELECT company_id, COALESCE(partner_id, 0) AS partner_id, amount,
                   width_bucket(date - 1, %(dates)s::date[]) + 1 AS open_rank,
                   GREATEST(width_bucket(date - 1, %(dates)s::date[]), width_bucket(maturity, %(dates)s::date[])) + 1
                       AS overdue_rank
              FROM flow
        ),
        delta AS (
            SELECT company_id, partner_id, open_rank AS rank, SUM(amount) AS open_delta, 0 AS overdue_delta
              FROM placed GROUP BY 1, 2, 3
         UNION ALL
            SELECT company_id, partner_id, overdue_rank, 0, SUM(amount)
              FROM placed WHERE overdue_rank <= %(count)s GROUP BY 1, 2, 3
        ),
        running AS (
            SELECT customer.company_id, customer.partner_id, step.rank,
                   SUM(SUM(delta.open_delta)) OVER customer_ranks AS open_amount,
                   SUM(SUM(delta.overdue_delta)) OVER customer_ranks AS overdue_amount
              FROM (SELECT DISTINCT company_id, partner_id FROM delta) customer
             CROSS JOIN generate_series(1, %(count)s) AS step(rank)
         LEFT JOIN delta ON delta.company_id = customer.company_id
                        AND delta.partner_id = customer.partner_id AND delta.rank = step.rank
          GROUP BY 1, 2, 3
            WINDOW customer_ranks AS (PARTITION BY customer.company_id, customer.partner_id ORDER BY step.rank)
        )
        SELECT running.company_id, NULLIF(running.partner_id, 0) AS partner_id, (%(dates)s::date[])[running.rank] AS date,
               running.open_amount, running.overdue_amount
          FROM running
         WHERE running.open_amount <> 0 OR running.overdue_amount <> 0
        """,
        company_ids=tuple(company_ids),
        dates=dates,
        count=len(dates),
        first_date=dates[0],
        last_date=dates[-1],
    )


def aging_bucket_sql(days):
    """SQL CASE giving the aging bucket key of ``days`` past due (an SQL expression)."""
    return SQL(
        """CASE WHEN %(days)s <= 0 THEN 'not_due'
                WHEN %(days)s <= 30 THEN '1_30'
                WHEN %(days)s <= 60 THEN '31_60'
                WHEN %(days)s <= 90 THEN '61_90'
                ELSE '90_plus' END""",
        days=days,
    )


class ArAgingReport(models.Model):
    """Receivable aging as of a date: one row per open receivable item (invoice
    instalment, credit note, unapplied payment) of the allowed companies, in company
    currency. The date comes from the context key ``ar_aging_date`` (default today);
    open it through :meth:`_ar_action` or the "Aging as of" wizard."""

    _name = "ar.aging.report"
    _description = "Receivable Aging"
    _auto = False
    _rec_name = "move_id"
    _order = "partner_id, date_maturity, id"
    _depends = OPEN_LINES_DEPENDS

    as_of_date = fields.Date(string="As of", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    move_type = fields.Selection(
        selection=lambda self: self.env["account.move"]._fields["move_type"].selection,
        string="Type", readonly=True,
    )
    account_id = fields.Many2one("account.account", readonly=True)
    date = fields.Date(string="Accounting date", readonly=True)
    invoice_date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due date", readonly=True)
    days_overdue = fields.Integer(string="Days past due", readonly=True, aggregator=False)
    aging_bucket = fields.Selection(AGING_BUCKETS, string="Aging", readonly=True)
    amount_residual = fields.Monetary(string="Open", readonly=True)
    amount_not_due = fields.Monetary(string="Not due", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90", readonly=True)
    amount_90_plus = fields.Monetary(string="90+", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)

    @api.model
    def _ar_as_of_date(self):
        return fields.Date.to_date(self.env.context.get("ar_aging_date")) or fields.Date.context_today(self)

    @property
    def _table_query(self):
        # Rows depend on the as-of date of the context: records read under two dates
        # in one transaction share ids, read them through _read_group or invalidate.
        as_of = self._ar_as_of_date()
        days = SQL("(line.as_of_date - line.date_maturity)")
        amount = SQL("line.amount_residual")

        def in_bucket(key):
            return SQL("CASE WHEN %s = %s THEN %s ELSE 0 END", aging_bucket_sql(days), key, amount)

        return SQL(
            """
            SELECT line.line_id AS id,
                   line.as_of_date,
                   line.company_id,
                   company.currency_id,
                   line.partner_id,
                   line.move_id,
                   move.move_type,
                   line.account_id,
                   line.date,
                   move.invoice_date,
                   line.date_maturity,
                   %(days)s AS days_overdue,
                   %(bucket)s AS aging_bucket,
                   %(amount)s AS amount_residual,
                   %(not_due)s AS amount_not_due,
                   %(b1)s AS amount_1_30,
                   %(b2)s AS amount_31_60,
                   %(b3)s AS amount_61_90,
                   %(b4)s AS amount_90_plus,
                   CASE WHEN %(days)s > 0 THEN %(amount)s ELSE 0 END AS amount_overdue
              FROM (%(lines)s) line
              JOIN account_move move ON move.id = line.move_id
              JOIN res_company company ON company.id = line.company_id
             WHERE line.amount_residual <> 0
            """,
            days=days,
            bucket=aging_bucket_sql(days),
            amount=amount,
            not_due=in_bucket("not_due"),
            b1=in_bucket("1_30"),
            b2=in_bucket("31_60"),
            b3=in_bucket("61_90"),
            b4=in_bucket("90_plus"),
            lines=open_receivable_lines_sql([as_of], self.env.companies.ids),
        )

    @api.model
    def _read_group_format_result(self, rows_dict, lazy_groupby):
        # The pivot's rows are the customers (6,200 on the 100,000-invoice book): res.partner
        # computes each display name alone (a new environment and the translated labels of the
        # address types per partner, ~80 µs), which was most of an opening. A customer without
        # parent nor company name is named by its name, as base does: those are set at once.
        if any(group.split(":")[0] == "partner_id" for group in lazy_groupby):
            partners = self.env["res.partner"].browse(
                {row["partner_id"].id for row in rows_dict if row.get("partner_id")})
            self._ar_set_plain_partner_names(partners.sudo())
        return super()._read_group_format_result(rows_dict, lazy_groupby)

    @api.model
    def _ar_set_plain_partner_names(self, partners):
        """Put the display names of ``partners`` that are their plain name (no parent, no company
        name, no context key changing names) in the cache; the others are left to res.partner."""
        if not partners or any(partners.env.context.get(key) for key in PARTNER_NAME_CONTEXT_KEYS):
            return
        partners.fetch(["name", "parent_id", "company_name"])
        plain = partners.filtered(lambda partner: not partner.parent_id and not partner.company_name)
        # base's formula for such a partner: its name stripped, blanks before a line break removed
        names = [re.sub(r"\s+\n", "\n", (partner.name or "").strip()).strip() for partner in plain]
        partners.env.cache.update(plain, partners._fields["display_name"], names)

    @api.model
    def _ar_action(self, as_of=None, view_mode=None):
        """Window action opening the aging of the allowed companies as of ``as_of``
        (default today), by customer, expandable by invoice."""
        as_of = as_of or fields.Date.context_today(self)
        action = self.env["ir.actions.act_window"]._for_xml_id("ar_collections.action_ar_aging_report")
        action["name"] = self.env._("Aging as of %(date)s", date=format_date(self.env, as_of))
        action["context"] = {
            "ar_aging_date": fields.Date.to_string(as_of),
            "search_default_group_partner": 1,
        }
        if view_mode:
            action["view_mode"] = view_mode
            action["views"] = [(view_id, mode) for view_id, mode in action["views"] if mode == view_mode] or \
                [(False, view_mode)]
        return action

    def action_open_move(self):
        """Open the invoice (or entry) of the aging line."""
        self.ensure_one()
        return self.move_id._get_records_action()
