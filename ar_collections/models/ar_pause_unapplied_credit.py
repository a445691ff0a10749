from odoo import api, models
from odoo.tools import SQL, formatLang

from ..const import OPEN_PAYMENT_STATES


class ArPauseUnappliedCredit(models.AbstractModel):
    """Pause source: invoices the customer's own credits already settle.

    A credit note or a payment not yet applied is money the customer does not owe us: applied
    to the oldest open invoices of its currency first, it settles some of them entirely. Those
    are not chased (the collector applies the credit instead); an invoice it settles in part is
    chased, its reminder's statement nets the credit.
    """

    _name = "ar.pause.unapplied.credit"
    _inherit = ["ar.pause.source.mixin"]
    _description = "Dunning pause: settled by unapplied credits"
    _ar_pause_sequence = 45

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        credits = self._ar_read_credits(invoices)
        if not credits:
            return {}
        self.env["account.move"].flush_model([
            "commercial_partner_id", "company_id", "currency_id", "invoice_date_due", "amount_residual",
            "move_type", "state", "payment_state",
        ])
        # each open invoice of those customers with the running total of the open invoices of its
        # customer, company and currency, oldest due first: what the credits settle in that order
        self.env.cr.execute(SQL(
            """SELECT id, commercial_partner_id, company_id, currency_id, running FROM (
                   SELECT move.id, move.commercial_partner_id, move.company_id, move.currency_id,
                          SUM(move.amount_residual) OVER (
                              PARTITION BY move.commercial_partner_id, move.company_id, move.currency_id
                              ORDER BY move.invoice_date_due, move.id) AS running
                     FROM account_move move
                    WHERE move.commercial_partner_id = ANY(%(partners)s)
                      AND move.move_type = 'out_invoice' AND move.state = 'posted'
                      AND move.payment_state IN %(open)s
               ) covered
              WHERE id = ANY(%(ids)s)""",
            partners=list({key[0] for key in credits}), open=OPEN_PAYMENT_STATES, ids=invoices.ids,
        ))
        reasons = {}
        for move_id, partner_id, company_id, currency_id, running in self.env.cr.fetchall():
            credit = credits.get((partner_id, company_id, currency_id))
            if not credit:
                continue
            currency = self.env["res.currency"].browse(currency_id)
            if currency.compare_amounts(running, credit["amount"]) <= 0:
                if "reason" not in credit:
                    credit["reason"] = self.env._(
                        "Settled by credits not yet applied (%(amount)s): apply them to the invoices",
                        amount=formatLang(self.env, credit["amount"], currency_obj=currency))
                reasons[move_id] = credit["reason"]
        return reasons

    @api.model
    def _ar_read_credits(self, invoices):
        """The credits not yet applied (credit notes, payments: receivable lines left in credit)
        of the customers of ``invoices``, in one query.

        :return: {(customer id, company id, currency id): {"amount": positive amount}}
        """
        if not invoices:
            return {}
        self.env["account.move.line"].flush_model([
            "partner_id", "company_id", "currency_id", "account_id", "parent_state", "reconciled",
            "amount_residual", "amount_residual_currency",
        ])
        self.env["account.move"].flush_model(["commercial_partner_id"])
        self.env.cr.execute(SQL(
            """SELECT partner.commercial_partner_id, line.company_id, line.currency_id,
                      -SUM(line.amount_residual_currency)
                 FROM account_move_line line
                 JOIN res_partner partner ON partner.id = line.partner_id
                 JOIN account_account account ON account.id = line.account_id
                WHERE partner.commercial_partner_id IN (
                          SELECT DISTINCT commercial_partner_id FROM account_move WHERE id = ANY(%s))
                  AND account.account_type = 'asset_receivable' AND line.parent_state = 'posted'
                  AND NOT line.reconciled AND line.amount_residual < 0
             GROUP BY partner.commercial_partner_id, line.company_id, line.currency_id""",
            invoices.ids,
        ))
        return {(partner_id, company_id, currency_id): {"amount": amount}
                for partner_id, company_id, currency_id, amount in self.env.cr.fetchall()}
