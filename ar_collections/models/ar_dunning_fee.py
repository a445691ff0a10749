from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .ar_dunning_level import FEE_TYPES


class ArDunningFee(models.Model):
    """A late-payment fee or interest charged on one invoice by one dunning level.

    Claimed before it is charged: a unique index allows one fee per invoice and level, and
    :meth:`_ar_charge` inserts with ``ON CONFLICT DO NOTHING``, so a reminder sent again (on
    another channel, after a failure, by a second worker) never charges twice.
    """

    _name = "ar.dunning.fee"
    _description = "Dunning Late-Payment Fee"
    _order = "date desc, id desc"

    name = fields.Char(string="Description", required=True, readonly=True)
    invoice_id = fields.Many2one("account.move", required=True, ondelete="cascade", index=True, readonly=True)
    level_id = fields.Many2one("ar.dunning.level", required=True, ondelete="restrict", index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    message_id = fields.Many2one("ar.dunning.message", string="Reminder", ondelete="set null", readonly=True)
    date = fields.Date(required=True, readonly=True)
    fee_type = fields.Selection(FEE_TYPES[1:], required=True, readonly=True)
    days = fields.Integer(string="Days late", readonly=True)
    rate = fields.Float(string="Interest (% per year)", digits=(16, 4), readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    fee_move_id = fields.Many2one("account.move", string="Fee invoice", ondelete="set null", index="btree_not_null",
                                  readonly=True)

    def init(self):
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS ar_dunning_fee_invoice_level_uniq
                ON ar_dunning_fee (invoice_id, level_id)
        """)

    @api.model
    def _ar_expected(self, pairs, date):
        """The fees the levels would charge on ``date``, not yet charged, for ``pairs`` of
        (invoice, level): what a reminder at that level states and invoices.

        Fee invoices bear no fee; a level charges an invoice once; interest runs from the last
        interest charged on the invoice.

        :return: ``{(invoice id, level id): ar.dunning.fee values}``
        """
        pairs = [(invoice, level) for invoice, level in pairs if level.fee_type != "none"]
        if not pairs:
            return {}
        invoices = self.env["account.move"].union(*(invoice for invoice, _level in pairs))
        fee_moves = set(self.sudo().search([("fee_move_id", "in", invoices.ids)]).fee_move_id.ids)
        charged, since = set(), {}
        for fee in self.sudo().search([("invoice_id", "in", invoices.ids)]):
            charged.add((fee.invoice_id.id, fee.level_id.id))
            if fee.fee_type == "interest":
                since[fee.invoice_id.id] = max(fee.date, since.get(fee.invoice_id.id, fee.date))
        expected = {}
        for invoice, level in pairs:
            key = (invoice.id, level.id)
            if invoice.id in fee_moves or key in charged or key in expected:
                continue
            if vals := level._ar_fee_values(invoice, date, since.get(invoice.id)):
                expected[key] = vals
        return expected

    @api.model
    def _ar_expected_for_plan(self, plan, date):
        """The fees the reminders of ``plan`` (lines of ``ar.dunning.engine._plan_reminders``) charge
        on ``date``: a reminder (one per customer and channel, see ``ar.dunning.run._ar_queue``)
        charges its invoices at its level, the highest of its lines.

        :return: ``{invoice id: [ar.dunning.fee values]}``
        """
        # a reminder's level is one of its lines': none of them charging, nothing to group (the run
        # preview of a large book plans thousands of lines, most often under levels without fees)
        levels = {line["level"] for line in plan if not line["skip_reason"]}
        if all(level.fee_type == "none" for level in levels):
            return {}
        groups = defaultdict(list)
        for line in plan:
            if not line["skip_reason"]:
                for channel in line["channels"]:
                    groups[line["partner"].id, channel].append(line)
        pairs = []
        for lines in groups.values():
            level = max((line["level"] for line in lines), key=lambda lvl: lvl.offset_days)
            pairs += [(line["invoice"], level) for line in lines]
        by_invoice = defaultdict(list)
        for vals in self._ar_expected(pairs, date).values():
            by_invoice[vals["invoice_id"]].append(vals)
        return by_invoice

    @api.model
    def _ar_charge(self, message, invoices):
        """Charge the fees of ``message``'s level on ``invoices`` (those not charged yet) and,
        when the level says so, invoice them to the customer.

        :return: the fees claimed by this call
        """
        level = message.level_id
        if level.fee_type == "none" or not invoices:
            return self.browse()
        today = fields.Date.context_today(self)
        values = list(self._ar_expected([(invoice, level) for invoice in invoices], today).values())
        fees = self.sudo().browse()
        if values:
            self.env.flush_all()
            now, uid = fields.Datetime.now(), self.env.uid
            partner, company = message.partner_id.commercial_partner_id, message.company_id
            rows = [SQL("(%s)", SQL(", ").join([
                vals["name"], vals["invoice_id"], vals["level_id"], partner.id, company.id, message.id, vals["date"],
                vals["fee_type"], vals["days"], vals["rate"], vals["amount"], vals["currency_id"], uid, now, uid, now,
            ])) for vals in values]
            self.env.cr.execute(SQL(
                """INSERT INTO ar_dunning_fee (name, invoice_id, level_id, partner_id, company_id, message_id, date,
                       fee_type, days, rate, amount, currency_id, create_uid, create_date, write_uid, write_date)
                   VALUES %s ON CONFLICT (invoice_id, level_id) DO NOTHING RETURNING id""",
                SQL(", ").join(rows)))
            fees = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if level.fee_charge == "invoice":
            # With those of an earlier dispatch of this reminder whose fee invoice was cancelled
            # (an invoice of it paid before it was sent, see _ar_cancel_unsent).
            uninvoiced = self.sudo().search([("message_id", "=", message.id), ("invoice_id", "in", invoices.ids),
                                             ("fee_move_id", "=", False)])
            if fees | uninvoiced:
                (fees | uninvoiced)._ar_create_fee_invoices(level.fee_product_id)
        return fees

    def _ar_cancel_unsent(self):
        """Withdraw these fees: their reminder was not sent for their invoice (paid or paused
        between the charge and the send), so the customer is never told of them.

        Their fee invoices are cancelled (reversed by a credit note when they can no longer be
        reset to draft); the other fees of those invoices are invoiced again when their reminder
        is dispatched again. The fees themselves are deleted: a later reminder that is sent
        may charge them.
        """
        # A fee invoice the customer paid already is theirs: kept, with its fees.
        kept = self.fee_move_id.filtered(lambda move: move.state == "posted" and move.payment_state != "not_paid")
        moves = self.fee_move_id.filtered(lambda move: move.state == "posted") - kept
        for move in moves:
            try:
                with self.env.cr.savepoint():
                    move.button_cancel()
            except UserError:  # a locked (hashed) entry: undone by a credit note instead
                move._reverse_moves([{"ref": self.env._("Late-payment fee withdrawn: reminder not sent")}],
                                    cancel=True)
        self.sudo().search([("fee_move_id", "in", moves.ids), ("id", "not in", self.ids)]).fee_move_id = False
        self.filtered(lambda fee: fee.fee_move_id.id not in kept.ids).sudo().unlink()

    def _ar_create_fee_invoices(self, product):
        """One posted customer invoice per customer and currency, one line of ``product`` per fee."""
        groups = defaultdict(lambda: self.browse())
        for fee in self:
            groups[fee.partner_id, fee.company_id, fee.currency_id] |= fee
        Move = self.env["account.move"].sudo()
        for (partner, company, currency), fees in groups.items():
            move = Move.with_company(company).create({
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": company.id,
                "currency_id": currency.id,
                "invoice_date": fees[0].date,
                "invoice_origin": ", ".join(fees.invoice_id.mapped("name")),
                "invoice_line_ids": [Command.create({
                    "product_id": product.id, "name": fee.name, "quantity": 1, "price_unit": fee.amount,
                }) for fee in fees],
            })
            move.action_post()
            fees.fee_move_id = move
