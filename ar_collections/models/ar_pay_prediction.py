import json
import logging
from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, float_round

from ..const import OPEN_INVOICE_DOMAIN, OPEN_PAYMENT_STATES

_logger = logging.getLogger(__name__)

HISTORY_DAYS = 365  # the payments a customer's pattern is learnt from
RECENT_DAYS = 90  # "recent" behaviour, compared with the older payments for the at-risk flag
HALF_LIFE_DAYS = 60  # a payment this old weighs half as much as one made today in the median
PRIOR_WEIGHT = 2  # the company-wide median counts as this many invoices of the customer
OVERDUE_GRACE_DAYS = 7  # an overdue invoice past its prediction is expected no sooner than a week later
AT_RISK_MIN_DAYS = 10  # the smallest deviation (days) that raises the at-risk flag...
AT_RISK_SPREAD_FACTOR = 1.5  # ...or this many times the customer's own spread, if larger
AT_RISK_MIN_RECENT = 2  # recent payments needed to speak of a change of behaviour
AT_RISK_MIN_HISTORY = 3  # older payments needed to speak of a pattern
BATCH_SIZE = 200  # customers per scheduler call
# Open invoices due at most this many days ago count as censored observations; older ones are
# rather disputed, in instalments or forgotten than the customer's habit (the backtest: 90 days
# halves the early bias of the paid-only model without making the predictions late).
CENSORED_MAX_DAYS = 90

# Risk: the probability that an overdue invoice is still not paid RISK_HORIZON_DAYS from now,
# given how many days it is overdue (see _ar_risk_query).
RISK_HORIZON_DAYS = 30
RISK_AGE_BUCKETS = (0, 15, 30, 60, 90, 180)  # days overdue from which the odds are learnt apart
RISK_PRIOR_WEIGHT = 3  # the company's rate counts as this many invoices of the customer
RISK_HALF_LIFE_DAYS = 45  # an outcome known this long ago weighs half of one known today
# Bands, from the backtest's calibration table (setup/backtest.py): below even odds is low; from
# 85 % the invoices were observed to stay unpaid 30 days in more than nine cases out of ten
# (most overdue invoices of the demo book do: 78 %). On the demo book's worklist: 9 customers
# low, 12 medium, 14 high.
RISK_MEDIUM_FROM = 0.5
RISK_HIGH_FROM = 0.85
RISK_BANDS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
# Calibration (isotonic, _ar_fit_risk_calibration): the raw probability against what happened
# on CALIBRATION_FOLDS cut-off dates 30 days apart before today, in CALIBRATION_BINS bins,
# learnt again each night per company and kept in this system parameter; calibrated values
# kept within [1 %, 99 %]; fewer than CALIBRATION_MIN_ROWS invoices: the raw probability.
CALIBRATION_PARAM = "ar_collections.risk_calibration"
CALIBRATION_FOLDS = 3
CALIBRATION_STEP_DAYS = 30
CALIBRATION_CLIP = 0.01
CALIBRATION_MIN_ROWS = 100
CALIBRATION_BINS = 10
# A customer is flagged at risk when its overdue balance is in the high band.
AT_RISK_FROM = RISK_HIGH_FROM


class ArPayPrediction(models.AbstractModel):
    """Predict when each open customer invoice will be paid, from its customer's history.

    **Payment date** of a paid invoice: the latest reconciliation date (``max_date`` of
    ``account.partial.reconcile``) of its receivable lines; **delay** = payment date - due date
    (negative when paid early).

    **Prediction** = due date + expected delay of the customer, where::

        expected delay = round((n x m + 2 x M) / (n + 2))

    * ``n``: invoices of the customer (in any company) paid in the last 365 days;
    * ``m``: their weighted median delay, each payment weighted 0.5 ^ (age in days / 60) so
      that a customer who changes habits is followed within a few months;
    * ``M``: median delay of every invoice of the company paid in the last 365 days
      (0, i.e. "on the due date", when the company has no history).

    On the demo book's backtest (``setup/backtest.py``), a 60-day half-life did best among
    30-180 days and no weighting; a prior weight of 1 was marginally better than 2 (MAE 10.6
    against 10.8 days), 2 is kept so that one payment alone does not make the prediction.

    With no history the prediction is the company's habit, one payment moves it a third
    of the way, and from a dozen payments on it is essentially the customer's own median.
    The prediction is never in the past: not before today, and an overdue invoice already
    past its predicted date is expected max(7, half the days it is past it) days from today:
    the longer an invoice has been left unpaid, the less likely it is to be paid next week
    (an invoice forgotten for a year is not next week's cash).

    **At risk**: a customer is flagged when

    * its average delay over the last 90 days (at least 2 payments) exceeds that of its
      payments 90-365 days ago (at least 3) by more than max(10 days, 1.5 x their standard
      deviation), or
    * an open invoice (with at least 3 payments in the last 365 days to compare with) is
      more overdue than any invoice it paid in the last 365 days, and at least 10 days.
    """

    _name = "ar.pay.prediction"
    _description = "Pay-date prediction"

    # ------------------------------------------------------------------
    # History
    # ------------------------------------------------------------------

    @api.model
    def _ar_history_stats(self, partner_ids, as_of, censored=True):
        """Payment history of customers (in all companies) and of each company, as known
        before ``as_of``.

        Only invoices whose last payment is dated before ``as_of`` and at most 365 days
        earlier count, so that a backtest at a past date sees no later payment. With
        ``censored``, the invoices due in those 365 days and still open on ``as_of`` count
        too, as censored observations (paid later than ``as_of - due date``, how much later
        unknown): the medians are Kaplan-Meier medians. Without them a slow payer's history
        only holds the invoices it did pay, and the predictions come out early.

        :param partner_ids: commercial partner ids whose stats are wanted
        :param as_of: the date of the prediction (payments of that day are not known yet)
        :param censored: count the invoices still open (False: paid invoices only, the
            model before 18.0.2.2, kept for the backtest's comparison)
        :return: ``(customers, priors)``: ``{partner id: {"count", "median", "max",
            "recent_count", "recent_avg", "older_count", "older_avg", "older_std"}}`` and
            ``{company id: median delay}``; ``count`` and the other figures are of paid invoices
        """
        # Raw SQL: the payment date of an invoice is an aggregate over its partial
        # reconciliations that the ORM can only give invoice by invoice, and the weighted
        # Kaplan-Meier median needs window functions; one query serves every customer and company.
        recent = as_of - timedelta(days=RECENT_DAYS)
        since = as_of - timedelta(days=HISTORY_DAYS)
        if censored:
            still_open = SQL(
                """
                SELECT move.id, move.company_id, move.commercial_partner_id AS partner_id,
                       %(as_of)s::date AS paid_on, %(as_of)s - move.invoice_date_due AS delay, FALSE AS event
                  FROM account_move move
                 WHERE move.move_type = 'out_invoice' AND move.state = 'posted'
                   AND move.invoice_date < %(as_of)s
                   AND move.invoice_date_due >= %(censored_since)s AND move.invoice_date_due < %(as_of)s
                   AND (move.payment_state IN %(open_states)s
                        OR move.id IN (SELECT id FROM (%(paid_invoices)s) later WHERE paid_on >= %(as_of)s))
                """,
                as_of=as_of, censored_since=as_of - timedelta(days=CENSORED_MAX_DAYS), open_states=OPEN_PAYMENT_STATES,
                paid_invoices=self.env["account.move"]._ar_paid_invoices_query(SQL(
                    "move.invoice_date < %s AND move.invoice_date_due >= %s",
                    as_of, as_of - timedelta(days=CENSORED_MAX_DAYS))),
            )
        else:
            still_open = SQL("SELECT 0, 0, 0, NULL::date, 0, FALSE WHERE FALSE")
        rows = self.env.execute_query(SQL(
            """
            WITH paid AS (
                SELECT id, company_id, partner_id, paid_on, paid_on - invoice_date_due AS delay, TRUE AS event
                  FROM (%(paid_invoices)s) invoice
                 WHERE invoice_date_due IS NOT NULL
                   AND paid_on >= %(since)s AND paid_on < %(as_of)s
            ),
            observed AS (
                SELECT * FROM paid UNION ALL (%(still_open)s)
            ),
            -- Kaplan-Meier with weights: at each delay t, S(t) = S(t-1) x (1 - paid at t / unpaid
            -- before t); a censored invoice leaves the "unpaid" pool without being paid
            partner_steps AS (
                SELECT partner_id, delay,
                       SUM(weight) FILTER (WHERE event) AS paid_weight,
                       SUM(SUM(weight)) OVER (PARTITION BY partner_id ORDER BY delay DESC) AS at_risk
                  FROM (SELECT observed.*, POWER(0.5, (%(as_of)s - paid_on) / %(half_life)s) AS weight
                          FROM observed
                         WHERE partner_id = ANY(%(partners)s)) observed
              GROUP BY partner_id, delay
            ),
            company_steps AS (
                SELECT company_id, delay,
                       COUNT(*) FILTER (WHERE event) AS paid_weight,
                       SUM(COUNT(*)) OVER (PARTITION BY company_id ORDER BY delay DESC) AS at_risk
                  FROM observed
              GROUP BY company_id, delay
            ),
            partner_km AS (
                SELECT partner_id, delay, EXP(SUM(LN(GREATEST(1 - COALESCE(paid_weight, 0) / at_risk, 1e-12)))
                                              OVER (PARTITION BY partner_id ORDER BY delay)) AS survival
                  FROM partner_steps
            ),
            company_km AS (
                SELECT company_id, delay, EXP(SUM(LN(GREATEST(1 - paid_weight::float / at_risk, 1e-12)))
                                              OVER (PARTITION BY company_id ORDER BY delay)) AS survival
                  FROM company_steps
            ),
            partner_median AS (
                -- the delay where the survival reaches one half (the mean of the two delays
                -- around it when it is exactly one half); the longest delay paid if never
                SELECT partner_id,
                       (COALESCE(MIN(delay) FILTER (WHERE survival <= 0.5 + 1e-9), MAX(delay))
                        + COALESCE(MIN(delay) FILTER (WHERE survival < 0.5 - 1e-9), MAX(delay))) / 2.0 AS median
                  FROM partner_km
              GROUP BY partner_id
            ),
            company_median AS (
                SELECT company_id,
                       (COALESCE(MIN(delay) FILTER (WHERE survival <= 0.5 + 1e-9), MAX(delay))
                        + COALESCE(MIN(delay) FILTER (WHERE survival < 0.5 - 1e-9), MAX(delay))) / 2.0 AS median
                  FROM company_km
              GROUP BY company_id
            )
            SELECT FALSE, paid.partner_id, COUNT(*), MIN(partner_median.median),
                   MAX(delay),
                   COUNT(*) FILTER (WHERE paid_on >= %(recent)s),
                   AVG(delay) FILTER (WHERE paid_on >= %(recent)s),
                   COUNT(*) FILTER (WHERE paid_on < %(recent)s),
                   AVG(delay) FILTER (WHERE paid_on < %(recent)s),
                   STDDEV_POP(delay) FILTER (WHERE paid_on < %(recent)s)
              FROM paid
              JOIN partner_median ON partner_median.partner_id = paid.partner_id
          GROUP BY paid.partner_id
         UNION ALL
            SELECT TRUE, company_id, NULL, median, NULL, NULL, NULL, NULL, NULL, NULL
              FROM company_median
             WHERE company_id IN (SELECT company_id FROM paid)
            """,
            paid_invoices=self.env["account.move"]._ar_paid_invoices_query(), partners=list(partner_ids),
            since=since, as_of=as_of, recent=recent, half_life=float(HALF_LIFE_DAYS), still_open=still_open,
        ))
        customers, priors = {}, {}
        for is_company, key, count, median, max_delay, r_count, r_avg, o_count, o_avg, o_std in rows:
            if is_company:
                priors[key] = float(median)
                continue
            customers[key] = {
                "count": count,
                "median": float(median),
                "max": max_delay,
                "recent_count": r_count,
                "recent_avg": float(r_avg) if r_avg is not None else None,
                "older_count": o_count,
                "older_avg": float(o_avg) if o_avg is not None else None,
                "older_std": float(o_std) if o_std is not None else None,
            }
        return customers, priors

    @api.model
    def _ar_survival_curves(self, partner_ids, as_of):
        """Kaplan-Meier curves of the delays of customers and companies, as known on ``as_of``,
        for predicting invoices already overdue (:meth:`_ar_conditional_delay`).

        Observations: the invoices paid in the 365 days before ``as_of`` (their delay), and
        every invoice open on ``as_of`` whatever its age, censored at its days overdue. Unlike
        the medians of :meth:`_ar_history_stats` (open invoices due in the last 90 days only),
        the old open invoices count here: they are what an invoice that late becomes, and
        without them the curve would say that every invoice is paid in the end.

        :return: ``(customers, companies)``: ``{partner id: [(delay, survival)]}`` (payments
            weighted by recency as in :meth:`_ar_history_stats`) and ``{company id: [(delay,
            survival)]}`` (unweighted), ascending delays; survival = share still unpaid
            after that many days past the due date
        """
        # Raw SQL for the same reasons as _ar_history_stats: one query for every customer.
        since = as_of - timedelta(days=HISTORY_DAYS)
        rows = self.env.execute_query(SQL(
            """
            WITH observed AS (
                SELECT partner_id, company_id, paid_on, paid_on - invoice_date_due AS delay, TRUE AS event
                  FROM (%(paid_invoices)s) invoice
                 WHERE invoice_date_due IS NOT NULL AND paid_on >= %(since)s AND paid_on < %(as_of)s
             UNION ALL
                SELECT move.commercial_partner_id, move.company_id, %(as_of)s::date,
                       %(as_of)s - move.invoice_date_due, FALSE
                  FROM account_move move
                 WHERE move.move_type = 'out_invoice' AND move.state = 'posted'
                   AND move.invoice_date < %(as_of)s AND move.invoice_date_due < %(as_of)s
                   AND (move.payment_state IN %(open_states)s
                        OR move.id IN (SELECT id FROM (%(paid_later)s) later WHERE paid_on >= %(as_of)s))
            ),
            partner_steps AS (
                SELECT partner_id, delay,
                       SUM(weight) FILTER (WHERE event) AS paid_weight,
                       SUM(SUM(weight)) OVER (PARTITION BY partner_id ORDER BY delay DESC) AS at_risk
                  FROM (SELECT observed.*, POWER(0.5, (%(as_of)s - paid_on) / %(half_life)s) AS weight
                          FROM observed
                         WHERE partner_id = ANY(%(partners)s)) observed
              GROUP BY partner_id, delay
            ),
            company_steps AS (
                SELECT company_id, delay,
                       COUNT(*) FILTER (WHERE event) AS paid_weight,
                       SUM(COUNT(*)) OVER (PARTITION BY company_id ORDER BY delay DESC) AS at_risk
                  FROM observed
                 WHERE company_id IN (SELECT company_id FROM observed WHERE partner_id = ANY(%(partners)s))
              GROUP BY company_id, delay
            )
            SELECT FALSE, partner_id, delay,
                   EXP(SUM(LN(GREATEST(1 - COALESCE(paid_weight, 0) / at_risk, 1e-12)))
                       OVER (PARTITION BY partner_id ORDER BY delay))
              FROM partner_steps
         UNION ALL
            SELECT TRUE, company_id, delay,
                   EXP(SUM(LN(GREATEST(1 - paid_weight::float / at_risk, 1e-12)))
                       OVER (PARTITION BY company_id ORDER BY delay))
              FROM company_steps
          ORDER BY 1, 2, 3
            """,
            paid_invoices=self.env["account.move"]._ar_paid_invoices_query(),
            paid_later=self.env["account.move"]._ar_paid_invoices_query(SQL("move.invoice_date < %s", as_of)),
            since=since, as_of=as_of, open_states=OPEN_PAYMENT_STATES, partners=list(partner_ids),
            half_life=float(HALF_LIFE_DAYS),
        ))
        customers, companies = defaultdict(list), defaultdict(list)
        for is_company, key, delay, survival in rows:
            (companies if is_company else customers)[key].append((delay, float(survival)))
        return dict(customers), dict(companies)

    # ------------------------------------------------------------------
    # Risk
    # ------------------------------------------------------------------

    @api.model
    def _ar_risk_query(self, as_of, where=None, calibration=None):
        """SQL of the customer invoices open and overdue on ``as_of``, each with the
        probability that it is still not paid in full ``RISK_HORIZON_DAYS`` days later.

        Learnt from the invoices due in the 365 days before ``as_of``, as known on that day
        (a backtest at a past date sees no later payment): for an invoice ``d`` days overdue,
        among the invoices of the same customer that were still unpaid ``b`` days after their
        due date (``b`` the bucket of ``d`` in ``RISK_AGE_BUCKETS``), the share still unpaid
        ``b + 30`` days after it. Only invoices due more than ``b + 30`` days before ``as_of``
        count, paid or not (their outcome is known whichever it is: counting the paid ones
        sooner would favour quick payers), each weighted 0.5 ^ (days since its outcome was
        known / 45). The customer's share is shrunk toward the company's (as if the customer
        had 3 more invoices at the company's rate), itself smoothed with one paid and one
        unpaid invoice:

            raw probability = (late + 3 x company rate) / (known + 3)

        and calibrated with the company's isotonic map (:meth:`_ar_fit_risk_calibration`):
        the raw probability ranks well but under-predicts the good histories.

        Columns: ``id`` (invoice), ``partner_id`` (commercial partner), ``company_id``,
        ``days_overdue``, ``raw_probability``, ``probability`` (calibrated). ``where``: an SQL
        condition on the invoices scored (alias ``invoice``, columns ``id``, ``partner_id``,
        ``company_id``). ``calibration``: ``{company id: (raw knots, calibrated knots)}``
        (default: as learnt by the nightly refresh; ``{}``: raw).
        """
        if calibration is None:
            calibration = self._ar_risk_calibrations()
        return SQL(
            """
            WITH %(history)s,
            scored AS (
                SELECT invoice.id, invoice.partner_id, invoice.company_id, invoice.age AS days_overdue,
                       WIDTH_BUCKET(invoice.age, %(buckets)s::int[]) AS bucket
                  FROM invoice
                 WHERE invoice.delay IS NULL AND %(where)s
            ),
            raw AS (
                SELECT scored.id, scored.partner_id, scored.company_id, scored.days_overdue,
                       %(raw_probability)s AS raw_probability
                  FROM scored
             LEFT JOIN company_history company ON company.company_id = scored.company_id
             LEFT JOIN history ON history.partner_id = scored.partner_id
                              AND history.company_id = scored.company_id
            )
            SELECT raw.*, (%(calibrated)s)::float AS probability
              FROM raw
            """,
            history=self._ar_risk_history_sql(as_of), buckets=list(RISK_AGE_BUCKETS),
            raw_probability=self._ar_raw_risk_sql(SQL("scored.bucket")), where=where or SQL("TRUE"),
            calibrated=self._ar_calibrated_sql(SQL("raw.raw_probability"), calibration),
        )

    @api.model
    def _ar_raw_risk_sql(self, bucket):
        """The uncalibrated probability for the bucket ``bucket`` (SQL) of days overdue: the
        customer's weighted late share (``history``) shrunk towards its company's
        (``company``), with a prior of ``RISK_PRIOR_WEIGHT`` invoices."""
        return SQL(
            """(COALESCE(history.late[%(bucket)s], 0)
                + %(prior)s * (COALESCE(company.late[%(bucket)s], 0) + 1.0)
                            / (COALESCE(company.known[%(bucket)s], 0) + 2.0))
               / (COALESCE(history.known[%(bucket)s], 0) + %(prior)s)""",
            bucket=bucket, prior=float(RISK_PRIOR_WEIGHT))

    @api.model
    def _ar_risk_history_sql(self, as_of):
        """The common table expressions of :meth:`_ar_risk_query` and :meth:`_ar_risk_rates`:
        ``invoice`` (every customer invoice due before ``as_of``, its ``delay`` when paid
        before it, its ``age``), ``history`` (per customer and company, ``known`` and ``late``:
        arrays of weighted outcomes, one per bucket of ``RISK_AGE_BUCKETS``) and
        ``company_history`` (the same per company)."""
        since = as_of - timedelta(days=HISTORY_DAYS)
        horizon = RISK_HORIZON_DAYS
        # Only invoices whose whole window is past on as_of count (due more than b + 30 days
        # ago): an invoice paid within it is known at once and one still open only once the
        # window is over, so counting the paid ones earlier would favour quick payments.
        # Weighted by recency: an outcome known 45 days ago counts half (a customer changes its
        # habits: the low-risk invoices the backtest saw left unpaid were of customers slipping).
        known = [SQL("COALESCE(SUM(POWER(0.5, (age - %s)::float / %s))"
                     " FILTER (WHERE COALESCE(delay, age) > %s AND age > %s), 0)",
                     bucket + horizon, RISK_HALF_LIFE_DAYS, bucket, bucket + horizon) for bucket in RISK_AGE_BUCKETS]
        late = [SQL("COALESCE(SUM(POWER(0.5, (age - %s)::float / %s)) FILTER (WHERE COALESCE(delay, age) > %s), 0)",
                    bucket + horizon, RISK_HALF_LIFE_DAYS, bucket + horizon) for bucket in RISK_AGE_BUCKETS]
        index = range(1, len(RISK_AGE_BUCKETS) + 1)
        self.env["account.move"].flush_model(["amount_residual_signed"])
        return SQL(
            """
            invoice AS (
                -- every invoice due before as_of: paid before it (delay known) or open on that day
                -- (censored: age days overdue and counting)
                SELECT move.id, move.company_id, move.commercial_partner_id AS partner_id,
                       move.invoice_date_due AS date_due,
                       CASE WHEN paid.paid_on < %(as_of)s THEN paid.paid_on - move.invoice_date_due END AS delay,
                       %(as_of)s - move.invoice_date_due AS age
                  FROM account_move move
             LEFT JOIN (%(paid_invoices)s) paid ON paid.id = move.id
                 WHERE move.move_type = 'out_invoice' AND move.state = 'posted'
                   AND move.invoice_date < %(as_of)s AND move.invoice_date_due < %(as_of)s
                   AND (paid.id IS NOT NULL OR move.payment_state IN %(open_states)s)
            ),
            history AS (
                SELECT partner_id, company_id, ARRAY[%(known)s] AS known, ARRAY[%(late)s] AS late
                  FROM invoice
                 WHERE date_due >= %(since)s
              GROUP BY partner_id, company_id
            ),
            company_history AS (
                SELECT company_id, ARRAY[%(company_known)s] AS known, ARRAY[%(company_late)s] AS late
                  FROM history
              GROUP BY company_id
            )
            """,
            as_of=as_of, since=since, open_states=OPEN_PAYMENT_STATES,
            paid_invoices=self.env["account.move"]._ar_paid_invoices_query(SQL(
                "move.invoice_date < %s AND move.invoice_date_due >= %s", as_of, since)),
            known=SQL(", ").join(known), late=SQL(", ").join(late),
            company_known=SQL(", ").join(SQL("SUM(known[%s])", i) for i in index),
            company_late=SQL(", ").join(SQL("SUM(late[%s])", i) for i in index),
        )

    @api.model
    def _ar_risk_rates(self, as_of, partner_ids, calibration=None):
        """The probability of :meth:`_ar_risk_query` by days overdue, per customer and
        company: what every overdue invoice of the customer scores on ``as_of``, whatever its
        age (one value per bucket of ``RISK_AGE_BUCKETS``), so that it can be stored and read
        back (``ar.risk.rate``) instead of learnt again at each reading.

        :param partner_ids: commercial partner ids; their rates in each company where they
            have invoices due in the last 365 days (without: the company's rates)
        :return: ``{(partner id or False, company id): [calibrated probability per bucket]}``,
            ``False``: the company's rates (a customer without history of its own)
        """
        if calibration is None:
            calibration = self._ar_risk_calibrations()
        index = range(1, len(RISK_AGE_BUCKETS) + 1)
        # _ar_risk_query's raw probability, for each bucket; a company's rates are a customer's
        # without history (its own counts are zero)
        raw = SQL(", ").join(self._ar_raw_risk_sql(SQL("%s", i)) for i in index)
        calibrated = SQL(", ").join(
            self._ar_calibrated_sql(SQL("rates.raw[%s]", i), calibration) for i in index)
        rows = self.env.execute_query(SQL(
            """
            WITH %(history)s
            SELECT rates.partner_id, rates.company_id, ARRAY[%(calibrated)s]::float[]
              FROM (SELECT history.partner_id, company.company_id, ARRAY[%(raw)s] AS raw
                      FROM history
                      JOIN company_history company ON company.company_id = history.company_id
                     WHERE history.partner_id = ANY(%(partners)s)
                 UNION ALL
                    SELECT NULL, company.company_id, ARRAY[%(company_raw)s]
                      FROM company_history company) rates
            """,
            history=self._ar_risk_history_sql(as_of), calibrated=calibrated, raw=raw,
            company_raw=SQL(", ").join(SQL("(company.late[%s] + 1.0) / (company.known[%s] + 2.0)", i, i)
                                       for i in index),
            partners=list(partner_ids),
        ))
        return {(partner_id or False, company_id): [float(value) for value in values]
                for partner_id, company_id, values in rows}

    # Calibration of the risk, learnt per company on out-of-time folds

    @api.model
    def _ar_isotonic_fit(self, probabilities, outcomes):
        """Isotonic calibration of raw ``probabilities`` against ``outcomes`` (0/1): the
        observations sorted by probability, cut into ``CALIBRATION_BINS`` bins of equal size,
        each bin's observed rate made non-decreasing (pool adjacent violators, weighted by
        size). Knots: each pooled block at the mean raw probability of its observations.

        :return: ``(raw knots, calibrated knots)`` ascending, or None with fewer than
            ``CALIBRATION_MIN_ROWS`` observations or a single outcome
        """
        if len(outcomes) < CALIBRATION_MIN_ROWS or len(set(outcomes)) < 2:
            return None
        ordered = sorted(zip(probabilities, outcomes, strict=True), key=lambda pair: pair[0])  # ties: not by outcome
        size = len(ordered)
        blocks = []  # [sum of raw, sum of outcomes, count]
        for index in range(CALIBRATION_BINS):
            chunk = ordered[index * size // CALIBRATION_BINS:(index + 1) * size // CALIBRATION_BINS]
            if chunk:
                blocks.append([sum(raw for raw, _ in chunk), sum(out for _, out in chunk), len(chunk)])
        pooled = []
        for block in blocks:
            pooled.append(block)
            while len(pooled) > 1 and pooled[-2][1] / pooled[-2][2] >= pooled[-1][1] / pooled[-1][2]:
                last = pooled.pop()
                pooled[-1] = [pooled[-1][0] + last[0], pooled[-1][1] + last[1], pooled[-1][2] + last[2]]
        low, high = CALIBRATION_CLIP, 1 - CALIBRATION_CLIP
        return ([raw / count for raw, _outcome, count in pooled],
                [min(max(outcome / count, low), high) for _raw, outcome, count in pooled])

    @api.model
    def _ar_calibrated_sql(self, raw, calibration):
        """SQL of the calibrated probability of the raw one (SQL ``raw``, with ``company_id``):
        linear between the knots of the company's calibration, flat beyond them; raw for a
        company without calibration."""
        cases = []
        for company_id, (xs, ys) in sorted(calibration.items()):
            pieces = [SQL("WHEN %s <= %s THEN %s", raw, xs[0], ys[0])]
            for x0, y0, x1, y1 in zip(xs, ys, xs[1:], ys[1:], strict=False):
                if x1 > x0:
                    pieces.append(SQL("WHEN %s <= %s THEN %s + (%s - %s) * %s", raw, x1, y0, raw, x0, (y1 - y0) / (x1 - x0)))
            pieces.append(SQL("ELSE %s", ys[-1]))
            cases.append(SQL("WHEN company_id = %s THEN CASE %s END", company_id, SQL(" ").join(pieces)))
        if not cases:
            return raw
        return SQL("CASE %s ELSE %s END", SQL(" ").join(cases), raw)

    @api.model
    def _ar_fit_risk_calibration(self, company, as_of):
        """Calibration of ``company``'s risk as known on ``as_of``: on the cut-off dates
        ``as_of`` - 31, - 61, ... (``CALIBRATION_FOLDS`` of them), the raw probability of every
        invoice open and overdue then, learnt from what was known that day, against what
        happened in the 30 days after it (all of it before ``as_of``): :meth:`_ar_isotonic_fit`.
        Out of time: nothing is learnt from the invoices being scored on ``as_of``.

        :return: ``(raw knots, calibrated knots)`` or None (too little history: the raw
            probability)
        """
        horizon = RISK_HORIZON_DAYS
        paid_on = dict(self.env.execute_query(SQL(
            "SELECT id, paid_on FROM (%s) invoice",
            self.env["account.move"]._ar_paid_invoices_query(SQL(
                "move.company_id = %s AND move.invoice_date < %s", company.id, as_of)))))
        probabilities, outcomes = [], []
        for fold in range(CALIBRATION_FOLDS):
            cutoff = as_of - timedelta(days=horizon + 1 + CALIBRATION_STEP_DAYS * fold)
            rows = self.env.execute_query(SQL(
                "SELECT id, raw_probability FROM (%s) risk",
                self._ar_risk_query(cutoff, SQL("invoice.company_id = %s", company.id), calibration={})))
            end = cutoff + timedelta(days=horizon)
            for move_id, probability in rows:
                paid = paid_on.get(move_id)
                probabilities.append(float(probability))
                outcomes.append(int(not paid or paid > end))
        return self._ar_isotonic_fit(probabilities, outcomes)

    @api.model
    def _ar_risk_calibrations(self):
        """``{company id: (raw knots, calibrated knots)}`` as last learnt by the nightly refresh."""
        value = self.env["ir.config_parameter"].sudo().get_param(CALIBRATION_PARAM)
        try:
            stored = json.loads(value) if value else {}
            return {int(company_id): tuple(params) for company_id, params in stored.get("companies", {}).items()}
        except (ValueError, TypeError, AttributeError):
            _logger.warning("Ignoring the malformed risk calibration in %s", CALIBRATION_PARAM)
            return {}

    @api.model
    def _ar_update_risk_calibrations(self, today):
        """Learn every company's calibration again, once a day (the nightly refresh)."""
        Param = self.env["ir.config_parameter"].sudo()
        try:
            if json.loads(Param.get_param(CALIBRATION_PARAM) or "{}").get("date") == fields.Date.to_string(today):
                return
        except (ValueError, TypeError, AttributeError):
            _logger.warning("Learning again the malformed risk calibration in %s", CALIBRATION_PARAM)
        companies = {}
        for company in self.env["res.company"].sudo().search([]):
            params = self._ar_fit_risk_calibration(company, today)
            if params:
                companies[str(company.id)] = list(params)
        Param.set_param(CALIBRATION_PARAM, json.dumps({"date": fields.Date.to_string(today), "companies": companies}))

    @api.model
    def _ar_risk_band(self, probability):
        """low, medium or high: the band of a probability from :meth:`_ar_risk_query`."""
        if probability >= RISK_HIGH_FROM:
            return "high"
        return "medium" if probability >= RISK_MEDIUM_FROM else "low"

    # ------------------------------------------------------------------
    # Prediction (pure computations)
    # ------------------------------------------------------------------

    @api.model
    def _ar_expected_delay(self, stats, prior):
        """Expected days between due date and payment, shrunk toward ``prior``.

        :param stats: the customer's figures from :meth:`_ar_history_stats` (None: no history)
        :param prior: the company's median delay
        """
        count = stats["count"] if stats else 0
        own = stats["median"] if count else 0.0
        expected = (count * own + PRIOR_WEIGHT * (prior or 0.0)) / (count + PRIOR_WEIGHT)
        return int(float_round(expected, precision_digits=0))

    @api.model
    def _ar_predict_date(self, date_due, today, delay):
        """Predicted payment date of an invoice due ``date_due``, open on ``today``."""
        predicted = date_due + timedelta(days=delay)
        if predicted >= today:
            return predicted
        if date_due >= today:
            return today  # not due yet: an early payer may still pay today
        return today + timedelta(days=max(OVERDUE_GRACE_DAYS, (today - predicted).days // 2))

    @api.model
    def _ar_conditional_delay(self, curves, age):
        """Expected delay of an invoice still unpaid ``age`` days after its due date: the
        median of the delay given that it is more than ``age``, or None when fewer than half
        of the invoices that late were ever paid in the history (no payment expected).

        Conditional survival of each curve, S(t) / S(age), mixed with the given weights (the
        customer's: its number of paid invoices; the company's: 2, as in
        :meth:`_ar_expected_delay`); the delay is the first where the mix reaches one half.
        A curve that says nothing past this age is left out: empty, everything paid by then, or
        no payment after it (a customer whose only invoices that late are still open: its
        own curve cannot tell when they are paid, the company's can).

        :param curves: ``[(curve, weight)]``, curves as from :meth:`_ar_survival_curves`
        :param age: days overdue today (> 0)
        """
        def survival(curve, delay):
            index = bisect_right(curve, (delay, float("inf")))
            return curve[index - 1][1] if index else 1.0

        parts = []
        for curve, weight in curves:
            start = survival(curve, age) if curve and weight > 0 else 0.0
            if start > 1e-6 and curve[-1][1] < start - 1e-9:
                parts.append((weight, curve, start))
        if not parts:
            return None
        total = sum(weight for weight, _curve, _start in parts)
        for delay in sorted({delay for _weight, curve, _start in parts for delay, _survival in curve if delay > age}):
            mixed = sum(weight * survival(curve, delay) / start for weight, curve, start in parts) / total
            if mixed <= 0.5 + 1e-9:
                return delay
        return None

    @api.model
    def _ar_risk_reason(self, stats, most_overdue=None):
        """Why the customer deviates from its own pattern, or False.

        :param stats: the customer's figures from :meth:`_ar_history_stats` (None: no history)
        :param most_overdue: ``(invoice name, days overdue)`` of its most overdue open
            invoice, or None
        """
        if not stats:
            return False
        if stats["recent_count"] >= AT_RISK_MIN_RECENT and stats["older_count"] >= AT_RISK_MIN_HISTORY:
            margin = max(AT_RISK_MIN_DAYS, AT_RISK_SPREAD_FACTOR * stats["older_std"])
            if stats["recent_avg"] > stats["older_avg"] + margin:
                return self.env._(
                    "Paid %(count)s invoices %(recent).0f days late on average in the last %(days)s days, "
                    "against %(usual).0f days before (threshold: %(margin).0f days more)",
                    count=stats["recent_count"], recent=stats["recent_avg"], days=RECENT_DAYS,
                    usual=stats["older_avg"], margin=margin,
                )
        if most_overdue and stats["count"] >= AT_RISK_MIN_HISTORY:
            name, days = most_overdue
            if days > max(stats["max"], AT_RISK_MIN_DAYS - 1):
                return self.env._(
                    "%(invoice)s is %(days)s days overdue; the customer paid its last %(count)s invoices "
                    "at most %(max)s days late",
                    invoice=name, days=days, count=stats["count"], max=stats["max"],
                )
        return False

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------

    @api.model
    def _ar_open_invoice_domain(self):
        return [
            *OPEN_INVOICE_DOMAIN,
        ]

    @api.model
    def _ar_predict_overdue(self, date_due, today, stats, prior, customer_curve, company_curve):
        """Predicted payment date of an invoice due ``date_due``, still unpaid on ``today``
        (after its due date): the median delay given that it is that late
        (:meth:`_ar_conditional_delay`), from the customer's curve weighted by its number of
        paid invoices and the company's weighted 2. None: no payment expected.

        A company without any payment in its history has no curve to condition on: then
        :meth:`_ar_predict_date` (a week from today at least), as before it had one.
        """
        if not company_curve or company_curve[-1][1] > 1 - 1e-9:
            return self._ar_predict_date(date_due, today, self._ar_expected_delay(stats, prior))
        count = stats["count"] if stats else 0
        delay = self._ar_conditional_delay(
            [(customer_curve, count), (company_curve, PRIOR_WEIGHT)], (today - date_due).days)
        return date_due + timedelta(days=delay) if delay is not None else None

    @api.model
    def _ar_predict(self, invoices, today=None, history=None, curves=None):
        """Predicted payment date and days late of open ``invoices`` on ``today``.

        Not yet due: due date + the customer's expected delay (:meth:`_ar_expected_delay`).
        Overdue: conditioned on being still unpaid that many days after the due date
        (:meth:`_ar_predict_overdue`); ``(False, False)`` when no payment is expected.

        :param history: the result of :meth:`_ar_history_stats` for their customers on
            ``today``, when the caller already has it
        :param curves: the result of :meth:`_ar_survival_curves`, likewise
        :return: ``{invoice id: (predicted date, predicted days late)}``
        """
        today = today or fields.Date.context_today(self)
        invoices = invoices.filtered("invoice_date_due")
        if not invoices:
            return {}
        customers, priors = history or self._ar_history_stats(invoices.commercial_partner_id.ids, today)
        if curves is None and any(invoice.invoice_date_due < today for invoice in invoices):
            curves = self._ar_survival_curves(invoices.commercial_partner_id.ids, today)
        result = {}
        for invoice in invoices:
            partner, due = invoice.commercial_partner_id.id, invoice.invoice_date_due
            if due < today:
                company = invoice.company_id.id
                predicted = self._ar_predict_overdue(
                    due, today, customers.get(partner), priors.get(company), curves[0].get(partner),
                    curves[1].get(company))
                if not predicted:
                    result[invoice.id] = (False, False)
                    continue
            else:
                delay = self._ar_expected_delay(customers.get(partner), priors.get(invoice.company_id.id))
                predicted = self._ar_predict_date(due, today, delay)
            result[invoice.id] = (predicted, (predicted - due).days)
        return result

    @api.model
    def _ar_refresh(self, partners, today=None):
        """Predict the open invoices of these customers, store their risk by days overdue
        (``ar.risk.rate``, and the companies') and set their at-risk flag.

        ``partners`` are taken as their commercial partners; a fixed number of queries
        whatever their number.
        """
        today = today or fields.Date.context_today(self)
        partners = partners.commercial_partner_id.sudo()
        if not partners:
            return
        invoices = self.env["account.move"].sudo().search_fetch(
            self._ar_open_invoice_domain() + [("commercial_partner_id", "in", partners.ids)],
            ["name", "company_id", "commercial_partner_id", "invoice_date_due"],
        )
        history = self._ar_history_stats(partners.ids, today)
        predictions = self._ar_predict(invoices, today, history)
        if predictions:
            # Raw SQL: account.move.write() runs lock-date, sequence and tracking checks per
            # invoice for what is a cache of two figures; one UPDATE does the batch.
            self.env["account.move"].flush_model(["ar_predicted_pay_date", "ar_predicted_days_late"])
            self.env.cr.execute(SQL(
                """
                UPDATE account_move move
                   SET ar_predicted_pay_date = new.predicted, ar_predicted_days_late = new.days_late
                  FROM (SELECT UNNEST(%(ids)s) AS id, UNNEST(%(dates)s::date[]) AS predicted,
                               UNNEST(%(days)s::int[]) AS days_late) new
                 WHERE move.id = new.id
                """,
                ids=list(predictions), dates=[value[0] or None for value in predictions.values()],
                days=[value[1] if value[0] else None for value in predictions.values()],
            ))
            invoices.invalidate_recordset(["ar_predicted_pay_date", "ar_predicted_days_late"])
        most_overdue = {}
        for invoice in invoices:
            days = (today - invoice.invoice_date_due).days if invoice.invoice_date_due else 0
            key = invoice.commercial_partner_id.id
            if days > 0 and days > most_overdue.get(key, ("", 0))[1]:
                most_overdue[key] = (invoice.name, days)
        # the worklist's risk: each customer's rates by days overdue, read at each opening
        self.env["ar.risk.rate"]._ar_store(partners, today)
        risks = self._ar_partner_risk(partners, today)
        for partner in partners:
            probability, count = risks.get(partner.id, (0.0, 0))
            reason = False
            if probability >= AT_RISK_FROM:
                reason = self.env._(
                    "%(probability).0f %% probability that its overdue invoices (%(count)s) are still unpaid "
                    "in 30 days (at risk from %(threshold).0f %%)",
                    probability=100 * probability, count=count, threshold=100 * AT_RISK_FROM)
                pattern = self._ar_risk_reason(history[0].get(partner.id), most_overdue.get(partner.id))
                if pattern:
                    reason = f"{reason}. {pattern}"
            values = {"ar_at_risk": bool(reason), "ar_at_risk_reason": reason, "ar_prediction_date": today}
            if any(partner[name] != value for name, value in values.items()):
                partner.write(values)

    @api.model
    def _ar_partner_risk(self, partners, today):
        """Risk of each customer's overdue balance on ``today``, as on the worklist: the
        probability of :meth:`_ar_risk_query` of its overdue invoices weighted by their open
        amounts, the highest over its companies.

        :return: ``{partner id: (probability, overdue invoices)}``
        """
        if not partners:
            return {}
        rows = self.env.execute_query(SQL(
            """
            SELECT risk.partner_id, risk.company_id,
                   SUM(move.amount_residual_signed * risk.probability)
                   / NULLIF(SUM(move.amount_residual_signed), 0), COUNT(*)
              FROM (%s) risk
              JOIN account_move move ON move.id = risk.id
          GROUP BY 1, 2
            """,
            self._ar_risk_query(today, SQL("invoice.partner_id = ANY(%s)", partners.ids)),
        ))
        result = {}
        for partner_id, _company_id, probability, count in rows:
            if probability is not None and float(probability) > result.get(partner_id, (-1.0, 0))[0]:
                result[partner_id] = (float(probability), count)
        return result

    @api.model
    def _ar_refresh_domain(self, today):
        """Customers whose predictions are not yet refreshed on ``today``: those with open
        invoices, and those flagged at risk (to clear the flag once they paid)."""
        with_open = [partner.id for [partner] in self.env["account.move"].sudo()._read_group(
            self._ar_open_invoice_domain(), ["commercial_partner_id"])]
        return [
            "|", ("id", "in", with_open), ("ar_at_risk", "=", True),
            "|", ("ar_prediction_date", "=", False), ("ar_prediction_date", "<", today),
        ]

    @api.model
    def _cron_refresh_predictions(self, batch_size=BATCH_SIZE):
        """Scheduled action: learn the risk calibration of the day (once), then refresh the
        predictions and at-risk flags of the customers not refreshed today, one bounded batch
        per call (Odoo 18 cron batch protocol).

        The scheduler commits after each call and calls again while some remain; a killed
        run resumes where it stopped.
        """
        today = fields.Date.context_today(self)
        self._ar_update_risk_calibrations(today)
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        domain = self._ar_refresh_domain(today)
        partners = Partner.search(domain, order="id", limit=batch_size)
        self._ar_refresh(partners, today)
        remaining = Partner.search_count(domain) if len(partners) == batch_size else 0
        _logger.info("Pay-date predictions: %s customers refreshed, %s remaining", len(partners), remaining)
        self.env["ir.cron"]._notify_progress(done=len(partners), remaining=remaining)
        return partners
