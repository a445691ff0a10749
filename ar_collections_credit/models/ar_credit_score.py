import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, float_round
from odoo.tools.misc import formatLang

from odoo.addons.ar_collections.const import SETTLED_PAYMENT_STATES

_logger = logging.getLogger(__name__)

HISTORY_DAYS = 365  # the window of behaviour a score looks at
RECENT_DAYS = 90  # "recent" payments, compared with the older ones for the trend
PRIOR_DAYS_LATE = 10.0  # what we assume of a customer we know nothing about...
PRIOR_LATE_SHARE = 0.30
PRIOR_WEIGHT = 2  # ...weighted as this many invoices
BATCH_SIZE = 500
# (minimum score, months of sales): the suggested limit is that many months of average sales.
LIMIT_MONTHS = ((80, 2.0), (60, 1.5), (40, 1.0), (20, 0.5))
SALES_MONTHS = 12
# Invoices counted as paid for the payment behaviour; "reversed" ones were cancelled by a credit note.
SETTLED_STATES = SETTLED_PAYMENT_STATES


class ArCreditScore(models.Model):
    """A snapshot of a customer's payment-behaviour score, with the figures it comes from.

    One record per customer and day (recomputing the same day updates it), so that the
    history shows the trend. The score looks at the
    customer's own history over the last 365 days, in all companies:

    * **days late** of the paid customer invoices (payment date, i.e. the latest reconciliation
      date of the invoice's receivable line, minus the due date, at least 0);
    * the **share** of those invoices paid after their due date;
    * the **trend**: average days late of the invoices paid in the last 90 days minus that of
      the older ones (positive: the customer is getting worse);
    * **broken promises** to pay (not cancelled, promised-until date past, an invoice of the
      promise paid after it or still unpaid), **disputes lost** (rejected), and the highest
      **dunning level** (offset in days) a reminder was sent at.

    Formula (penalties in points)::

        adjusted avg days late = (sum of days late + 2 x 10) / (paid invoices + 2)
        adjusted late share    = (invoices paid late + 2 x 30 %) / (paid invoices + 2)
        penalty days late  = min(30, 0.75 x adjusted avg days late)
        penalty late share = 25 x adjusted late share
        penalty trend      = min(10, 0.5 x max(0, trend days))
        penalty promises   = min(15, 5 x broken promises)
        penalty disputes   = min(10, 5 x disputes lost)
        penalty dunning    = min(10, max(0, highest dunning offset) / 3)
        score = round(100 - sum of penalties), clipped to 0..100

    The adjustment pulls a short history toward a prior (10 days late, 30 % paid late, worth 2
    invoices) so that one lucky invoice does not make a perfect score: a brand-new customer
    scores 85. Snapshots are written by the system only (sudo); people read them.
    """

    _name = "ar.credit.score"
    _description = "Payment Behaviour Score"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, ondelete="cascade",
                                 readonly=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True, readonly=True)
    score = fields.Integer(readonly=True, aggregator="avg",
                           help="0 (pays very badly) to 100 (pays on time): 100 minus the penalties.")

    # Payment history over the last 365 days
    paid_invoice_count = fields.Integer(string="Invoices paid", readonly=True,
                                        help="Customer invoices paid in the last 365 days.")
    late_invoice_count = fields.Integer(string="Paid late", readonly=True,
                                        help="Of the invoices paid, those paid after their due date.")
    avg_days_late = fields.Float(string="Average days late", readonly=True, aggregator="avg",
                                 help="Observed average of max(0, payment date - due date) over the invoices paid.")
    adjusted_avg_days_late = fields.Float(
        string="Average days late (adjusted)", readonly=True, aggregator="avg",
        help="(Sum of days late + 2 x 10) / (invoices paid + 2): a short history counts less.")
    late_share = fields.Float(string="Share paid late", readonly=True, aggregator="avg",
                              help="Observed share of the invoices paid after their due date.")
    adjusted_late_share = fields.Float(
        string="Share paid late (adjusted)", readonly=True, aggregator="avg",
        help="(Invoices paid late + 2 x 30 %) / (invoices paid + 2).")
    recent_invoice_count = fields.Integer(string="Paid in the last 90 days", readonly=True)
    recent_avg_days_late = fields.Float(string="Recent average days late", readonly=True,
                                        aggregator="avg", help="Over the invoices paid in the last 90 days.")
    older_avg_days_late = fields.Float(string="Older average days late", readonly=True,
                                       aggregator="avg", help="Over the invoices paid 90 to 365 days ago.")
    trend_days = fields.Float(
        string="Trend (days)", readonly=True, aggregator="avg",
        help="Recent minus older average days late; positive: paying later than before. "
        "0 unless there are both recent and older payments.")
    # Other signals over the last 365 days
    broken_promise_count = fields.Integer(string="Broken promises", readonly=True)
    lost_dispute_count = fields.Integer(string="Disputes lost", readonly=True)
    max_dunning_offset = fields.Integer(string="Highest reminder level (days)", readonly=True,
                                        help="Offset of the highest reminder level sent, 0 if none.")
    # Penalties, in points off 100
    penalty_days_late = fields.Float(readonly=True, aggregator="avg",
                                     help="min(30, 0.75 x adjusted average days late)")
    penalty_late_share = fields.Float(readonly=True, aggregator="avg",
                                      help="25 x adjusted share paid late")
    penalty_trend = fields.Float(readonly=True, aggregator="avg",
                                 help="min(10, 0.5 x max(0, trend))")
    penalty_promises = fields.Float(readonly=True, aggregator="avg",
                                    help="min(15, 5 x broken promises)")
    penalty_disputes = fields.Float(readonly=True, aggregator="avg",
                                    help="min(10, 5 x disputes lost)")
    penalty_dunning = fields.Float(readonly=True, aggregator="avg",
                                   help="min(10, highest reminder level / 3)")
    penalty_total = fields.Float(string="Total penalty", readonly=True, aggregator="avg")

    @api.depends("partner_id", "score", "date")
    def _compute_display_name(self):
        for snapshot in self:
            snapshot.display_name = f"{snapshot.partner_id.display_name or ''}: {snapshot.score} ({snapshot.date})"

    # ------------------------------------------------------------------
    # Scoring
    # ------------------------------------------------------------------

    @api.model
    def _ar_score_values(self, stats):
        """Score and penalties from the raw figures of one customer (pure computation).

        ``stats``: ``paid``, ``late``, ``days_late`` (sum), ``recent_paid``, ``recent_days_late``
        (sum), ``broken``, ``lost``, ``dunning``. Returns the snapshot values, without partner.
        """
        paid, late, days_late = stats.get("paid", 0), stats.get("late", 0), stats.get("days_late", 0.0)
        recent_paid, recent_days = stats.get("recent_paid", 0), stats.get("recent_days_late", 0.0)
        older_paid, older_days = paid - recent_paid, days_late - recent_days
        broken, lost, dunning = stats.get("broken", 0), stats.get("lost", 0), stats.get("dunning", 0)

        adjusted_avg = (days_late + PRIOR_WEIGHT * PRIOR_DAYS_LATE) / (paid + PRIOR_WEIGHT)
        adjusted_share = (late + PRIOR_WEIGHT * PRIOR_LATE_SHARE) / (paid + PRIOR_WEIGHT)
        recent_avg = recent_days / recent_paid if recent_paid else 0.0
        older_avg = older_days / older_paid if older_paid else 0.0
        # A trend needs something to compare: both recent and older payments.
        trend = recent_avg - older_avg if recent_paid and older_paid else 0.0
        penalties = {
            "penalty_days_late": min(30.0, 0.75 * adjusted_avg),
            "penalty_late_share": 25.0 * adjusted_share,
            "penalty_trend": min(10.0, 0.5 * max(0.0, trend)),
            "penalty_promises": min(15.0, 5.0 * broken),
            "penalty_disputes": min(10.0, 5.0 * lost),
            "penalty_dunning": min(10.0, max(0, dunning) / 3.0),
        }
        total = sum(penalties.values())
        # float_round rounds half up (Python's round() would round 84.5 down to 84).
        score = int(float_round(100.0 - total, precision_digits=0))
        return {
            "score": max(0, min(100, score)),
            "paid_invoice_count": paid,
            "late_invoice_count": late,
            "avg_days_late": days_late / paid if paid else 0.0,
            "adjusted_avg_days_late": adjusted_avg,
            "late_share": late / paid if paid else 0.0,
            "adjusted_late_share": adjusted_share,
            "recent_invoice_count": recent_paid,
            "recent_avg_days_late": recent_avg,
            "older_avg_days_late": older_avg,
            "trend_days": trend,
            "broken_promise_count": broken,
            "lost_dispute_count": lost,
            "max_dunning_offset": dunning,
            **penalties,
            "penalty_total": total,
        }

    @api.model
    def _ar_compute_scores(self, partners):
        """Score these customers now: one snapshot each per day, stored on the customer.

        ``partners`` are taken as their commercial partners. A fixed number of queries
        whatever the number of customers and invoices. Returns their snapshots.
        """
        partners = partners.commercial_partner_id.sudo()
        if not partners:
            return self.browse()
        today = fields.Date.context_today(self)
        stats = self._ar_collect_stats(partners, today)
        # One snapshot per customer and day: a customer paying ten invoices today updates
        # today's snapshot instead of adding ten rows to the history.
        todays = {
            snapshot.partner_id.id: snapshot
            for snapshot in self.sudo().search_fetch(
                [("partner_id", "in", partners.ids), ("date", "=", today)], ["partner_id"])
        }
        snapshots = self.sudo()
        to_create = []
        for partner in partners:
            values = self._ar_score_values(stats[partner.id])
            if partner.id in todays:
                todays[partner.id].write(values)
            else:
                to_create.append({"partner_id": partner.id, "date": today, **values})
        created = iter(self.sudo().create(to_create))
        for partner in partners:
            snapshots |= todays[partner.id] if partner.id in todays else next(created)
        for partner, snapshot in zip(partners, snapshots, strict=True):
            values = {
                "ar_credit_score": snapshot.score,
                "ar_credit_score_id": snapshot.id,
                "ar_credit_score_date": today,
            }
            if not partner.ar_credit_review_date:
                # Never reviewed: the first score is the reference a drop is measured from.
                values.update(ar_credit_review_score=snapshot.score, ar_credit_review_date=today)
            partner.write(values)
        # One batched UPDATE for all customers rather than waiting for a later flush.
        partners.flush_recordset()
        return snapshots.with_env(self.env)

    def _ar_collect_stats(self, partners, today):
        """Raw figures per commercial partner id (see :meth:`_ar_score_values`)."""
        stats = {partner.id: defaultdict(int) for partner in partners}
        since = today - timedelta(days=HISTORY_DAYS)
        recent = today - timedelta(days=RECENT_DAYS)
        since_dt = datetime.combine(since, time.min)

        for row in self._ar_payment_stats(partners, since, recent):
            partner_id, paid, late, days_late, recent_paid, recent_days_late = row
            stats[partner_id].update(paid=paid, late=late, days_late=days_late,
                                     recent_paid=recent_paid, recent_days_late=recent_days_late)
        for partner_id, broken in self._ar_broken_promises(partners, since, today):
            stats[partner_id]["broken"] = broken

        # A dispute or a reminder is on the customer (or one of its contacts): count it on the
        # commercial partner. The groups' partners are read in one prefetch.
        Dispute = self.env["ar.dispute"].sudo()
        for partner, count in Dispute._read_group(
            [("stage", "=", "resolved_rejected"), ("create_date", ">=", since_dt),
             ("partner_id.commercial_partner_id", "in", partners.ids)],
            ["partner_id"], ["__count"],
        ):
            stats[partner.commercial_partner_id.id]["lost"] += count
        Log = self.env["ar.dunning.log"].sudo()
        for partner, offset in Log._read_group(
            [("state", "=", "sent"), ("date", ">=", since_dt),
             ("partner_id.commercial_partner_id", "in", partners.ids)],
            ["partner_id"], ["level_offset:max"],
        ):
            stats[partner.commercial_partner_id.id]["dunning"] = max(
                stats[partner.commercial_partner_id.id]["dunning"], offset or 0)
        return stats

    def _ar_payment_stats(self, partners, since, recent):
        """(partner id, paid, paid late, sum of days late, paid recently, sum of their days late).

        One query over ``account.move._ar_paid_invoices_query`` (an invoice's payment date is
        the latest reconciliation of its receivable lines), aggregated per customer.
        """
        paid_invoices = self.env["account.move"]._ar_paid_invoices_query(
            SQL("move.commercial_partner_id = ANY(%s)", partners.ids))
        return self.env.execute_query(SQL(
            """
            WITH paid AS (
                SELECT partner_id, paid_on, paid_on - COALESCE(invoice_date_due, paid_on) AS delay
                  FROM (%(paid_invoices)s) invoice
                 WHERE paid_on >= %(since)s
            )
            SELECT partner_id,
                   COUNT(*),
                   COUNT(*) FILTER (WHERE delay > 0),
                   COALESCE(SUM(GREATEST(delay, 0)), 0),
                   COUNT(*) FILTER (WHERE paid_on >= %(recent)s),
                   COALESCE(SUM(GREATEST(delay, 0)) FILTER (WHERE paid_on >= %(recent)s), 0)
              FROM paid
          GROUP BY partner_id
            """,
            paid_invoices=paid_invoices, since=since, recent=recent,
        ))

    def _ar_broken_promises(self, partners, since, today):
        """(partner id, number of broken promises): not cancelled, ``pause_until`` in the
        window and past, and an invoice of it paid after ``pause_until`` or still unpaid.

        Raw SQL: payment dates per invoice, as in :meth:`_ar_payment_stats`.
        """
        Promise = self.env["ar.promise"]
        field = Promise._fields["invoice_ids"]
        Promise.flush_model(["state", "pause_until", "partner_id", "invoice_ids"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["account.move"].flush_model(["state", "payment_state"])
        paid_invoices = self.env["account.move"]._ar_paid_invoices_query(
            SQL("move.commercial_partner_id = ANY(%s)", partners.ids))
        return self.env.execute_query(SQL(
            """
            SELECT partner.commercial_partner_id, COUNT(*)
              FROM ar_promise promise
              JOIN res_partner partner ON partner.id = promise.partner_id
             WHERE promise.state != 'cancelled'
               AND promise.pause_until >= %(since)s
               AND promise.pause_until < %(today)s
               AND partner.commercial_partner_id = ANY(%(partners)s)
               AND EXISTS (
                    SELECT 1
                      FROM %(rel)s rel
                      JOIN account_move move ON move.id = rel.%(move_col)s
                 LEFT JOIN (%(paid_invoices)s) paid ON paid.id = move.id
                     WHERE rel.%(promise_col)s = promise.id
                       AND move.state = 'posted'
                       AND (move.payment_state NOT IN %(settled)s OR paid.paid_on > promise.pause_until)
               )
          GROUP BY partner.commercial_partner_id
            """,
            rel=SQL.identifier(field.relation), move_col=SQL.identifier(field.column2),
            promise_col=SQL.identifier(field.column1), settled=SETTLED_STATES, paid_invoices=paid_invoices,
            since=since, today=today, partners=partners.ids,
        ))

    @api.model
    def _ar_customer_domain(self):
        """Commercial partners that are customers."""
        return [("customer_rank", ">", 0), "|", ("is_company", "=", True), ("parent_id", "=", False)]

    @api.model
    def _cron_compute_scores(self, batch_size=BATCH_SIZE):
        """Scheduled action: score the customers not scored today, oldest scores first.

        One batch per call; the scheduler commits and calls again while some remain
        (``ir.cron._notify_progress``). A customer scored today is skipped, so a killed
        run resumes where it stopped.
        """
        today = fields.Date.context_today(self)
        Partner = self.env["res.partner"].sudo()
        domain = self._ar_customer_domain() + [
            "|", ("ar_credit_score_date", "=", False), ("ar_credit_score_date", "<", today)]
        partners = Partner.search(domain, order="ar_credit_score_date ASC NULLS FIRST, id", limit=batch_size)
        self._ar_compute_scores(partners)
        remaining = Partner.search_count(domain) if len(partners) == batch_size else 0
        _logger.info("Payment scores: %s customers scored, %s remaining", len(partners), remaining)
        self.env["ir.cron"]._notify_progress(done=len(partners), remaining=remaining)
        return partners

    # ------------------------------------------------------------------
    # Suggested credit limit
    # ------------------------------------------------------------------

    @api.model
    def _ar_limit_months(self, score):
        """Months of average sales a customer with ``score`` can owe."""
        return next((months for minimum, months in LIMIT_MONTHS if score >= minimum), 0.0)

    @api.model
    def _ar_suggested_limits(self, partners, company):
        """Suggested credit limit per commercial partner id, in ``company``'s currency.

        Monthly average of the posted customer invoices minus credit notes of the last 12
        months in ``company``, times 2 months (score >= 80), 1.5 (60-79), 1 (40-59), 0.5 (20-39)
        or 0 (below 20, or never scored), rounded to the nearest 100.
        """
        partners = partners.commercial_partner_id.sudo()
        if not partners:
            return {}
        today = fields.Date.context_today(self)
        sales = dict(self.env["account.move"].sudo()._read_group(
            [("company_id", "=", company.id), ("move_type", "in", ("out_invoice", "out_refund")),
             ("state", "=", "posted"), ("commercial_partner_id", "in", partners.ids),
             ("invoice_date", ">", today - relativedelta(months=SALES_MONTHS)), ("invoice_date", "<=", today)],
            ["commercial_partner_id"], ["amount_total_signed:sum"],
        ))
        result = {}
        for partner in partners:
            monthly = max(0.0, sales.get(partner, 0.0)) / SALES_MONTHS
            months = self._ar_limit_months(partner.ar_credit_score) if partner.ar_credit_score_date else 0.0
            result[partner.id] = float_round(monthly * months, precision_rounding=100)
        return result

    # ------------------------------------------------------------------
    # Credit reviews
    # ------------------------------------------------------------------

    @api.model
    def _ar_review_activity_type(self):
        return self.env.ref("ar_collections_credit.mail_activity_type_credit_review")

    @api.model
    def _ar_open_reviews(self, partner_ids):
        """Open credit-review activities on these partners."""
        return self.env["mail.activity"].sudo().search([
            ("res_model", "=", "res.partner"),
            ("res_id", "in", list(partner_ids)),
            ("activity_type_id", "=", self._ar_review_activity_type().id),
        ])

    @api.model
    def _ar_review_candidates(self, company):
        """Customers to review in ``company``, by id: ``{partner_id: (score dropped, limit stale)}``,
        leaving out those with an open credit review."""
        today = fields.Date.context_today(self)
        Partner = self.env["res.partner"].sudo().with_company(company)
        # A drop compares two columns: the domain cannot say it, a WHERE clause on its query can.
        # The score is the same in every company; the company that reviews it is one the customer
        # was invoiced by, so that shared customers are not reviewed by every company's manager.
        query = Partner._search(self._ar_customer_domain() + [("ar_credit_score_date", "!=", False)])
        query.add_where(SQL(
            """%(review_score)s - %(score)s >= %(drop)s
               AND EXISTS (SELECT 1 FROM account_move move
                            WHERE move.commercial_partner_id = %(partner)s
                              AND move.company_id = %(company)s
                              AND move.move_type IN ('out_invoice', 'out_refund')
                              AND move.state = 'posted')""",
            review_score=SQL.identifier(query.table, "ar_credit_review_score"),
            score=SQL.identifier(query.table, "ar_credit_score"),
            partner=SQL.identifier(query.table, "id"),
            drop=company.ar_credit_review_drop, company=company.id,
        ))
        Partner.flush_model(["ar_credit_review_score", "ar_credit_score"])
        self.env["account.move"].flush_model(["commercial_partner_id", "company_id", "move_type", "state"])
        dropped = {partner_id for (partner_id,) in self.env.execute_query(query.select())}
        cutoff = today - relativedelta(months=company.ar_credit_review_months)
        # Only limits set on the customer: one inherited from the company default is reviewed
        # in the settings, not customer by customer.
        default_limit = Partner._fields["credit_limit"].get_company_dependent_fallback(Partner)
        stale = set(Partner.search(self._ar_customer_domain() + [
            ("credit_limit", ">", 0), ("credit_limit", "!=", default_limit),
            "|", ("ar_credit_limit_date", "=", False), ("ar_credit_limit_date", "<", cutoff),
        ]).ids)
        candidates = dropped | stale
        if candidates:
            candidates -= set(self._ar_open_reviews(candidates).mapped("res_id"))
        return {partner_id: (partner_id in dropped, partner_id in stale) for partner_id in sorted(candidates)}

    @api.model
    def _cron_credit_review(self, batch_size=BATCH_SIZE):
        """Scheduled action: put up for review the customers whose score dropped or whose
        credit limit is stale, with a "Credit review" activity for the credit manager.

        At most ``batch_size`` activities per call (the scheduler calls again while some
        remain); a customer with an open review gets no second one, so reruns are harmless.
        """
        done = remaining = 0
        for company in self.env["res.company"].sudo().search([]):
            candidates = self.with_company(company)._ar_review_candidates(company)
            batch = dict(list(candidates.items())[:max(0, batch_size - done)])
            if batch:
                self.with_company(company)._ar_create_reviews(company, batch)
            done += len(batch)
            remaining += len(candidates) - len(batch)
        _logger.info("Credit reviews: %s scheduled, %s remaining", done, remaining)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _ar_create_reviews(self, company, reasons):
        """One credit-review activity per partner id of ``reasons`` (``{id: (dropped, stale)}``)."""
        partners = self.env["res.partner"].sudo().with_company(company).browse(list(reasons))
        suggested = self._ar_suggested_limits(partners, company)
        activity_type = self._ar_review_activity_type()
        assignee = company._ar_credit_manager()
        currency = company.currency_id
        vals_list = []
        for partner in partners:
            dropped, stale = reasons[partner.id]
            why = []
            if dropped:
                why.append(self.env._("Score fell from %(before)s to %(now)s since the last review",
                                      before=partner.ar_credit_review_score, now=partner.ar_credit_score))
            if stale and partner.ar_credit_limit_date:
                why.append(self.env._("Credit limit not reviewed since %(date)s",
                                      date=fields.Date.to_string(partner.ar_credit_limit_date)))
            elif stale:
                why.append(self.env._("Credit limit never reviewed"))
            note = self.env._(
                "Payment score %(score)s (%(review_score)s at the last review). "
                "Credit limit %(limit)s, suggested %(suggested)s.",
                score=partner.ar_credit_score, review_score=partner.ar_credit_review_score,
                limit=formatLang(self.env, partner.credit_limit, currency_obj=currency),
                suggested=formatLang(self.env, suggested.get(partner.id, 0.0), currency_obj=currency),
            )
            vals = {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": activity_type.id,
                "summary": ". ".join(why),
                "note": note,
                "date_deadline": activity_type._get_date_deadline(),
            }
            if assignee:
                vals["user_id"] = assignee.id
            vals_list.append(vals)
        return self.env["mail.activity"].sudo().create(vals_list)

    @api.model
    def _ar_mark_reviewed(self, partners):
        """Record a credit review of these customers today: their current score becomes the
        reference for the next drop, their credit limit (in the current company) counts as
        reviewed, and their open credit-review activities are marked done."""
        partners = partners.commercial_partner_id.sudo()
        if not partners:
            return True
        today = fields.Date.context_today(self)
        by_score = defaultdict(lambda: self.env["res.partner"].sudo())
        for partner in partners:
            by_score[partner.ar_credit_score] |= partner
        for score, group in by_score.items():
            group.write({"ar_credit_review_date": today, "ar_credit_review_score": score})
        partners.with_company(self.env.company).write({"ar_credit_limit_date": today})
        activities = self._ar_open_reviews(partners.ids)
        if activities:
            # sudo keeps the reviewer as the author of the "done" message
            activities.action_feedback(feedback=self.env._("Credit reviewed."))
        return True
