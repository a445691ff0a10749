"""The credit releases of the crash matrix (issue 18): one tied to an order in each state.

Shared by the order and invoice rows here and the delivery rows of ar_collections_credit_stock.
"""
from datetime import timedelta

from odoo.exceptions import UserError

MATRIX_STATES = (
    "none", "requested", "approved", "approved_too_small", "expired", "used", "refused", "cancelled",
)


class CreditReleaseMatrixMixin:
    """For a TestCase based on ``ArCreditSaleCommon``."""

    def _matrix_release(self, state, order, amount=1000.0, too_small=100.0):
        """A release for ``order`` of Overdue Industries in ``state`` (``"none"``: no release).

        ``approved``: enough for the order; ``approved_too_small``: less than it; ``used``: spent
        on the order (confirmed under it).
        """
        Release = self.env["ar.credit.release"]
        if state == "none":
            return Release
        release = Release.with_user(self.salesman).create({
            "partner_id": self.customer.id, "sale_order_id": order.id, "reason": "Seasonal peak, paid by transfer",
            "amount": too_small if state == "approved_too_small" else amount,
        })
        release.with_user(self.salesman).action_request()
        if state == "requested":
            return release
        if state == "refused":
            release.with_user(self.credit_manager).action_refuse()
            return release
        if state == "cancelled":
            release.with_user(self.salesman).action_cancel()
            return release
        release.with_user(self.credit_manager).action_approve()
        if state == "expired":
            release.sudo().expiry_date = self.today - timedelta(days=1)
            Release._cron_expire_releases()
        elif state == "used":
            release.sudo().write({"state": "used", "amount_used": order.amount_total})
        self.assertEqual(release.state, state.removesuffix("_too_small"))
        return release

    def _matrix_outcome(self, act):
        """Run ``act``: the error message if the credit check refused it, else None.

        Any other exception (e.g. the TypeError of records of different models) fails the test.
        """
        try:
            act()
        except UserError as error:
            return str(error)
        return None
