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
                self.env.cr.execute(SQL(
                    "SELECT id FROM %s WHERE %s ORDER BY %s LIMIT %s FOR UPDATE SKIP LOCKED",
                    SQL.identifier(self._table), where, order, limit,
                ))
                ids = [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            # Rows changed by a worker that committed after our snapshot: next call.
            return self.sudo().browse()
        return self.sudo().browse(ids)
