import psycopg2

from odoo import api, models
from odoo.tools import SQL


class ArClaimMixin(models.AbstractModel):
    """Queue rows that a scheduled action claims before it acts on them (reminders to
    dispatch, digests to post, autopay charges to send)."""

    _name = "ar.claim.mixin"
    _description = "Rows claimed by one worker at a time"

    @api.model
    def _ar_claim_rows(self, where, order, limit, fnames):
        """Lock up to ``limit`` rows of this model matching ``where`` that no other worker
        holds, in ``order``; returns them (sudo).

        Raw SQL: 18.0 has no ORM helper for ``FOR UPDATE SKIP LOCKED``. Two workers never get
        the same row, and neither waits for the other. The locks last until the caller's
        transaction ends, so the caller changes the rows' state before it commits.

        :param SQL where: condition on the model's table
        :param SQL order: ORDER BY expression
        :param list fnames: the fields ``where`` and ``order`` read (flushed first)
        """
        self.flush_model(fnames)
        try:
            with self.env.cr.savepoint(flush=False):
                # a refusal is expected (see below), not an error for the log
                self.env.cr.execute(SQL(
                    "SELECT id FROM %s WHERE %s ORDER BY %s LIMIT %s FOR UPDATE SKIP LOCKED",
                    SQL.identifier(self._table), where, order, limit,
                ), log_exceptions=False)
                ids = [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            # Rows changed by a worker that committed after our snapshot: next call.
            return self.sudo().browse()
        return self.sudo().browse(ids)

    @api.model
    def _ar_claim_leased(self, limit, now, retry, fnames):
        """Claim up to ``limit`` rows due at ``now`` and lease them: count the attempt and push
        the next one back by ``retry``'s delay, so that no other worker acts on them meanwhile.
        A row that already used all its attempts (its worker died after acting) is marked
        failed instead of being returned.

        :param retry: the queue's ``Backoff``
        :param dict fnames: the row's fields for ``state`` ('pending', then 'failed'),
            ``attempts`` and ``next_attempt``
        """
        state, attempts, next_attempt = (SQL.identifier(fnames[key]) for key in ("state", "attempts", "next_attempt"))
        rows = self._ar_claim_rows(
            SQL("%s = 'pending' AND (%s IS NULL OR %s <= %s)", state, next_attempt, next_attempt, now),
            SQL("%s NULLS FIRST, id", next_attempt), limit, [fnames["state"], fnames["next_attempt"]],
        )
        exhausted = rows.filtered(lambda row: retry.exhausted(row[fnames["attempts"]]))
        exhausted.write({fnames["state"]: "failed", fnames["next_attempt"]: False})
        for row in rows - exhausted:
            tries = row[fnames["attempts"]] + 1
            row.write({fnames["attempts"]: tries, fnames["next_attempt"]: now + retry.delay(tries)})
        return rows - exhausted
