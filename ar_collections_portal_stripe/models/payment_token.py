import calendar
import logging
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)


class PaymentToken(models.Model):
    _inherit = "payment.token"

    ar_card_exp_month = fields.Integer(string="Card expiry month", readonly=True, copy=False)
    ar_card_exp_year = fields.Integer(string="Card expiry year", readonly=True, copy=False)
    ar_card_expiry_date = fields.Date(
        string="Card valid until", compute="_compute_ar_card_expiry_date", store=True, index="btree_not_null",
        help="Last day of the card's expiry month; empty when the expiry is not known.",
    )
    ar_card_checked_date = fields.Date(
        string="Card expiry looked up on", readonly=True, copy=False,
        help="Technical: last day the expiry was asked from Stripe, so that a failing look-up is "
             "not repeated within the day.",
    )
    ar_expiry_notified = fields.Boolean(
        string="Expiry notice sent", readonly=True, copy=False,
        help="The customer was told that this card is about to expire (sent once per card).",
    )
    ar_autopay_mandate_ids = fields.One2many("ar.autopay.mandate", "token_id", string="Autopay mandates")

    @api.depends("ar_card_exp_month", "ar_card_exp_year")
    def _compute_ar_card_expiry_date(self):
        for token in self:
            month, year = token.ar_card_exp_month, token.ar_card_exp_year
            if 1 <= month <= 12 and year >= 2000:
                token.ar_card_expiry_date = date(year, month, calendar.monthrange(year, month)[1])
            else:
                token.ar_card_expiry_date = False

    def _ar_set_card_expiry(self, card):
        """Store the expiry of the card described by Stripe's ``card`` dict (``exp_month``, ``exp_year``)."""
        self.ensure_one()
        try:
            month, year = int(card.get("exp_month") or 0), int(card.get("exp_year") or 0)
        except (TypeError, ValueError):
            return
        if 1 <= month <= 12 and year >= 2000:
            self.write({"ar_card_exp_month": month, "ar_card_exp_year": year})

    def _ar_fetch_card_expiry(self):
        """Ask Stripe the expiry of these cards (``GET payment_methods/<id>``) and store it.

        A look-up that fails (Stripe unreachable, card gone) is logged and tried again another
        day: the card-expiry notice is a courtesy, it must not stop the other tokens.
        """
        today = fields.Date.context_today(self)
        for token in self.filtered(lambda tok: tok.provider_code == "stripe" and tok.stripe_payment_method):
            token.ar_card_checked_date = today
            try:
                with self.env.cr.savepoint():
                    payment_method = token.provider_id._stripe_make_request(
                        f"payment_methods/{token.stripe_payment_method}", method="GET")
            except ValidationError as error:
                _logger.warning("could not read the expiry of payment token %s from Stripe: %s", token.id, error)
                continue
            card = payment_method.get("card") if isinstance(payment_method, dict) else None
            if card:
                token._ar_set_card_expiry(card)
