from odoo import api, fields, models


class ArPauseCustomerReply(models.AbstractModel):
    """Pause source: a customer who wrote to us recently (on their own or their invoices'
    chatter, within the company's reply pause) is not chased while a collector answers."""

    _name = "ar.pause.customer.reply"
    _inherit = ["ar.pause.source.mixin"]
    _description = "Dunning pause: customer replied"
    _ar_pause_sequence = 50

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        replied = invoices._ar_customer_replies(today)
        if not replied:
            return {}
        # the invoices of those customers, grouped in SQL (not read invoice by invoice: see there)
        groups = self.env["account.move"]._read_group(
            [("id", "in", invoices.ids), ("commercial_partner_id", "in", list(replied))],
            ["commercial_partner_id"], ["id:array_agg"])
        return {
            move_id: self.env._("Customer replied on %(date)s", date=fields.Date.to_string(replied[partner.id]))
            for partner, move_ids in groups for move_id in move_ids
        }
