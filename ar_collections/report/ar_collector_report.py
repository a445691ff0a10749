from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

# Cash received this many days after a reminder or a call counts as collected after a contact.
CONTACT_WINDOW_DAYS = 14

EVENT_KINDS = [
    ("promise", "Promise due"),
    ("cash", "Cash received"),
    ("dispute", "Dispute resolved"),
    ("reminder", "Reminder sent"),
    ("call", "Call"),
]

# A reconciliation is cash collected when it settles a posted customer invoice with a payment
# (a credit note settling an invoice collects nothing). Both sides are posted journal items:
# this never changes while the reconciliation exists (resetting either move to draft deletes it).
CASH_CONDITION = SQL("""
    invoice_line.move_id IN (SELECT id FROM account_move WHERE move_type = 'out_invoice')
    AND invoice_line.parent_state = 'posted'
    AND payment_line.move_id IN (SELECT id FROM account_move WHERE move_type = 'entry')""")


class ArCollectorReport(models.Model):
    """Collector performance: one row per event of a collector's work (a promise due, cash
    received, a dispute resolved, a reminder sent, a call logged), dated on the event, so
    that the pivot gives each collector's figures per month.

    The collector is the customer's collector in the company (Customers > Collections),
    except for calls: the person who logged the call. Rates are per-row 100/0 values
    (empty on other rows) aggregated as averages, so a pivot cell shows the share."""

    _name = "ar.collector.report"
    _description = "Collector Performance"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    _depends = {
        "ar.promise": ["company_id", "partner_id", "promised_date", "state", "amount"],
        "ar.dispute": ["company_id", "partner_id", "date_opened", "stage", "sla_breached"],
        "ar.dunning.message": ["company_id", "partner_id", "dispatch_date", "state", "channel"],
        "account.partial.reconcile": ["amount", "credit_move_id", "debit_move_id", "max_date"],
        "account.move.line": ["account_id", "move_id", "company_id", "partner_id", "parent_state"],
        "account.move": ["move_type"],
        "mail.message": ["model", "res_id", "date", "author_id", "mail_activity_type_id", "record_company_id"],
        "res.partner": ["ar_collector_id", "commercial_partner_id"],
    }

    date = fields.Date(readonly=True)
    kind = fields.Selection(EVENT_KINDS, string="Event", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    promise_count = fields.Integer(string="Promises due", readonly=True,
                                   help="Promises whose date has come: kept or broken.")
    promise_kept_count = fields.Integer(string="Promises kept", readonly=True)
    promise_kept_rate = fields.Float(string="Promises kept (%)", readonly=True, aggregator="avg",
                                     help="Kept promises among the promises due.")
    promised_amount = fields.Monetary(string="Amount promised", readonly=True)
    paid_amount = fields.Monetary(string="Cash received", readonly=True,
                                  help="Payments applied to the customers' invoices (credit notes excluded).")
    contact_paid_amount = fields.Monetary(
        string="Cash after contact", readonly=True,
        help=f"Payments received within {CONTACT_WINDOW_DAYS} days after a reminder or a call to the customer.")
    dispute_count = fields.Integer(string="Disputes resolved", readonly=True,
                                   help="Disputes resolved (by a credit note or rejected), by month opened.")
    dispute_in_sla_count = fields.Integer(string="Resolved within SLA", readonly=True)
    dispute_in_sla_rate = fields.Float(string="Resolved within SLA (%)", readonly=True, aggregator="avg")
    reminder_count = fields.Integer(string="Reminders sent", readonly=True)
    call_count = fields.Integer(string="Calls", readonly=True)

    def init(self):
        # Which reconciliations are cash, stored once each: telling them apart reads both journal
        # items and both moves of each reconciliation of the period (about 0.5 s a query on the
        # 100,000-invoice book, read twice by the pivot), the stored answer 0.1 s. No query shape
        # got there: the planner reads the whole journal item table for the payment side, and
        # forced index probes (70,000 of them for three months) still take 0.25 s.
        # A row is a cache: a reconciliation missing from it (made since the last refresh) is
        # sorted out live by the report, and each row goes with its reconciliation, partner or
        # company (on delete cascade; a partner merge moves it like any foreign key).
        self.env.cr.execute("""
            CREATE TABLE IF NOT EXISTS ar_collector_cash_partial (
                partial_id integer PRIMARY KEY REFERENCES account_partial_reconcile (id) ON DELETE CASCADE,
                company_id integer REFERENCES res_company (id) ON DELETE CASCADE,
                partner_id integer REFERENCES res_partner (id) ON DELETE CASCADE,
                is_cash boolean NOT NULL
            )""")
        # the report's periods read the reconciliations by date (three months: 12 % of them)
        create_index(self.env.cr, "ar_account_partial_reconcile_max_date_idx", "account_partial_reconcile",
                     ["max_date"])
        if self._ar_store_cash_partials():
            # the planner's figures for the new rows now, not at autovacuum's next pass
            self.env.cr.execute("ANALYZE ar_collector_cash_partial")

    @api.model
    def _ar_store_cash_partials(self):
        """Store whether each reconciliation not stored yet is cash (see CASH_CONDITION);
        return how many were stored."""
        self.env.cr.execute(SQL(
            """
            INSERT INTO ar_collector_cash_partial (partial_id, company_id, partner_id, is_cash)
            SELECT partial.id, invoice_line.company_id, invoice_line.partner_id, COALESCE(%(is_cash)s, FALSE)
              FROM account_partial_reconcile partial
              JOIN account_move_line invoice_line ON invoice_line.id = partial.debit_move_id
              JOIN account_move_line payment_line ON payment_line.id = partial.credit_move_id
             WHERE NOT EXISTS (SELECT 1 FROM ar_collector_cash_partial stored WHERE stored.partial_id = partial.id)
            ON CONFLICT DO NOTHING
            """,
            is_cash=CASH_CONDITION,
        ))
        return self.env.cr.rowcount

    @api.model
    def _cron_store_cash_partials(self):
        """Hourly: the reconciliations made since are read live until stored."""
        self._ar_store_cash_partials()

    @property
    def _table_query(self):
        return SQL(
            """
            WITH contact AS (
                SELECT partner_id, company_id, dispatch_date::date AS date
                  FROM ar_dunning_message
                 WHERE state = 'sent' AND channel != 'phone' AND dispatch_date IS NOT NULL
                UNION ALL
                SELECT msg.res_id, msg.record_company_id, msg.date::date
                  FROM mail_message msg
                  JOIN mail_activity_type activity_type ON activity_type.id = msg.mail_activity_type_id
                 WHERE msg.model = 'res.partner' AND activity_type.category = 'phonecall'
            ),
            event AS (
                SELECT 'promise' AS kind, promise.id * 8 + 1 AS id, promise.promised_date AS date,
                       promise.company_id, promise.partner_id, NULL::integer AS user_id,
                       1 AS promise_count,
                       (promise.state = 'kept')::int AS promise_kept_count,
                       CASE WHEN promise.state = 'kept' THEN 100.0 ELSE 0.0 END AS promise_kept_rate,
                       promise.amount AS promised_amount,
                       0.0 AS paid_amount, 0.0 AS contact_paid_amount,
                       0 AS dispute_count, 0 AS dispute_in_sla_count, NULL::numeric AS dispute_in_sla_rate,
                       0 AS reminder_count, 0 AS call_count
                  FROM ar_promise promise
                 WHERE promise.state IN ('kept', 'broken')
                UNION ALL
                SELECT 'cash', cash.id * 8 + 2, cash.max_date, cash.company_id, cash.partner_id, NULL,
                       0, 0, NULL, 0.0,
                       cash.amount,
                       CASE WHEN EXISTS (
                            SELECT 1 FROM contact
                             WHERE contact.partner_id = COALESCE(customer.commercial_partner_id, customer.id)
                               AND contact.company_id = cash.company_id
                               AND contact.date BETWEEN cash.max_date - %(window)s AND cash.max_date)
                            THEN cash.amount ELSE 0.0 END,
                       0, 0, NULL, 0, 0
                  FROM (
                        -- the reconciliations sorted out already (see init)
                        SELECT partial.id, partial.max_date, partial.amount, stored.company_id, stored.partner_id
                          FROM account_partial_reconcile partial
                          JOIN ar_collector_cash_partial stored ON stored.partial_id = partial.id
                         WHERE stored.is_cash
                         UNION ALL
                        -- the others (made since the last refresh), from their journal items
                        SELECT partial.id, partial.max_date, partial.amount, invoice_line.company_id, invoice_line.partner_id
                          FROM account_partial_reconcile partial
                          JOIN account_move_line invoice_line ON invoice_line.id = partial.debit_move_id
                          JOIN account_move_line payment_line ON payment_line.id = partial.credit_move_id
                         WHERE NOT EXISTS (SELECT 1 FROM ar_collector_cash_partial stored
                                            WHERE stored.partial_id = partial.id)
                           AND %(is_cash)s
                  ) cash
                  JOIN res_partner customer ON customer.id = cash.partner_id
                UNION ALL
                SELECT 'dispute', dispute.id * 8 + 3, dispute.date_opened, dispute.company_id, dispute.partner_id, NULL,
                       0, 0, NULL, 0.0, 0.0, 0.0,
                       1, (NOT COALESCE(dispute.sla_breached, FALSE))::int,
                       CASE WHEN COALESCE(dispute.sla_breached, FALSE) THEN 0.0 ELSE 100.0 END,
                       0, 0
                  FROM ar_dispute dispute
                 WHERE dispute.stage IN ('resolved_credit', 'resolved_rejected')
                UNION ALL
                SELECT 'reminder', message.id * 8 + 4, message.dispatch_date::date, message.company_id, message.partner_id,
                       NULL, 0, 0, NULL, 0.0, 0.0, 0.0, 0, 0, NULL, 1, 0
                  FROM ar_dunning_message message
                 WHERE message.state = 'sent' AND message.channel != 'phone' AND message.dispatch_date IS NOT NULL
                UNION ALL
                SELECT 'call', msg.id * 8 + 5, msg.date::date, msg.record_company_id, msg.res_id,
                       (SELECT caller.id FROM res_users caller
                         WHERE caller.partner_id = msg.author_id AND NOT caller.share
                         ORDER BY caller.id LIMIT 1),
                       0, 0, NULL, 0.0, 0.0, 0.0, 0, 0, NULL, 0, 1
                  FROM mail_message msg
                  JOIN mail_activity_type activity_type ON activity_type.id = msg.mail_activity_type_id
                 WHERE msg.model = 'res.partner' AND activity_type.category = 'phonecall'
                   AND msg.record_company_id IS NOT NULL
            )
            -- ids from the source rows (no window function: filters on the date reach each source)
            SELECT event.id,
                   event.kind, event.date, event.company_id, company.currency_id,
                   customer.id AS partner_id,
                   -- ar_collector_id is company-dependent: a jsonb {company id: user id}
                   COALESCE(event.user_id, collector.id) AS collector_id,
                   event.promise_count, event.promise_kept_count, event.promise_kept_rate, event.promised_amount,
                   event.paid_amount, event.contact_paid_amount,
                   event.dispute_count, event.dispute_in_sla_count, event.dispute_in_sla_rate,
                   event.reminder_count, event.call_count
              FROM event
              JOIN res_company company ON company.id = event.company_id
              JOIN res_partner partner ON partner.id = event.partner_id
              JOIN res_partner customer ON customer.id = COALESCE(partner.commercial_partner_id, partner.id)
         LEFT JOIN res_users collector
                ON collector.id = (customer.ar_collector_id ->> event.company_id::text)::integer
             WHERE event.company_id IN %(company_ids)s
            """,
            window=CONTACT_WINDOW_DAYS,
            is_cash=CASH_CONDITION,
            company_ids=tuple(self.env.companies.ids),
        )
