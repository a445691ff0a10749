from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import OPEN_INVOICE_DOMAIN, OPEN_PAYMENT_STATES, PAID_PAYMENT_STATES
from .ar_no_chase_mixin import no_chase_active


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
    def _get_pause_reasons(self, invoices, today=None, values=None):
        """Why each of ``invoices`` must not be chased on ``today``.

        The invoice's own state (paid, excluded from reminders) comes first, then each pause
        source in turn; the first reason found for an invoice is the one kept.

        :param values: the invoices' :meth:`_read_plan_values`, if already read
        :return: {invoice id: reason shown to the collector}
        """
        today = today or fields.Date.context_today(self)
        if values is None:
            values = self._read_plan_values(invoices)
        reasons = self._get_own_pause_reasons(values, today)
        pending = invoices - invoices.browse(reasons)
        reasons.update(self._ask_pause_sources(self._get_pause_sources(), pending, today))
        return reasons

    @api.model
    def _get_own_pause_reasons(self, values, today):
        """The reasons of :meth:`_get_pause_reasons` the invoices give themselves (paid, excluded,
        their customer excluded), from their :meth:`_read_plan_values`."""
        reasons = {}
        for move_id, vals in values.items():
            if vals["payment_state"] not in OPEN_PAYMENT_STATES:
                reasons[move_id] = self.env._("Paid") if vals["payment_state"] in PAID_PAYMENT_STATES else \
                    self.env._("Nothing left to pay")
            elif no_chase_active(vals["no_chase"], vals["no_chase_until"], today):
                reasons[move_id] = self.env._("Excluded from reminders: %(reason)s", reason=vals["no_chase_reason"])
            elif no_chase_active(vals["customer_no_chase"], vals["customer_no_chase_until"], today):
                reasons[move_id] = self.env._("Customer excluded from reminders: %(reason)s",
                                              reason=vals["customer_no_chase_reason"])
        return reasons

    @api.model
    def _read_plan_values(self, invoices):
        """What the plan and the pause reasons read of ``invoices`` and of their customers, in one
        query, with each invoice's policy (the rule of ``account.move._ar_get_policy``: the
        invoice's, else its customer's in the invoice's company, else the company's).

        Read field by field through the ORM, the 14,700 overdue invoices of the 100,000-invoice
        book cost the run preview 2 s (each first use of a field loaded every column of 1,000
        invoices, then 300,000 field reads); this query takes 40 ms.

        :return: {invoice id: dict of the columns}
        """
        if not invoices:
            return {}
        moves, partners = self.env["account.move"].sudo(), self.env["res.partner"].sudo()
        moves.flush_model([
            "commercial_partner_id", "company_id", "invoice_date_due", "ar_dunning_policy_id", "ar_escalate_level",
            "amount_residual", "amount_residual_signed", "payment_state", "ar_no_chase", "ar_no_chase_until",
            "ar_no_chase_reason",
        ])
        partners.flush_model(["ar_no_chase", "ar_no_chase_until", "ar_no_chase_reason"])
        self.env["res.company"].flush_model(["ar_dunning_policy_id"])
        # the customer's policy is company-dependent: the ORM's SQL of it in each company (all of
        # them: a database has a few, and reading the invoices' companies first cost a query)
        customer_policy = SQL("CASE move.company_id %s END", SQL(" ").join(
            SQL("WHEN %s THEN %s", company.id,
                partners.with_company(company)._field_to_sql("customer", "ar_dunning_policy_id"))
            for company in self.env["res.company"].sudo().with_context(active_test=False).search([])))
        self.env.cr.execute(SQL(
            """SELECT move.id, move.commercial_partner_id, move.company_id, move.invoice_date_due,
                      COALESCE(move.ar_dunning_policy_id, %(customer_policy)s, company.ar_dunning_policy_id),
                      move.ar_escalate_level, move.amount_residual, move.amount_residual_signed,
                      move.payment_state, move.ar_no_chase, move.ar_no_chase_until, move.ar_no_chase_reason,
                      customer.ar_no_chase, customer.ar_no_chase_until, customer.ar_no_chase_reason
                 FROM account_move move
                 JOIN res_company company ON company.id = move.company_id
            LEFT JOIN res_partner customer ON customer.id = move.commercial_partner_id
                WHERE move.id = ANY(%(ids)s)""",
            customer_policy=customer_policy, ids=invoices.ids,
        ))
        keys = ("partner_id", "company_id", "invoice_date_due", "policy_id", "escalate", "amount_residual",
                "amount_residual_signed", "payment_state", "no_chase", "no_chase_until", "no_chase_reason",
                "customer_no_chase", "customer_no_chase_until", "customer_no_chase_reason")
        return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in self.env.cr.fetchall()}

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
            invoices = invoices - invoices.browse(reasons)  # by id: no record built per invoice
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

        An invoice's first reminder is at most the policy's entry level, however overdue it is;
        afterwards it climbs at most one level per run, once the policy's days between reminders
        have passed since its last reminder (see :meth:`_get_stepped_level`), never above the level
        its days overdue reached. A policy set to jump to the level reached gives the highest
        level reached at once, skipping the missed ones. A broken promise escalates at once
        (:meth:`_get_escalated_level`). A level is not sent twice on a channel, nor after a
        higher level was sent.

        :return: list of dicts with the keys invoice, partner, level, channels (codes in
            sending order), days_overdue, amount_residual and skip_reason (False when it
            is to be sent)
        """
        sent, highest_sent, last_date = self._read_reminder_history(invoices)
        values = self._read_plan_values(invoices)
        pauses = self._get_pause_reasons(invoices, today, values)
        # records built once per customer and policy, sharing their prefetch (the preview reads a few)
        customers = invoices.env["res.partner"].browse({vals["partner_id"] for vals in values.values()})
        customer_of = {customer.id: customer for customer in customers}
        policies = self.env["ar.dunning.policy"].sudo().browse(
            {vals["policy_id"] for vals in values.values() if vals["policy_id"]})
        policy_of = {policy.id: policy for policy in policies}
        no_policy = self.env["ar.dunning.policy"].sudo()
        plan = []
        # Thousands of invoices share a few (policy, days overdue) pairs, and a few (policy, level
        # reached, last reminder) for the climb: decide each once; each level's figures read once.
        highest_level, stepped, escalated = {}, {}, {}
        jump_of, ladders, level_info = {}, {}, {}
        below_minimum = None
        for invoice in invoices:
            move_id = invoice.id
            vals = values[move_id]
            policy = policy_of.get(vals["policy_id"], no_policy)
            days = (today - vals["invoice_date_due"]).days
            # keyed by ids: hashing records cost more than the rest of the loop
            if (policy.id, days) not in highest_level:
                highest_level[policy.id, days] = policy._get_levels_reached(days)[-1:] if policy else policy
            level = highest_level[policy.id, days]
            if policy and policy.id not in jump_of:
                jump_of[policy.id] = policy.jump_to_reached
                ladders[policy.id] = self._get_policy_ladder(policy)
            last_offset = highest_sent.get(move_id)
            if policy and not jump_of[policy.id]:
                key = (policy.id, level.id, last_offset, last_date.get(move_id))
                if key not in stepped:
                    stepped[key] = self._get_stepped_level(ladders[policy.id], level, last_offset, key[3], today)
                level = stepped[key]
            if policy and vals["escalate"]:
                key = (policy.id, level.id, last_offset)
                if key not in escalated:
                    escalated[key] = self._get_escalated_level(policy, level, last_offset)
                level = escalated[key]
            if not level:
                continue
            if level.id not in level_info:
                level_info[level.id] = (level.offset_days, level.min_amount, level._get_channels())
            offset, min_amount, level_channels = level_info[level.id]
            if last_offset is not None and last_offset > offset:
                continue
            done = sent.get(move_id)
            channels = [channel for channel in level_channels if (level.id, channel) not in done] if done else \
                list(level_channels)
            if not channels:
                continue
            skip_reason = pauses.get(move_id, False)
            if not skip_reason and abs(vals["amount_residual_signed"] or 0.0) < min_amount:
                below_minimum = below_minimum or self.env._("Below the level's minimum amount")
                skip_reason = below_minimum
            plan.append({
                "invoice": invoice,
                "partner": customer_of[vals["partner_id"]],
                "level": level,
                "channels": channels,
                "days_overdue": days,
                "amount_residual": vals["amount_residual"] or 0.0,
                "skip_reason": skip_reason,
            })
        return plan

    @api.model
    def _get_next_reminder_date(self, invoices, today):
        """The day each of ``invoices`` gets its next reminder level under the rules of
        :meth:`_plan_reminders`, from the reminders sent so far: the day its days overdue reach
        the next level and, after a reminder, not before the policy's days between reminders
        have passed since the last one. ``today`` for an invoice whose next level is due now
        (or flagged for escalation by a broken promise). Pauses, exclusions and minimum amounts
        are not considered: ask :meth:`_get_pause_reasons` for those. The reminder log is read
        once for all ``invoices``.

        :return: {invoice id: date, or False when the invoice has no higher level to reach}
        """
        _sent, highest_sent, last_date = self._read_reminder_history(invoices)
        policy_of, ladders, dates = {}, {}, {}
        for invoice in invoices:
            policy = self._get_invoice_policy(invoice, policy_of)
            if not policy:
                dates[invoice.id] = False
                continue
            if policy not in ladders:
                ladders[policy] = self._get_policy_ladder(policy)
            levels, offsets, entry, spacing = ladders[policy]
            last_offset = highest_sent.get(invoice.id)
            # the lowest level above the highest one sent: the next the invoice can get
            index = bisect_right(offsets, last_offset) if last_offset is not None else 0
            above = levels[index] if index < len(levels) else None
            if invoice.ar_escalate_level and above:
                dates[invoice.id] = today
                continue
            if not above:
                dates[invoice.id] = False
                continue
            due = invoice.invoice_date_due
            date = due + timedelta(days=above.offset_days)
            if last_offset is not None and not policy.jump_to_reached:
                # The level sent is the one reached, up to the next level of the climb: for each
                # level it may be, the first day it is reached and the spacing has passed.
                candidate = max(above, entry, key=lambda level: level.offset_days)
                for step in levels[index:levels.index(candidate) + 1]:
                    date = max(due + timedelta(days=step.offset_days),
                               last_date[invoice.id] + timedelta(days=min(spacing, step.offset_days - last_offset)))
                    following = levels.index(step) + 1
                    if step == candidate or date < due + timedelta(days=levels[following].offset_days):
                        break
            dates[invoice.id] = max(date, today)
        return dates

    @api.model
    def _read_reminder_history(self, invoices):
        """What was sent to ``invoices``, from the reminder log (cancelled reminders do not
        count), in one query.

        A failed reminder (no sender address, mail server gone) is no reminder the customer got:
        it is not queued again (it is sent again from its run), but the climb does not count it,
        so the next level does not follow a reminder the customer never received.

        :return: ({invoice id: {(level id, channel)}}, {invoice id: offset of the highest level
            sent}, {invoice id: date of the last reminder})
        """
        sent = defaultdict(set)
        highest_sent, last_date = {}, {}
        if not invoices:
            return sent, highest_sent, last_date
        self.env["ar.dunning.log"].flush_model(["invoice_id", "level_id", "channel", "state", "date", "run_id"])
        self.env["ar.dunning.level"].flush_model(["offset_days"])
        self.env["ar.dunning.run"].flush_model(["date"])
        # A reminder's date is the day it was queued, or the day of its run when the run was for
        # a later day (a run for a chosen date): the later of the two, so that spacing is never
        # counted from a day before the customer could have received it.
        self.env.cr.execute(SQL(
            """SELECT log.invoice_id, log.level_id, log.channel, level.offset_days,
                      MAX(GREATEST(log.date::date, run.date)), BOOL_OR(log.state != 'failed')
                 FROM ar_dunning_log log
                 JOIN ar_dunning_level level ON level.id = log.level_id
            LEFT JOIN ar_dunning_run run ON run.id = log.run_id
                WHERE log.invoice_id = ANY(%s) AND log.state != 'cancelled'
             GROUP BY log.invoice_id, log.level_id, log.channel, level.offset_days""",
            invoices.ids,
        ))
        for invoice_id, level_id, channel, offset, date, reached in self.env.cr.fetchall():
            sent[invoice_id].add((level_id, channel))
            if not reached:
                continue
            highest_sent[invoice_id] = max(highest_sent.get(invoice_id, offset), offset)
            last_date[invoice_id] = max(last_date.get(invoice_id, date), date)
        return sent, highest_sent, last_date

    @api.model
    def _get_invoice_policy(self, invoice, cache):
        """The policy of ``invoice``; ``cache`` keeps it per (invoice policy, customer, company):
        ``_ar_get_policy`` reads the customer's company-dependent policy in an environment of the
        invoice's company, once per customer and company rather than per invoice."""
        key = (invoice.ar_dunning_policy_id.id, invoice.commercial_partner_id.id, invoice.company_id.id)
        if key not in cache:
            cache[key] = invoice._ar_get_policy()
        return cache[key]

    @api.model
    def _get_policy_ladder(self, policy):
        """What :meth:`_get_stepped_level` needs of ``policy``, read once per batch: (its levels
        by offset, their offsets, its entry level, its days between reminders)."""
        levels = policy.level_ids.sorted("offset_days")
        return list(levels), levels.mapped("offset_days"), policy._get_entry_level(), policy.spacing_days

    @api.model
    def _get_stepped_level(self, ladder, reached, last_offset, last_date, today):
        """The level an invoice gets on ``today`` when it climbs one level per run.

        Never reminded (``last_offset`` None): the level ``reached``, at most the entry level.
        Reminded: the next level above the highest one sent (``last_offset``), at least the entry
        level (levels before it, such as "due today", are of no use once the invoice is late), once
        the policy's days between reminders have passed since ``last_date`` (or the days between the
        two levels, when they are closer: an invoice reminded on time keeps the policy's rhythm);
        until then the level already sent. Never above ``reached``.

        :param ladder: the policy's :meth:`_get_policy_ladder`
        """
        if not reached:
            return reached
        levels, offsets, entry, spacing = ladder
        if last_offset is None:
            target = entry
        else:
            index = bisect_right(offsets, last_offset)
            if index < len(levels):
                candidate = max(levels[index], entry, key=lambda level: level.offset_days)
                step = candidate if candidate.offset_days < reached.offset_days else reached
                if step.offset_days > last_offset and \
                        (today - last_date).days >= min(spacing, step.offset_days - last_offset):
                    return step
            # not yet: the level already sent (the channels it has not used yet, if any)
            target = levels[index - 1] if index else reached.browse()
            if not target:
                return target
        return target if target.offset_days < reached.offset_days else reached

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
