from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

from ..const import OPEN_INVOICE_DOMAIN, OPEN_PAYMENT_STATES, PAID_PAYMENT_STATES


class ArDunningEngine(models.AbstractModel):
    """The dunning engine: what to chase, what not, and how.

    One reminder's way from the scheduler to the customer:

    1. ``ar.dunning.run._cron_dunning_run`` walks the company's customers in batches; for each
       batch the engine decides (:meth:`_get_candidate_domain`, :meth:`_plan_reminders`) which
       level each invoice reached and on which channels it is still to be sent;
    2. the run queues one ``ar.dunning.message`` per customer and channel (``_ar_queue``);
    3. ``ar.dunning.message._cron_dispatch`` renders each message through the hook of its
       channel, ``_ar_dispatch_<channel>``, which hands it to Odoo's mail or SMS queue (or
       creates the letter or the call activity).

    Extension points:
    - pause sources: models inheriting ``ar.pause.source.mixin`` (see there);
    - channels: a value added to ``ar.dunning.level.channel.channel`` with ``selection_add``
      and its ``_ar_dispatch_<code>`` hook on ``ar.dunning.message`` (see there).
    """

    _name = "ar.dunning.engine"
    _description = "Dunning engine"

    # ------------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------------

    @api.model
    def _get_channel_selection(self):
        """Every channel a level may use, as ``[(code, label)]`` in the order they are defined:
        the base ones and those the installed add-ons add."""
        return self.env["ar.dunning.level.channel"]._fields["channel"]._description_selection(self.env)

    # ------------------------------------------------------------------
    # Pause sources
    # ------------------------------------------------------------------

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
        reasons.update(self._ask_pause_sources(self._get_pause_sources(), pending, today))
        return reasons

    @api.model
    def _get_payments_pending(self, invoices, today=None):
        """Which of ``invoices`` are paid but not matched yet: asked of the pause sources whose
        ``_ar_pause_means_paid`` is set only (a dispute or a promise is no payment).

        :return: {invoice id: reason shown to the collector}
        """
        today = today or fields.Date.context_today(self)
        sources = [source for source in self._get_pause_sources() if source._ar_pause_means_paid]
        return self._ask_pause_sources(sources, invoices, today)

    @api.model
    def _ask_pause_sources(self, sources, invoices, today):
        """The first reason per invoice given by ``sources``, asked in turn about the invoices
        no earlier source claimed."""
        reasons = {}
        for source in sources:
            if not invoices:
                break
            for move_id, reason in source.sudo()._ar_pause_reasons(invoices, today).items():
                reasons.setdefault(move_id, reason)
            invoices = invoices.filtered(lambda move: move.id not in reasons)
        return reasons

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------

    @api.model
    def _get_candidate_domain(self, company, today):
        """Open customer invoices of ``company`` that a level may have reached on ``today``."""
        offsets = self.env["ar.dunning.level"].sudo()._read_group(
            [("company_id", "=", company.id), ("policy_id.active", "=", True)], [], ["offset_days:min"])
        earliest = offsets[0][0] if offsets and offsets[0][0] is not None else 0
        horizon = today + timedelta(days=max(0, -earliest))
        return [
            ("company_id", "=", company.id),
            *OPEN_INVOICE_DOMAIN,
            ("invoice_date_due", "<=", horizon),
        ]

    @api.model
    def _plan_reminders(self, invoices, today):
        """Decide, for each of ``invoices``, the reminder it gets on ``today``.

        The level is the highest one the invoice has reached; missed lower levels are
        skipped, not sent one per run. A level is not sent twice on a channel, nor after
        a higher level was sent.

        :return: list of dicts with the keys invoice, partner, level, channels (codes in
            sending order), days_overdue, amount_residual and skip_reason (False when it
            is to be sent)
        """
        Log = self.env["ar.dunning.log"].sudo()
        sent = defaultdict(set)
        highest_sent = {}
        for invoice, level, channel in Log._read_group(
            [("invoice_id", "in", invoices.ids), ("state", "!=", "cancelled")],
            ["invoice_id", "level_id", "channel"],
        ):
            sent[invoice.id].add((level.id, channel))
            highest_sent[invoice.id] = max(highest_sent.get(invoice.id, level.offset_days), level.offset_days)
        pauses = self._get_pause_reasons(invoices, today)
        plan = []
        # Thousands of invoices share a few (policy, days overdue) pairs: decide each pair once.
        highest_level = {}
        channels_of = {}
        policy_of = {}
        for invoice in invoices:
            # _ar_get_policy reads the customer's company-dependent policy in an environment
            # of the invoice's company: once per customer and company, not per invoice
            key = (invoice.ar_dunning_policy_id.id, invoice.commercial_partner_id.id, invoice.company_id.id)
            if key not in policy_of:
                policy_of[key] = invoice._ar_get_policy()
            policy = policy_of[key]
            days = (today - invoice.invoice_date_due).days
            if (policy, days) not in highest_level:
                highest_level[policy, days] = policy._get_levels_reached(days)[-1:] if policy else policy
            level = highest_level[policy, days]
            if policy and invoice.ar_escalate_level:
                level = self._get_escalated_level(policy, level, highest_sent.get(invoice.id))
            if not level:
                continue
            if invoice.id in highest_sent and highest_sent[invoice.id] > level.offset_days:
                continue
            if level not in channels_of:
                channels_of[level] = level._get_channels()
            channels = [channel for channel in channels_of[level] if (level.id, channel) not in sent[invoice.id]]
            if not channels:
                continue
            skip_reason = pauses.get(invoice.id, False)
            if not skip_reason and abs(invoice.amount_residual_signed) < level.min_amount:
                skip_reason = self.env._("Below the level's minimum amount")
            plan.append({
                "invoice": invoice,
                "partner": invoice.commercial_partner_id,
                "level": level,
                "channels": channels,
                "days_overdue": days,
                "amount_residual": invoice.amount_residual,
                "skip_reason": skip_reason,
            })
        return plan

    @api.model
    def _get_escalated_level(self, policy, reached, highest_sent_offset):
        """The level of ``policy`` an invoice flagged for escalation (a broken promise) gets:
        the first one above both the level ``reached`` and the highest level already sent;
        ``reached`` when there is none above."""
        floor = max(
            reached.offset_days if reached else float("-inf"),
            highest_sent_offset if highest_sent_offset is not None else float("-inf"),
        )
        above = policy.level_ids.filtered(lambda level: level.offset_days > floor).sorted("offset_days")
        return above[:1] or reached
