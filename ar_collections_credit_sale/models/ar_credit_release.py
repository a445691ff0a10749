from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

from odoo.addons.ar_collections_credit.models.ar_credit_release import EDITABLE_STATES


class ArCreditRelease(models.Model):
    """A release may be tied to one order: only that order may use it, and it then covers the
    order's deliveries and invoices."""

    _inherit = "ar.credit.release"

    sale_order_id = fields.Many2one(
        "sale.order", string="For order", tracking=True, check_company=True,
        domain="[('partner_id', 'child_of', partner_id), ('state', 'in', ('draft', 'sent'))]",
        help="Only this order may use the release. Empty: any document of the customer.",
    )

    @api.constrains("partner_id", "sale_order_id")
    def _check_sale_order(self):
        # the field's domain is only a hint to the form: a release tied to another customer's
        # order or to a cancelled one can never be used
        for release in self.filtered(lambda rel: rel.sale_order_id and rel.state in EDITABLE_STATES):
            order = release.sale_order_id
            if order.partner_id.commercial_partner_id != release.partner_id:
                raise ValidationError(self.env._(
                    "%(order)s is an order of %(customer)s, not of %(partner)s: choose one of their quotations.",
                    order=order.name, customer=order.partner_id.commercial_partner_id.display_name,
                    partner=release.partner_id.display_name,
                ))
            if order.state == "cancel":
                raise ValidationError(self.env._(
                    "%(order)s is cancelled: choose a quotation still to confirm.", order=order.name))

    @api.model
    def _ar_release_domain(self, documents):
        # a release used up by its order still covers that order's deliveries and invoices
        return expression.OR([
            super()._ar_release_domain(documents),
            [("state", "=", "used"), ("sale_order_id", "in", documents._ar_credit_orders().ids)],
        ])

    def _ar_candidates(self, partner, documents):
        # the release of this very order first: it can serve nothing else
        order = self._ar_document_order(documents)
        tied = self.filtered(lambda rel: order and rel.partner_id == partner and rel.sale_order_id == order)
        return tied | super()._ar_candidates(partner, documents).filtered(lambda rel: not rel.sale_order_id)

    def _ar_cover(self, documents, reasons):
        """Let the deliveries or invoices of a release's order through: the order spent it already."""
        covering = self.filtered(lambda rel: rel.state == "used" and rel.sale_order_id)
        if not covering or documents._name == "sale.order":
            return super()._ar_cover(documents, reasons)
        release = covering[0].sudo()
        release.message_post(body=self.env._(
            "%(documents)s of %(order)s went through on this release, which covers its order, despite: %(reasons)s",
            documents=", ".join(documents.mapped("display_name")), order=release.sale_order_id.name,
            reasons=" ".join(reasons),
        ))
        release._ar_note_on(documents)
        return True

    def _ar_unusable_reasons(self, documents):
        reasons = super()._ar_unusable_reasons(documents)
        covering = self.filtered(lambda rel: rel.state == "used" and rel.sale_order_id)
        if covering:
            reasons.append(self.env._(
                "Credit release %(release)s was used up when %(order)s was first confirmed.",
                release=covering[0].name, order=covering[0].sale_order_id.name,
            ))
        return reasons

    def _ar_used_up_by_one_use(self):
        # a release tied to an order is used up by it: it then covers that order's deliveries and invoices
        return bool(self.sale_order_id) or super()._ar_used_up_by_one_use()

    @api.model
    def _ar_document_order(self, documents):
        """The one sale order all ``documents`` come from (themselves, for orders), else no order."""
        orders = documents._ar_credit_orders()
        if len(orders) == 1 and all(document._ar_credit_orders() for document in documents):
            return orders
        return orders.browse()

    @api.model
    def _ar_release_menu(self):
        return self.env._("Sales > Orders > Credit Releases")

    def _ar_note_body(self, document):
        if document._name == "sale.order":
            return self.env._("Confirmed under credit release %(release)s approved by %(user)s.",
                              release=self.name, user=self.approved_by_id.name)
        return super()._ar_note_body(document)
