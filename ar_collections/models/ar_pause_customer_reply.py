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
        return {
            move.id: self.env._("Customer replied on %(date)s",
                                date=fields.Date.to_string(replied[move.commercial_partner_id.id]))
            for move in invoices if move.commercial_partner_id.id in replied
        }
