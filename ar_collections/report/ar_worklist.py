from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, create_index

from ..const import OPEN_PAYMENT_STATES
from ..models.ar_pay_prediction import RISK_AGE_BUCKETS, RISK_BANDS, RISK_HIGH_FROM, RISK_MEDIUM_FROM
from ..models.res_partner_followup import FOLLOWUP_STATUSES

HISTORY_DAYS = 365
# An overdue balance without a customer invoice to score (e.g. an opening entry): even odds.
UNSCORED_PROBABILITY = 0.5


class ArWorklist(models.Model):
    """The collector's worklist: one row per customer and company with an overdue
    balance, ranked by the expected amount at risk: overdue amount × probability that it is
    still unpaid in 30 days (``ar.pay.prediction._ar_risk_query``, per invoice, weighted by
    their open amounts).

    A read-only SQL query evaluated at each read (``_table_query``), so that "today"
    is the user's date and the amounts are up to date without a cron. The probability is
    not learnt again at each reading (the whole book's history, seconds on a large book):
    each invoice scores the rate its customer had for its days overdue at the nightly
    refresh (``ar.risk.rate``); an invoice posted since scores it too, one of a customer
    without a rate the company's. The invoices paid and the customers' counts of paid
    invoices (a page's rows only) are read live.
    """

    _name = "ar.worklist"
    _description = "Collections Worklist"
    _auto = False
    _order = "amount_at_risk desc, overdue_amount desc, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True,
                                     help="Open receivable past its due date, in the company's currency.")
    oldest_days_overdue = fields.Integer(string="Days overdue", readonly=True,
                                         help="Days since the due date of the oldest overdue invoice.")
    paid_count = fields.Integer(string="Invoices paid (365 days)", compute="_compute_paid_counts")
    late_count = fields.Integer(string="Paid late (365 days)", compute="_compute_paid_counts")
    risk_probability = fields.Float(
        string="Unpaid in 30 days", readonly=True, digits=(16, 4),
        help="Probability that the overdue invoices are still not paid in full 30 days from now, "
             "learnt from the customer's invoices due in the last 365 days: among those that were as "
             "many days overdue as each of these, the share that stayed unpaid 30 more days (counted "
             "once those 30 days are over, recent ones weighing more), pulled toward the company's "
             "share as if the customer had 3 more invoices, then calibrated on what happened to the "
             "company's overdue invoices in the last three months. The mean over the overdue "
             "invoices, weighted by their open amounts. Learnt each night per customer and days "
             "overdue: an invoice posted since scores its customer's rate (the company's for a "
             "customer without history); what payments teach counts from the next night.",
    )
    amount_at_risk = fields.Monetary(
        string="Expected amount at risk", readonly=True,
        help="Overdue amount × probability that it is still unpaid in 30 days: the amount a collector's "
             "call can still move this month, and the ranking of the worklist. Not a bad-debt provision: "
             "most of it is paid later.",
    )
    risk_band = fields.Selection(
        RISK_BANDS, readonly=True,
        help="Low below 50 % probability of being still unpaid in 30 days, high from 85 % (calibrated "
             "probabilities: checked on the backtest's calibration table, setup/backtest.py). Customers "
             "in the high band are flagged at risk.",
    )
    pay_link_clicked = fields.Datetime(
        string="Pay link clicked", readonly=True,
        help="Latest click of the customer on the pay link of a reminder, for an invoice still overdue.",
    )
    clicked_not_paid = fields.Boolean(
        string="Clicked, not paid", readonly=True,
        help="The customer opened the pay link of an overdue invoice from a reminder and has not paid it.",
    )
    next_activity_date = fields.Date(string="Next action on", readonly=True)
    next_activity_summary = fields.Char(string="Next action", readonly=True)
    last_contact_date = fields.Datetime(
        string="Last contact", readonly=True,
        help="Latest reminder sent (email, SMS, letter) or call logged with this customer.",
    )
    promise_amount = fields.Monetary(string="Promised", readonly=True,
                                     help="Amount of the customer's open promises to pay.")
    promise_date = fields.Date(string="Promised for", readonly=True,
                               help="Earliest date of the customer's open promises to pay.")
    dispute_count = fields.Integer(string="Open disputes", readonly=True)
    dispute_amount = fields.Monetary(string="Disputed", readonly=True,
                                     help="Amount still due on the invoices of the open disputes.")
    # Where the reminders stand: computed for the rows shown (a page), not in the query
    followup_status = fields.Selection(FOLLOWUP_STATUSES, string="Follow-up", compute="_compute_followup",
                                       search="_search_followup_status")
    next_reminder_date = fields.Date(string="Next reminder", compute="_compute_followup")

    # Flushed before the query reads the tables.
    _depends = {
        "ar.risk.rate": ["company_id", "partner_id", "probabilities"],
        "account.move.line": ["account_id", "amount_residual", "company_id", "date_maturity", "move_id",
                              "parent_state", "partner_id", "reconciled"],
        "account.move": ["amount_residual_signed", "ar_pay_link_clicked", "commercial_partner_id", "company_id",
                         "invoice_date", "invoice_date_due", "move_type", "payment_state", "state"],
        "account.partial.reconcile": ["debit_move_id", "max_date"],
        "ar.dispute": ["company_id", "invoice_ids", "is_open", "partner_id"],
        "ar.dunning.message": ["channel", "company_id", "dispatch_date", "partner_id", "state"],
        "ar.promise": ["amount", "company_id", "partner_id", "promised_date", "state"],
        "mail.activity": ["active", "activity_type_id", "date_deadline", "res_id", "res_model", "summary"],
        "mail.message": ["date", "mail_activity_type_id", "model", "record_company_id", "res_id"],
        "res.partner": ["ar_collector_id", "commercial_partner_id"],
    }

    def init(self):
        # The open receivable items of the query, read from the index alone (a partial index
        # of the items still open, its condition as the ORM writes the domain "posted, not
        # reconciled", so that the customers' overdue amounts, "Customers to chase" and the
        # aging use it too): a scan of every journal item otherwise (0.2-0.3 s at 100,000
        # invoices, and a list reads it twice: the page and the count).
        self.env.cr.execute("DROP INDEX IF EXISTS ar_account_move_line_open_item_idx")  # its first version
        create_index(self.env.cr, "ar_account_move_line_open_items_idx", "account_move_line",
                     ["account_id", "date_maturity", "partner_id", "company_id", "amount_residual", "id", "move_id",
                      "date"],
                     where="(reconciled IS NULL OR NOT reconciled) AND parent_state = 'posted'")
        # (the open invoices' amounts by days overdue: ar_account_move_open_invoice_risk_idx, made
        # with account_move's columns in account.move's init)

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        return SQL(
            """
            WITH overdue AS (
                SELECT MIN(line.id) AS id,
                       COALESCE(partner.commercial_partner_id, partner.id) AS partner_id,
                       line.company_id,
                       SUM(line.amount_residual) AS overdue_amount,
                       MIN(line.date_maturity) FILTER (WHERE line.amount_residual > 0) AS oldest_due
                  FROM account_move_line line
                  JOIN account_account account ON account.id = line.account_id
                  JOIN res_partner partner ON partner.id = line.partner_id
                 WHERE account.account_type = 'asset_receivable'
                   AND line.parent_state = 'posted'
                   -- as the ORM writes "not reconciled", the predicate of the index of open items
                   AND (line.reconciled IS NULL OR NOT line.reconciled)
                   AND line.amount_residual != 0
                   AND line.date_maturity < %(today)s
                 GROUP BY 2, 3
                HAVING SUM(line.amount_residual) > 0
            ),
            dunned AS (
                SELECT partner_id, company_id, MAX(dispatch_date) AS last_date
                  FROM ar_dunning_message
                 WHERE state = 'sent' AND channel != 'phone'
                 GROUP BY 1, 2
            ),
            called AS (
                -- calls logged: call outcomes and call activities marked done
                SELECT msg.res_id AS partner_id, msg.record_company_id AS company_id, MAX(msg.date) AS last_date
                  FROM mail_message msg
                  JOIN mail_activity_type activity_type ON activity_type.id = msg.mail_activity_type_id
                 WHERE msg.model = 'res.partner'
                   AND activity_type.category = 'phonecall'
                   AND msg.res_id IN (SELECT partner_id FROM overdue)
                 GROUP BY 1, 2
            ),
            promise AS (
                -- promises are taken in the company's currency, the one they are made in by default
                SELECT partner_id, company_id, SUM(amount) AS amount, MIN(promised_date) AS promised_date
                  FROM ar_promise
                 WHERE state = 'open'
                 GROUP BY 1, 2
            ),
            dispute AS (
                SELECT partner_id, company_id, COUNT(*) AS dispute_count
                  FROM ar_dispute
                 WHERE is_open
                 GROUP BY 1, 2
            ),
            disputed AS (
                -- each disputed invoice once, even when it is in two open disputes
                SELECT move.commercial_partner_id AS partner_id, move.company_id,
                       SUM(move.amount_residual_signed) AS amount
                  FROM account_move move
                 WHERE move.id IN (SELECT rel.account_move_id
                                     FROM account_move_ar_dispute_rel rel
                                     JOIN ar_dispute open_dispute ON open_dispute.id = rel.ar_dispute_id
                                    WHERE open_dispute.is_open)
                 GROUP BY 1, 2
            ),
            open_invoice AS (
                -- the overdue invoices' open amounts by days overdue (a bucket of the rates)
                SELECT move.commercial_partner_id AS partner_id, move.company_id,
                       WIDTH_BUCKET(%(today)s - move.invoice_date_due, %(buckets)s::int[]) - 1 AS bucket,
                       SUM(move.amount_residual_signed) AS amount,
                       MAX(move.ar_pay_link_clicked) AS pay_link_clicked
                  FROM account_move move
                 WHERE move.move_type = 'out_invoice' AND move.state = 'posted'
                   AND move.payment_state IN %(open_states)s
                   AND move.invoice_date < %(today)s AND move.invoice_date_due < %(today)s
                   AND (move.commercial_partner_id, move.company_id) IN (SELECT partner_id, company_id FROM overdue)
              GROUP BY 1, 2, 3
            ),
            risk AS (
                -- each invoice at its customer's rate for its days overdue, else its company's
                -- (ar.risk.rate, stored by the nightly refresh), else even odds
                SELECT invoice.partner_id, invoice.company_id,
                       SUM(invoice.amount * COALESCE(
                           (COALESCE(rate.probabilities, company_rate.probabilities) ->> invoice.bucket)::float,
                           %(unscored)s))
                       / NULLIF(SUM(invoice.amount), 0) AS probability,
                       MAX(invoice.pay_link_clicked) AS pay_link_clicked
                  FROM open_invoice invoice
             LEFT JOIN ar_risk_rate rate ON rate.company_id = invoice.company_id
                                        AND COALESCE(rate.partner_id, 0) = invoice.partner_id
             LEFT JOIN ar_risk_rate company_rate ON company_rate.company_id = invoice.company_id
                                                AND COALESCE(company_rate.partner_id, 0) = 0
              GROUP BY 1, 2
            ),
            scored AS (
                SELECT overdue.*,
                       COALESCE(risk.probability, %(unscored)s)::numeric AS risk_probability,
                       risk.pay_link_clicked
                  FROM overdue
                  LEFT JOIN risk ON risk.partner_id = overdue.partner_id AND risk.company_id = overdue.company_id
            ),
            -- computed in full before the list's order and limit apply: under a LIMIT the planner
            -- trusted its estimate of a few overdue customers and nested the loops (minutes on 100k)
            worklist AS MATERIALIZED (
            SELECT scored.id,
                   scored.partner_id,
                   scored.company_id,
                   company.currency_id,
                   collector.id AS collector_id,
                   scored.overdue_amount,
                   %(today)s - scored.oldest_due AS oldest_days_overdue,
                   scored.risk_probability,
                   scored.overdue_amount * scored.risk_probability AS amount_at_risk,
                   CASE WHEN scored.risk_probability >= %(high)s THEN 'high'
                        WHEN scored.risk_probability >= %(medium)s THEN 'medium'
                        ELSE 'low' END AS risk_band,
                   scored.pay_link_clicked,
                   scored.pay_link_clicked IS NOT NULL AS clicked_not_paid,
                   next_activity.date_deadline AS next_activity_date,
                   next_activity.summary AS next_activity_summary,
                   GREATEST(dunned.last_date, called.last_date) AS last_contact_date,
                   promise.amount AS promise_amount,
                   promise.promised_date AS promise_date,
                   COALESCE(dispute.dispute_count, 0) AS dispute_count,
                   disputed.amount AS dispute_amount
              FROM scored
              JOIN res_company company ON company.id = scored.company_id
              JOIN res_partner customer ON customer.id = scored.partner_id
              -- ar_collector_id is company-dependent: a jsonb {company id: user id}
              LEFT JOIN res_users collector
                     ON collector.id = (customer.ar_collector_id ->> scored.company_id::text)::integer
              LEFT JOIN LATERAL (
                    SELECT activity.date_deadline,
                           COALESCE(NULLIF(activity.summary, ''),
                                    activity_type.name ->> %(lang)s, activity_type.name ->> 'en_US') AS summary
                      FROM mail_activity activity
                      LEFT JOIN mail_activity_type activity_type ON activity_type.id = activity.activity_type_id
                     WHERE activity.res_model = 'res.partner'
                       AND activity.res_id = scored.partner_id
                       AND activity.active
                     ORDER BY activity.date_deadline, activity.id
                     LIMIT 1
              ) next_activity ON TRUE
              LEFT JOIN dunned ON dunned.partner_id = scored.partner_id AND dunned.company_id = scored.company_id
              LEFT JOIN called ON called.partner_id = scored.partner_id AND called.company_id = scored.company_id
              LEFT JOIN promise ON promise.partner_id = scored.partner_id AND promise.company_id = scored.company_id
              LEFT JOIN dispute ON dispute.partner_id = scored.partner_id AND dispute.company_id = scored.company_id
              LEFT JOIN disputed ON disputed.partner_id = scored.partner_id
                                AND disputed.company_id = scored.company_id
            )
            SELECT * FROM worklist
            """,
            today=today,
            buckets=list(RISK_AGE_BUCKETS),
            open_states=OPEN_PAYMENT_STATES,
            unscored=UNSCORED_PROBABILITY,
            high=RISK_HIGH_FROM,
            medium=RISK_MEDIUM_FROM,
            lang=self.env.lang or "en_US",
        )

    @api.depends_context("date")
    def _compute_paid_counts(self):
        # the rows read (a page), not in the query: the whole book's payments at each reading
        today = fields.Date.context_today(self)
        counts = {}
        if self.partner_id:
            rows = self.env.execute_query(SQL(
                """
                SELECT partner_id, company_id, COUNT(*), COUNT(*) FILTER (WHERE paid_on > invoice_date_due)
                  FROM (%s) invoice
                 WHERE paid_on > %s AND paid_on <= %s
              GROUP BY 1, 2
                """,
                self.env["account.move"]._ar_paid_invoices_query(SQL(
                    "move.commercial_partner_id = ANY(%s) AND move.company_id = ANY(%s)",
                    self.partner_id.ids, self.company_id.ids)),
                today - timedelta(days=HISTORY_DAYS), today,
            ))
            counts = {(partner_id, company_id): (paid, late) for partner_id, company_id, paid, late in rows}
        for row in self:
            row.paid_count, row.late_count = counts.get((row.partner_id.id, row.company_id.id), (0, 0))

    @api.depends_context("date")
    def _compute_followup(self):
        today = fields.Date.context_today(self)
        for company in self.company_id:
            rows = self.filtered(lambda row, company=company: row.company_id == company)
            values = rows.partner_id.with_company(company)._ar_followup_values(company, today)
            for row in rows:
                status, date, _reason = values.get(row.partner_id.id, ("none", False, False))
                row.followup_status = status
                row.next_reminder_date = date

    def _search_followup_status(self, operator, value):
        # the customers' status in the current company, where the worklist is read
        return [("partner_id", "in", self.env["res.partner"]._search([("ar_followup_status", operator, value)])),
                ("company_id", "=", self.env.company.id)]

    @api.depends("partner_id", "company_id")
    def _compute_display_name(self):
        multi_company = len(self.company_id) > 1
        for row in self:
            name = row.partner_id.display_name or ""
            row.display_name = f"{name} ({row.company_id.name})" if multi_company else name

    def action_log_call(self):
        """Open the call outcome dialog for this customer."""
        self.ensure_one()
        return self.env["ar.call.outcome"]._ar_action_open(self.partner_id, self.company_id)

    def action_open_customer(self):
        """Open the customer's form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
