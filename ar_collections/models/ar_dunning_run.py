import logging
import time
from collections import defaultdict

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, split_every

_logger = logging.getLogger(__name__)

# Customers decided per batch: one batch is a few seconds of work and one transaction,
# far below the cron time limits, and a killed batch loses only itself.
BATCH_SIZE = 200
# A manual run works in the request for at most this long, then leaves the rest to the cron.
MANUAL_RUN_SECONDS = 10
# A run may look ahead this far (a forward-looking check is reviewed, never sent).
MAX_LOOKAHEAD_DAYS = 366
# Fields of a run a collector writes through its form: the proposals (ar.dunning.run.line
# checks which of their fields).
REVIEW_FIELDS = {"line_ids"}


class ArDunningRun(models.Model):
    """A dunning run of one company on one day: decides which invoices reached which
    level and queues one reminder per customer and channel.

    A run walks the company's customers in id order, one batch per call, remembering
    the last customer decided (``cursor_partner_id``) in the same transaction as the
    reminders it queued. Killed at any point, it resumes after the last committed
    batch; the unique index on the dunning log makes a repeated decision impossible.

    A run in review mode stores what it decided as proposals (``ar.dunning.run.line``)
    instead of queuing them and waits in ``review``; its "Send" queues the proposals the
    collector kept through the same ``_ar_queue``. Its date is the controlling date: the
    engine decides as of that day (a past day, or a future one to look ahead, which can
    only be reviewed).
    """

    _name = "ar.dunning.run"
    _description = "Dunning Run"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    trigger = fields.Selection([("cron", "Scheduled"), ("manual", "Manual")], required=True,
                               default="manual", readonly=True)
    user_id = fields.Many2one("res.users", string="Started by", readonly=True)
    mode = fields.Selection([("send", "Send"), ("review", "Review first")], default="send", required=True,
                            readonly=True, help="Review first: the reminders are proposed, and queued only "
                                                "when a collector sends them.")
    state = fields.Selection([("running", "Running"), ("review", "To review"), ("done", "Done"),
                              ("cancelled", "Cancelled")], default="running",
                             required=True, readonly=True, index=True)
    partner_ids = fields.Many2many("res.partner", "ar_dunning_run_partner_rel", "run_id", "partner_id",
                                   string="Only these customers", readonly=True,
                                   help="Empty: every customer of the company.")
    line_ids = fields.One2many("ar.dunning.run.line", "run_id", string="Proposals")
    line_count = fields.Integer(compute="_compute_line_count", string="Proposals to send")
    is_future = fields.Boolean(compute="_compute_is_future",
                               help="The run looks ahead to a future day: it can be reviewed, not sent.")
    date_done = fields.Datetime(readonly=True)
    cursor_partner_id = fields.Integer(readonly=True, help="Technical: last customer decided.")
    partner_total = fields.Integer(string="Customers to check", readonly=True)
    partner_done = fields.Integer(string="Customers checked", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    message_ids = fields.One2many("ar.dunning.message", "run_id", string="Reminders", readonly=True)
    log_ids = fields.One2many("ar.dunning.log", "run_id", readonly=True)
    message_count = fields.Integer(compute="_compute_counts")
    invoice_count = fields.Integer(compute="_compute_counts", string="Invoices chased")
    failed_count = fields.Integer(compute="_compute_counts", string="Reminders not sent")
    sender_warning = fields.Char(compute="_compute_sender_warning",
                                 help="Why the run's email reminders would be refused, before they are sent.")

    def init(self):
        # One running run per company: concurrent workers share it instead of starting twins.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS ar_dunning_run_one_running
                ON ar_dunning_run (company_id) WHERE state = 'running'
        """)

    @api.depends("company_id", "date")
    def _compute_name(self):
        for run in self:
            run.name = f"{run.date} · {run.company_id.name}"

    @api.depends("partner_total", "partner_done", "state")
    def _compute_progress(self):
        for run in self:
            if run.state == "done" or not run.partner_total:
                run.progress = 100.0 if run.state == "done" else 0.0
            else:
                run.progress = min(100.0, 100.0 * run.partner_done / run.partner_total)

    def _compute_line_count(self):
        counts = dict(self.env["ar.dunning.run.line"]._read_group(
            [("run_id", "in", self.ids), ("state", "=", "draft"), ("excluded", "=", False),
             ("skip_reason", "=", False)], ["run_id"], ["__count"]))
        for run in self:
            run.line_count = counts.get(run, 0)

    @api.depends("date")
    @api.depends_context("tz")
    def _compute_is_future(self):
        today = fields.Date.context_today(self)
        for run in self:
            run.is_future = run.date > today

    @api.depends("state", "company_id.email")
    def _compute_sender_warning(self):
        for run in self:
            run.sender_warning = run.state in ("running", "review") and run.company_id._ar_reminder_sender_warning()

    def _compute_counts(self):
        messages = dict(self.env["ar.dunning.message"]._read_group(
            [("run_id", "in", self.ids)], ["run_id"], ["__count"]))
        invoices = dict(self.env["ar.dunning.log"]._read_group(
            [("run_id", "in", self.ids)], ["run_id"], ["invoice_id:count_distinct"]))
        failed = dict(self.env["ar.dunning.message"]._read_group(
            [("run_id", "in", self.ids), ("state", "=", "failed")], ["run_id"], ["__count"]))
        for run in self:
            run.message_count = messages.get(run, 0)
            run.invoice_count = invoices.get(run, 0)
            run.failed_count = failed.get(run, 0)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def write(self, vals):
        # Collectors edit the proposals in the run's form: the web client saves them through
        # the run, as updates of existing lines only; the run itself is written by the engine.
        if not self.env.su:
            if set(vals) - REVIEW_FIELDS:
                raise AccessError(self.env._("A reminder run is changed by its buttons only."))
            for command in vals.get("line_ids", []):
                if command[0] not in (fields.Command.UPDATE, fields.Command.LINK) \
                        or command[1] not in self.line_ids.ids:
                    raise AccessError(self.env._("Proposals of a run can be changed, not added or removed."))
        return super().write(vals)

    def _ar_check_reviewer(self, company=None):
        """Review runs are started and sent as superuser: only by a collector of ``company``
        (of these runs' company by default)."""
        if self.env.su:
            return
        if not self.env.user.has_group("ar_collections.group_ar_collections_user"):
            raise AccessError(self.env._("Only collectors can review and send reminders."))
        company = company or self.sudo().company_id
        if company - self.env.user.company_ids:
            raise AccessError(self.env._("You do not work in %(company)s: you cannot review or send its reminders.",
                                         company=company.sudo().name))

    def _ar_action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reminder run"),
            "res_model": "ar.dunning.run",
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _ar_start_review(self, company, date=None, partners=None):
        """Decide the reminders of ``company`` as of ``date`` (today by default), of every
        customer or of ``partners`` only, and store them as proposals to review.

        The run decides in this request (no reminder is queued, which is the costly part) and
        never holds the company's running slot: the scheduled run is not held up by it.
        """
        self._ar_check_reviewer(company)
        today = fields.Date.context_today(self)
        date = date or today
        if (date - today).days > MAX_LOOKAHEAD_DAYS:
            raise UserError(self.env._("A run can look ahead one year at most."))
        customers = (partners or self.env["res.partner"]).commercial_partner_id
        run = self.sudo().with_company(company).create({
            "company_id": company.id,
            "date": date,
            "trigger": "manual",
            "mode": "review",
            "state": "review",
            "user_id": self.env.uid,
            "partner_ids": [fields.Command.set(customers.ids)],
        })
        run.partner_total = len(run._ar_candidate_partner_ids())
        while True:
            batch = run._ar_candidate_partner_ids(limit=BATCH_SIZE)
            if not batch:
                break
            run._ar_stage(run._ar_plan_batch(batch))
            run.write({"cursor_partner_id": batch[-1], "partner_done": run.partner_done + len(batch)})
        if not run.line_ids:
            run.write({"state": "done", "date_done": fields.Datetime.now()})
        return run.with_env(self.env)

    def action_send(self):
        """Queue the proposals the collector kept, through the scheduled run's ``_ar_queue``.

        The proposals are claimed (SKIP LOCKED): a second collector pressing "Send" at the same
        time claims none and queues nothing; pressing it again finds the run sent.
        """
        self.ensure_one()
        self._ar_check_reviewer()
        if self.state != "review":
            raise UserError(self.env._("This run is not waiting for review: nothing to send."))
        if self.is_future:
            raise UserError(self.env._(
                "This run looks ahead to %(date)s: it shows what would be due then, and cannot be sent. "
                "Reminders are decided again and sent on the day.", date=fields.Date.to_string(self.date)))
        run = self.sudo()
        lines, complete = run._ar_claim_lines()
        if not lines:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {"type": "warning", "sticky": False,
                           "message": self.env._("Another user is sending this run right now.")},
            }
        to_send = lines.filtered(lambda line: not line.excluded and not line.skip_reason)
        (lines - to_send).write({"state": "skipped", "state_reason": self.env._("Not sent: excluded or paused")})
        plan = to_send._ar_plan()
        run._ar_queue(plan)
        queued = self.env["ar.dunning.run.line"].sudo().union(*(line["run_line"] for line in plan))
        queued.write({"state": "queued"})
        for line in queued.filtered("note"):
            line.partner_id.message_post(
                body=Markup("%s<br/>%s") % (
                    self.env._("Reminder “%(level)s” about %(invoice)s queued with this note:",
                               level=line.level_id.name, invoice=line.invoice_id.name),
                    line.note),
                subtype_xmlid="mail.mt_note")
        if complete:
            run.write({"state": "done", "date_done": fields.Datetime.now()})
        if plan:
            run.env.ref("ar_collections.ir_cron_dunning_dispatch")._trigger()
        return True

    def _ar_claim_lines(self):
        """Lock this run's proposals still to decide for the current transaction.

        :return: (the lines locked, whether they are all of them)
        """
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT id FROM ar_dunning_run_line WHERE run_id = %s AND state = 'draft' "
            "ORDER BY id FOR NO KEY UPDATE SKIP LOCKED", self.id))
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.env.cr.execute(SQL(
            "SELECT count(*) FROM ar_dunning_run_line WHERE run_id = %s AND state = 'draft'", self.id))
        total = self.env.cr.fetchone()[0]
        lines = self.env["ar.dunning.run.line"].browse(ids)
        lines.invalidate_recordset()
        return lines, len(ids) == total

    def action_cancel(self):
        """Abandon a run waiting for review: nothing of it is queued."""
        self._ar_check_reviewer()
        if any(run.state != "review" for run in self):
            raise UserError(self.env._("Only a run waiting for review can be cancelled."))
        self.sudo().write({"state": "cancelled", "date_done": fields.Datetime.now()})
        return True

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ar_collections.action_ar_dunning_message")
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_failed(self):
        action = self.action_view_messages()
        action["domain"] += [("state", "=", "failed")]
        return action

    def action_retry_failed(self):
        """Dispatch again the reminders of this run that failed (no sender address, a template
        error, a refused address), once the cause is fixed: their invoices keep their level
        until the customer gets it (see ``ar.dunning.engine._read_reminder_history``). Those
        waiting for the mail server's next attempt are left to the mail queue."""
        self.ensure_one()
        self._ar_check_reviewer()
        messages = self.sudo().message_ids.filtered(lambda msg: msg.state == "failed" and not msg.retry_date)
        if not messages:
            raise UserError(self.env._("No reminder of this run is waiting to be sent again."))
        messages.write({"state": "queued", "state_reason": False, "dispatch_date": False})
        messages.log_ids.filtered(lambda log: log.state == "failed")._ar_set_state("queued")
        self.env.ref("ar_collections.ir_cron_dunning_dispatch")._trigger()
        return True

    # ------------------------------------------------------------------
    # Scheduler
    # ------------------------------------------------------------------

    @api.model
    def _cron_dunning_run(self, batch_size=BATCH_SIZE):
        """Scheduled action: one bounded batch per call (Odoo 18 cron batch protocol).

        The scheduler commits after each call and calls again while ``remaining`` > 0.
        """
        done, remaining = 0, 0
        for company in self.env["res.company"].sudo().search([]):
            run = self._ar_get_run(company, trigger="cron")
            if not run:
                continue
            if done:
                remaining += max(run.partner_total - run.partner_done, 1)
                continue
            batch_done, batch_remaining = run._ar_process_batch(batch_size)
            done += batch_done
            remaining += batch_remaining
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if done:
            self.env.ref("ar_collections.ir_cron_dunning_dispatch")._trigger()

    @api.model
    def _ar_get_run(self, company, trigger="cron", new=False):
        """The running run of ``company``, else a new one.

        The scheduler starts at most one run a day; ``new`` starts a run even if one
        finished today (the "Run now" button). Returns an empty recordset when the
        scheduler has nothing to do today.
        """
        Run = self.sudo().with_company(company)
        running = Run.search([("company_id", "=", company.id), ("state", "=", "running")], limit=1)
        if running:
            return running
        today = fields.Date.context_today(self)
        # The day's run is one of every customer that was not abandoned; "send reminder now"
        # on a few customers does not stand for it.
        if not new and Run.search_count([("company_id", "=", company.id), ("date", "=", today),
                                         ("partner_ids", "=", False), ("state", "!=", "cancelled")], limit=1):
            return Run
        review = trigger == "cron" and company.ar_dunning_review_scheduled
        try:
            with self.env.cr.savepoint():
                run = Run.create({
                    "company_id": company.id,
                    "date": today,
                    "trigger": trigger,
                    "mode": "review" if review else "send",
                    "user_id": self.env.uid if trigger == "manual" else False,
                })
        except psycopg2.errors.UniqueViolation:
            # Another worker created the running run between our search and create.
            return Run.search([("company_id", "=", company.id), ("state", "=", "running")], limit=1)
        if review:
            # Yesterday's scheduled review nobody sent is out of date: today's replaces it.
            Run.search([("company_id", "=", company.id), ("trigger", "=", "cron"), ("state", "=", "review"),
                        ("id", "!=", run.id)]).write({"state": "cancelled", "date_done": fields.Datetime.now()})
        run.partner_total = len(run._ar_candidate_partner_ids())
        if not run.partner_total:
            run.write({"state": "done", "date_done": fields.Datetime.now()})
            return run if new else Run
        return run

    def _ar_claim(self):
        """Lock this run's row for the current transaction, or return False if another
        worker holds it (that worker is deciding this run's next batch)."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    "SELECT id FROM ar_dunning_run WHERE id = %s AND state = 'running' FOR NO KEY UPDATE SKIP LOCKED",
                    self.id,
                ))
                claimed = bool(self.env.cr.fetchone())
        except psycopg2.errors.SerializationFailure:
            # Another worker committed a batch after this transaction's snapshot (Odoo runs
            # REPEATABLE READ): our view of the cursor is stale, so leave this turn to it.
            return False
        if claimed:
            self.invalidate_recordset(["cursor_partner_id", "partner_done", "state"])
        return claimed

    def _ar_candidate_partner_ids(self, limit=None):
        """Customers after the cursor that have an invoice which may need a reminder,
        in id order (the order the cursor walks)."""
        self.ensure_one()
        domain = self.env["ar.dunning.engine"]._get_candidate_domain(self.company_id, self.date)
        if self.cursor_partner_id:
            domain.append(("commercial_partner_id", ">", self.cursor_partner_id))
        if self.partner_ids:
            domain.append(("commercial_partner_id", "in", self.partner_ids.ids))
        # Raw SQL around the ORM's own query: _read_group would order the groups by the
        # partners' display order, and the cursor needs them by id.
        query = self.env["account.move"].sudo()._search(domain)
        self.env.cr.execute(SQL(
            "SELECT DISTINCT sub.partner_id FROM (%s) sub ORDER BY sub.partner_id %s",
            query.select(SQL("account_move.commercial_partner_id AS partner_id")),
            SQL("LIMIT %s", limit) if limit else SQL(),
        ))
        return [row[0] for row in self.env.cr.fetchall()]

    def _ar_process_batch(self, batch_size=BATCH_SIZE):
        """Decide and queue the reminders of the next ``batch_size`` customers.

        :return: (customers decided, customers remaining after this batch)
        """
        self.ensure_one()
        if not self._ar_claim():
            return 0, max(self.partner_total - self.partner_done, 1)
        partner_ids = self._ar_candidate_partner_ids(limit=batch_size + 1)
        batch, rest = partner_ids[:batch_size], partner_ids[batch_size:]
        if batch:
            # The engine decides; the reminders it plans are queued here and dispatched by
            # ar.dunning.message through each channel's hook (or proposed, in review mode).
            plan = self._ar_plan_batch(batch)
            if self.mode == "review":
                self._ar_stage(plan)
            else:
                self._ar_queue(plan)
        values = {"cursor_partner_id": batch[-1] if batch else self.cursor_partner_id,
                  "partner_done": self.partner_done + len(batch)}
        remaining = 0
        if rest:
            remaining = max(self.partner_total - values["partner_done"], 1)
        elif self.mode == "review" and self.line_ids:
            values.update(state="review")
        else:
            values.update(state="done", date_done=fields.Datetime.now())
        self.write(values)
        _logger.info("Dunning run %s: %s customers decided, %s remaining", self.name, len(batch), remaining)
        return len(batch), remaining

    def _ar_plan_batch(self, partner_ids):
        """The engine's plan for the customers ``partner_ids`` as of the run's date."""
        engine = self.env["ar.dunning.engine"]
        invoices = self.env["account.move"].sudo().with_company(self.company_id).search_fetch(
            engine._get_candidate_domain(self.company_id, self.date) + [("commercial_partner_id", "in", partner_ids)],
            ["name", "partner_id", "commercial_partner_id", "company_id", "invoice_date_due",
             "amount_residual", "amount_residual_signed", "currency_id", "payment_state",
             "ar_dunning_policy_id", "ar_no_chase", "ar_no_chase_until", "ar_escalate_level"],
            order="commercial_partner_id, invoice_date_due, id",
        )
        return engine._plan_reminders(invoices, self.date)

    def _ar_stage(self, plan):
        """Store ``plan`` as proposals to review (review mode), paused ones included for the
        collector to see."""
        self.ensure_one()
        return self.env["ar.dunning.run.line"].sudo().create([{
            "run_id": self.id,
            "partner_id": line["partner"].id,
            "invoice_id": line["invoice"].id,
            "policy_id": line["level"].policy_id.id,
            "proposed_level_id": line["level"].id,
            "level_id": line["level"].id,
            "days_overdue": line["days_overdue"],
            "amount_residual": line["amount_residual"],
            "currency_id": line["invoice"].currency_id.id,
            "skip_reason": line["skip_reason"] or False,
        } for line in plan])

    def _ar_run_now(self, max_seconds=MANUAL_RUN_SECONDS):
        """Process batches in this request for at most ``max_seconds``; the cron finishes."""
        deadline = time.monotonic() + max_seconds
        while self.state == "running" and time.monotonic() < deadline:
            done, remaining = self._ar_process_batch()
            if not remaining:
                break
            if not done:  # another worker holds the run: let it and the cron finish
                break
        if self.state == "running":
            self.env.ref("ar_collections.ir_cron_dunning_run")._trigger()
        self.env.ref("ar_collections.ir_cron_dunning_dispatch")._trigger()

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    def _ar_insert_logs(self, rows):
        """Insert the queued logs ``[(message id, partner id, channel, plan line)]``.

        Raw SQL, measured: through create() a log cost 0.3 ms of ORM work, two thirds of
        a batch (0.65 s of 1.25 s for 2,032 logs, setup/bench.py's book); one INSERT per
        1,000 logs takes a few milliseconds. The log has no create() override or computed
        stored field to bypass; the unique index still refuses a level queued twice.
        """
        if not rows:
            return
        self.env.flush_all()
        now = fields.Datetime.now()
        company_id, user_id, uid = self.company_id.id, self.user_id.id or None, self.env.uid
        values = [(
            self.id, message_id, line["invoice"].id, partner_id, company_id, line["level"].id,
            line["level"].offset_days, channel, now, "queued", line["days_overdue"], line["amount_residual"],
            line["invoice"].currency_id.id, user_id, uid, now, uid, now,
        ) for message_id, partner_id, channel, line in rows]
        for chunk in split_every(1000, values):
            self.env.cr.execute(SQL(
                """INSERT INTO ar_dunning_log (run_id, message_id, invoice_id, partner_id, company_id, level_id,
                       level_offset, channel, date, state, days_overdue, amount_residual, currency_id, user_id,
                       create_uid, create_date, write_uid, write_date) VALUES %s""",
                SQL(", ").join(chunk),
            ))
        # The ORM did not see these rows: drop what it cached about logs (the one2many
        # lists on messages, runs, invoices and customers, and what is computed from them).
        self.env.invalidate_all()

    def _ar_queue(self, plan):
        """Create the reminders of ``plan`` (lines of ``ar.dunning.engine._plan_reminders``): one
        ``ar.dunning.message`` per customer and channel, one log per invoice and channel,
        and the escalations of the levels reached. Nothing leaves here: the dispatch
        step renders and queues the outgoing messages."""
        self.ensure_one()
        groups = defaultdict(list)
        for line in plan:
            if line["skip_reason"]:
                continue
            for channel in line["channels"]:
                groups[line["partner"].id, channel].append(line)
        if not groups:
            return self.env["ar.dunning.message"]
        # Pay links need the invoices' portal tokens: create them here, where one worker
        # at a time decides this company's batch, so that dispatching in parallel never
        # writes on invoices.
        invoices = self.env["account.move"].browse({line["invoice"].id for lines in groups.values() for line in lines})
        invoices._ar_ensure_access_tokens()
        keys = list(groups)
        messages = self.env["ar.dunning.message"].sudo().create([{
            "run_id": self.id,
            "partner_id": partner_id,
            "company_id": self.company_id.id,
            "channel": channel,
            "level_id": max((line["level"] for line in groups[partner_id, channel]),
                            key=lambda lvl: lvl.offset_days).id,
        } for partner_id, channel in keys])
        self._ar_insert_logs([
            (message.id, partner_id, channel, line)
            for message, (partner_id, channel) in zip(messages, keys, strict=True)
            for line in groups[partner_id, channel]
        ])
        # A broken promise's escalation (honoured by the engine's plan) is used up once queued.
        invoices.filtered("ar_escalate_level").sudo().write({"ar_escalate_level": False})
        escalations = {(line["partner"], line["level"]) for line in plan
                       if not line["skip_reason"] and line["level"].escalation != "none"}
        self.env["res.partner"]._ar_escalate(sorted(escalations, key=lambda pair: (pair[0].id, pair[1].id)),
                                             self.company_id)
        return messages
