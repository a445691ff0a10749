from odoo import api, models


class ArPauseSourceMixin(models.AbstractModel):
    """Extension point of the dunning engine: a reason not to chase an invoice today.

    A model that can pause reminders (disputes, promises, payment plans, customer replies,
    payments being matched, or any add-on's) inherits this mixin and implements
    ``_ar_pause_reasons``. The engine asks every such model, in ``_ar_pause_sequence``
    order, and keeps the first reason found per invoice; it knows none of them by name.
    """

    _name = "ar.pause.source.mixin"
    _description = "Dunning pause source"
    # Sources are asked in this order; the first reason of an invoice is the one shown.
    _ar_pause_sequence = 100
    # True for a source saying "the money has arrived, only its matching is pending": credit
    # control then stops counting the invoice as overdue (``ar.dunning.engine._get_payments_pending``).
    _ar_pause_means_paid = False

    @api.model
    def _ar_pause_reasons(self, invoices, today):
        """Why this source pauses some of ``invoices`` on ``today``.

        :param invoices: ``account.move`` recordset (customer invoices)
        :param today: the date the engine decides for
        :return: {invoice id: reason shown to the collector}, only for paused invoices
        """
        return {}
