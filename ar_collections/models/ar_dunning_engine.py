from odoo import api, fields, models

from .account_move import OPEN_PAYMENT_STATES, PAID_PAYMENT_STATES


class ArDunningEngine(models.AbstractModel):
    """The dunning engine: what to chase, what not, and how.

    Extension points:
    - pause sources: models inheriting ``ar.pause.source.mixin`` (see there);
    """

    _name = "ar.dunning.engine"
    _description = "Dunning engine"

    @api.model
    def _get_pause_sources(self):
        """The models that may pause reminders, in the order they are asked."""
        names = self.env.registry.descendants(["ar.pause.source.mixin"], "_inherit") - {"ar.pause.source.mixin"}
        return sorted((self.env[name] for name in names), key=lambda model: (model._ar_pause_sequence, model._name))

    @api.model
    def _get_pause_reasons(self, invoices, today=None):
        """Why each of ``invoices`` must not be chased on ``today``.

        The invoice's own state (paid, excluded from reminders) comes first, then each pause
        source in turn; the first reason found for an invoice is the one kept.

        :return: {invoice id: reason shown to the collector}
        """
        today = today or fields.Date.context_today(self)
        reasons = {}
        for move in invoices:
            if move.payment_state not in OPEN_PAYMENT_STATES:
                reasons[move.id] = self.env._("Paid") if move.payment_state in PAID_PAYMENT_STATES else \
                    self.env._("Nothing left to pay")
            elif move._ar_no_chase_active(today):
                reasons[move.id] = self.env._("Excluded from reminders: %(reason)s", reason=move.ar_no_chase_reason)
            else:
                customer = move.commercial_partner_id
                if customer._ar_no_chase_active(today):
                    reasons[move.id] = self.env._("Customer excluded from reminders: %(reason)s",
                                                  reason=customer.ar_no_chase_reason)
        pending = invoices.filtered(lambda move: move.id not in reasons)
        for source in self._get_pause_sources():
            if not pending:
                break
            for move_id, reason in source.sudo()._ar_pause_reasons(pending, today).items():
                reasons.setdefault(move_id, reason)
            pending = pending.filtered(lambda move: move.id not in reasons)
        return reasons
