from odoo import fields, models
from odoo.tools import SQL


class ArDunningEffectiveness(models.Model):
    """Do reminders work? One row per invoice and reminder level sent (the first channel's
    sending when a level goes out on several): the invoice's open amount when reminded, and
    how much of it was paid within 7 and 14 days after, by policy (the customer segment a
    policy is made for), level, industry and country. Amounts in company currency."""

    _name = "ar.dunning.effectiveness"
    _description = "Dunning Effectiveness"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "invoice_id"
    _depends = {
        "ar.dunning.log": ["invoice_id", "level_id", "message_id", "state", "date"],
        "ar.dunning.message": ["dispatch_date"],
        "ar.dunning.level": ["policy_id"],
        "account.partial.reconcile": ["amount", "credit_move_id", "debit_move_id", "max_date"],
        "account.move.line": ["account_id", "move_id", "balance"],
        "account.move": ["company_id", "commercial_partner_id", "move_type"],
        "res.partner": ["industry_id", "country_id"],
    }

    date = fields.Date(string="Reminded on", readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    policy_id = fields.Many2one("ar.dunning.policy", readonly=True)
    level_id = fields.Many2one("ar.dunning.level", readonly=True)
    reminder_count = fields.Integer(string="Reminders", readonly=True)
    reminded_amount = fields.Monetary(string="Amount reminded", readonly=True,
                                      help="Open amount of the invoice when the reminder was sent.")
    paid_7_amount = fields.Monetary(string="Paid within 7 days", readonly=True)
    paid_14_amount = fields.Monetary(string="Paid within 14 days", readonly=True)
    paid_7_rate = fields.Float(
        string="Paid within 7 days (%)", readonly=True, aggregator="avg",
        help="Share of the amount reminded paid within 7 days, averaged over the reminders.")
    paid_14_rate = fields.Float(
        string="Paid within 14 days (%)", readonly=True, aggregator="avg",
        help="Share of the amount reminded paid within 14 days, averaged over the reminders.")

    @property
    def _table_query(self):
        return SQL(
            """
            WITH reminded AS (
                SELECT MIN(log.id) AS id, log.invoice_id, log.level_id,
                       MIN(COALESCE(message.dispatch_date, log.date))::date AS date
                  FROM ar_dunning_log log
             LEFT JOIN ar_dunning_message message ON message.id = log.message_id
                 WHERE log.state = 'sent' AND log.company_id IN %(company_ids)s
              GROUP BY log.invoice_id, log.level_id
            ),
            settled AS (
                -- what each reminded invoice had settled before, and was paid in cash after, the reminder
                SELECT reminded.id,
                       SUM(partial.amount) FILTER (WHERE partial.max_date <= reminded.date) AS before,
                       SUM(partial.amount) FILTER (WHERE payment.move_type = 'entry'
                                                     AND partial.max_date > reminded.date
                                                     AND partial.max_date <= reminded.date + 7) AS paid_7,
                       SUM(partial.amount) FILTER (WHERE payment.move_type = 'entry'
                                                     AND partial.max_date > reminded.date
                                                     AND partial.max_date <= reminded.date + 14) AS paid_14
                  FROM reminded
                  JOIN account_move_line line ON line.move_id = reminded.invoice_id
                  JOIN account_partial_reconcile partial ON partial.debit_move_id = line.id
                  JOIN account_move_line payment_line ON payment_line.id = partial.credit_move_id
                  JOIN account_move payment ON payment.id = payment_line.move_id
              GROUP BY reminded.id
            ),
            receivable AS (
                SELECT reminded.id, SUM(line.balance) AS balance
                  FROM reminded
                  JOIN account_move_line line ON line.move_id = reminded.invoice_id
                  JOIN account_account account ON account.id = line.account_id
                 WHERE account.account_type = 'asset_receivable'
              GROUP BY reminded.id
            ),
            measured AS (
                SELECT reminded.id, reminded.date, reminded.invoice_id, reminded.level_id,
                       receivable.balance - COALESCE(settled.before, 0) AS reminded_amount,
                       COALESCE(settled.paid_7, 0) AS paid_7,
                       COALESCE(settled.paid_14, 0) AS paid_14
                  FROM reminded
                  JOIN receivable ON receivable.id = reminded.id
             LEFT JOIN settled ON settled.id = reminded.id
            )
            SELECT measured.id, measured.date, measured.invoice_id, invoice.company_id, company.currency_id,
                   invoice.commercial_partner_id AS partner_id, customer.industry_id, customer.country_id,
                   level.policy_id, measured.level_id, 1 AS reminder_count,
                   measured.reminded_amount,
                   LEAST(measured.paid_7, measured.reminded_amount) AS paid_7_amount,
                   LEAST(measured.paid_14, measured.reminded_amount) AS paid_14_amount,
                   100.0 * LEAST(measured.paid_7, measured.reminded_amount) / measured.reminded_amount AS paid_7_rate,
                   100.0 * LEAST(measured.paid_14, measured.reminded_amount) / measured.reminded_amount AS paid_14_rate
              FROM measured
              JOIN account_move invoice ON invoice.id = measured.invoice_id
              JOIN res_company company ON company.id = invoice.company_id
              JOIN res_partner customer ON customer.id = invoice.commercial_partner_id
              JOIN ar_dunning_level level ON level.id = measured.level_id
             WHERE measured.reminded_amount > 0
            """,
            company_ids=tuple(self.env.companies.ids),
        )
