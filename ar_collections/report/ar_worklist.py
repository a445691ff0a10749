from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..models.res_partner_followup import FOLLOWUP_STATUSES

# Late-payment probability: the share of the customer's invoices fully paid in the
# last HISTORY_DAYS that were paid after their due date, shrunk toward PRIOR_LATE_RATE
# as if the customer also had PRIOR_WEIGHT invoices paid at that rate:
#     probability = (late + PRIOR_LATE_RATE * PRIOR_WEIGHT) / (paid + PRIOR_WEIGHT)
# A new customer gets 30 %; one invoice paid late gives (1 + 0.6) / 3 = 53 %, ten paid
# on time give 0.6 / 12 = 5 %. Without the shrinkage one late invoice would make 100 %.
HISTORY_DAYS = 365
PRIOR_LATE_RATE = 0.3
PRIOR_WEIGHT = 2

# Risk bands on the probability: [0, 20 %) low, [20 %, 50 %) medium, 50 % and more high.
RISK_BANDS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
RISK_MEDIUM_FROM = 0.2
RISK_HIGH_FROM = 0.5


class ArWorklist(models.Model):
    """The collector's worklist: one row per customer and company with an overdue
    balance, ranked by expected loss (overdue amount × late-payment probability).

    A read-only SQL query evaluated at each read (``_table_query``), so that "today"
    is the user's date and every figure is up to date without a cron.
    """

    _name = "ar.worklist"
    _description = "Collections Worklist"
    _auto = False
    _order = "expected_loss desc, overdue_amount desc, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True,
                                     help="Open receivable past its due date, in the company's currency.")
    oldest_days_overdue = fields.Integer(string="Days overdue", readonly=True,
                                         help="Days since the due date of the oldest overdue invoice.")
    paid_count = fields.Integer(string="Invoices paid (365 days)", readonly=True)
    late_count = fields.Integer(string="Paid late (365 days)", readonly=True)
    late_probability = fields.Float(
        string="Late-payment probability", readonly=True, digits=(16, 4),
        help="Share of the customer's invoices fully paid in the last 365 days that were paid after "
             "their due date, shrunk toward 30 % as if two more invoices had been paid at that rate: "
             "(late + 0.6) / (paid + 2). A customer without history gets 30 %.",
    )
    expected_loss = fields.Monetary(readonly=True,
                                    help="Overdue amount × late-payment probability: the ranking of the worklist.")
    risk_band = fields.Selection(RISK_BANDS, readonly=True,
                                 help="Low below 20 % late-payment probability, high from 50 %.")
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
        "account.move.line": ["account_id", "amount_residual", "company_id", "date_maturity", "move_id",
                              "parent_state", "partner_id", "reconciled"],
        "account.move": ["amount_residual_signed", "commercial_partner_id", "company_id", "invoice_date_due",
                         "move_type", "payment_state", "state"],
        "account.partial.reconcile": ["debit_move_id", "max_date"],
        "ar.dispute": ["company_id", "invoice_ids", "is_open", "partner_id"],
        "ar.dunning.message": ["channel", "company_id", "dispatch_date", "partner_id", "state"],
        "ar.promise": ["amount", "company_id", "partner_id", "promised_date", "state"],
        "mail.activity": ["active", "activity_type_id", "date_deadline", "res_id", "res_model", "summary"],
        "mail.message": ["date", "mail_activity_type_id", "model", "record_company_id", "res_id"],
        "res.partner": ["ar_collector_id", "commercial_partner_id"],
    }

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
                   AND NOT line.reconciled
                   AND line.amount_residual != 0
                   AND line.date_maturity < %(today)s
                 GROUP BY 2, 3
                HAVING SUM(line.amount_residual) > 0
            ),
            paid AS (
                -- an invoice is paid on the latest date of its reconciliations
                SELECT partner_id, company_id, invoice_date_due, paid_on AS paid_date
                  FROM (%(paid_invoices)s) invoice
            ),
            history AS (
                SELECT partner_id, company_id,
                       COUNT(*) AS paid_count,
                       COUNT(*) FILTER (WHERE paid_date > invoice_date_due) AS late_count
                  FROM paid
                 WHERE paid_date > %(history_start)s AND paid_date <= %(today)s
                 GROUP BY 1, 2
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
            scored AS (
                SELECT overdue.*,
                       COALESCE(history.paid_count, 0) AS paid_count,
                       COALESCE(history.late_count, 0) AS late_count,
                       ((COALESCE(history.late_count, 0) + %(prior_late)s)
                        / (COALESCE(history.paid_count, 0) + %(prior_weight)s))::numeric AS late_probability
                  FROM overdue
                  LEFT JOIN history ON history.partner_id = overdue.partner_id
                                   AND history.company_id = overdue.company_id
            )
            SELECT scored.id,
                   scored.partner_id,
                   scored.company_id,
                   company.currency_id,
                   collector.id AS collector_id,
                   scored.overdue_amount,
                   %(today)s - scored.oldest_due AS oldest_days_overdue,
                   scored.paid_count,
                   scored.late_count,
                   scored.late_probability,
                   scored.overdue_amount * scored.late_probability AS expected_loss,
                   CASE WHEN scored.late_probability >= %(high)s THEN 'high'
                        WHEN scored.late_probability >= %(medium)s THEN 'medium'
                        ELSE 'low' END AS risk_band,
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
            """,
            today=today,
            paid_invoices=self.env["account.move"]._ar_paid_invoices_query(SQL(
                "(move.commercial_partner_id, move.company_id) IN (SELECT partner_id, company_id FROM overdue)")),
            history_start=today - timedelta(days=HISTORY_DAYS),
            prior_late=PRIOR_LATE_RATE * PRIOR_WEIGHT,
            prior_weight=PRIOR_WEIGHT,
            high=RISK_HIGH_FROM,
            medium=RISK_MEDIUM_FROM,
            lang=self.env.lang or "en_US",
        )

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
