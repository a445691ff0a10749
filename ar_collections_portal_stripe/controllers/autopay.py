import psycopg2

from odoo import fields, http
from odoo.exceptions import ValidationError
from odoo.http import request

from odoo.addons.ar_collections_portal.utils import parse_record_id
from odoo.addons.portal.controllers.portal import CustomerPortal

# Attempts shown on the page.
LAST_ATTEMPTS = 10


class ArAutopayPortal(CustomerPortal):
    """Autopay from the portal: the customer charges their due invoices to a saved card.

    The records are read and written with sudo (portal users have no access to mandates),
    always filtered on the commercial partner of the logged-in user: an id sent by the
    browser only selects among the customer's own cards and mandates.
    """

    def _ar_autopay_messages(self):
        return {
            "enabled": request.env._("Autopay is on: your invoices will be charged to this card on their due date."),
            "changed": request.env._("Your invoices will now be charged to this card."),
            "disabled": request.env._("Autopay is off: nothing more will be charged to your card."),
        }

    def _ar_autopay_errors(self):
        return {
            "card": request.env._("This card cannot be used for autopay: choose one of your saved cards below."),
            "declined_card": request.env._(
                "This card was declined: choose another card, or save a new one under Manage payment methods."),
            "mandate": request.env._("This autopay could not be found: refresh the page and try again."),
            "conflict": request.env._("Autopay was changed meanwhile: refresh the page and try again."),
        }

    def _ar_autopay_values(self, message=None, error=None):
        partner = request.env.user.partner_id
        customer = partner.commercial_partner_id
        Mandate = request.env["ar.autopay.mandate"].sudo()
        tokens = Mandate._ar_portal_tokens(partner)
        mandates = Mandate.search([("partner_id", "=", customer.id)])
        sections = []
        for company in (tokens.company_id | mandates.company_id).sorted("name"):
            sections.append({
                "company": company,
                "tokens": tokens.filtered(lambda token, c=company: token.company_id == c),
                "mandate": mandates.filtered(lambda mandate, c=company: mandate.company_id == c)[:1],
            })
        attempts = request.env["ar.autopay.attempt"].sudo().search(
            [("partner_id", "=", customer.id)], limit=LAST_ATTEMPTS, order="id desc")
        return {
            "page_name": "ar_autopay",
            "customer": customer,
            "sections": sections,
            "attempts": attempts,
            "ar_message": self._ar_autopay_messages().get(message) if message else None,
            "ar_error": self._ar_autopay_errors().get(error) if error else None,
        }

    def _ar_autopay_render(self, message=None, error=None):
        values = self._prepare_portal_layout_values()
        values.update(self._ar_autopay_values(message=message, error=error))
        # A refused request answers 400: nothing was written.
        return request.render("ar_collections_portal_stripe.portal_my_autopay", values, status=400 if error else 200)

    @http.route("/my/autopay", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_autopay(self, message=None, **kw):
        """The customer's saved cards, autopay per company and the last charges."""
        return self._ar_autopay_render(message=message if isinstance(message, str) else None)

    @http.route("/my/autopay/enable", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_autopay_enable(self, token_id=None, **kw):
        """Turn autopay on with one of the customer's cards, or change its card."""
        partner = request.env.user.partner_id
        customer = partner.commercial_partner_id
        Mandate = request.env["ar.autopay.mandate"].sudo()
        token_id = parse_record_id(token_id)
        token = Mandate._ar_portal_tokens(partner).filtered(lambda tok: tok.id == token_id) if token_id else None
        if not token:
            return self._ar_autopay_render(error="card")
        mandate = Mandate.search([("partner_id", "=", customer.id), ("company_id", "=", token.company_id.id)])
        if mandate and mandate.token_id == token and mandate.state == "active":
            return request.redirect("/my/autopay?message=changed", code=303)
        if mandate and mandate.token_id == token:
            return self._ar_autopay_render(error="declined_card")
        try:
            with request.env.cr.savepoint():
                if mandate:
                    mandate.token_id = token
                    message = "changed"
                else:
                    Mandate.create({
                        "partner_id": customer.id,
                        "company_id": token.company_id.id,
                        "token_id": token.id,
                        "consent_user_id": request.env.user.id,
                        "date_consented": fields.Datetime.now(),
                    })
                    message = "enabled"
        except ValidationError:
            return self._ar_autopay_render(error="card")
        except psycopg2.IntegrityError:  # another opt-in of the same customer won the race
            return self._ar_autopay_render(error="conflict")
        return request.redirect(f"/my/autopay?message={message}", code=303)

    @http.route("/my/autopay/disable", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_autopay_disable(self, mandate_id=None, **kw):
        """Turn autopay off (the mandate is archived, its history kept)."""
        customer = request.env.user.partner_id.commercial_partner_id
        mandate_id = parse_record_id(mandate_id)
        mandate = request.env["ar.autopay.mandate"].sudo().search(
            [("id", "=", mandate_id), ("partner_id", "=", customer.id)]) if mandate_id else None
        if not mandate:
            return self._ar_autopay_render(error="mandate")
        mandate.active = False
        return request.redirect("/my/autopay?message=disabled", code=303)
