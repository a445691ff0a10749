from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class ArCustomerInvoicesMixin(models.AbstractModel):
    """Something about some posted invoices of one customer (a dispute, a promise)."""

    _name = "ar.customer.invoices.mixin"
    _description = "Invoices of one customer"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True,
                                 domain="[('parent_id', '=', False)]")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices", required=True, check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )

    @api.constrains("partner_id", "invoice_ids")
    def _check_invoices_partner(self):
        for record in self:
            record._ar_check_customer_invoices()

    def _ar_check_customer_invoices(self):
        """Raise unless the invoices are posted customer invoices of the record's customer.

        Also called first by the amount checks of the models, so that a user sees the
        wrong invoice rather than the amount it led to.
        """
        self.ensure_one()
        if not self.invoice_ids:
            raise ValidationError(self.env._("Choose at least one invoice of %(partner)s.",
                                             partner=self.partner_id.display_name))
        # vendor bills, credit notes, draft and cancelled invoices: the form's domain is only a hint
        wrong = self.invoice_ids.filtered(lambda inv: inv.move_type != "out_invoice" or inv.state != "posted")
        if wrong:
            raise ValidationError(self.env._(
                "Only posted customer invoices can be chosen, not %(invoices)s.",
                invoices=", ".join(wrong.mapped("display_name"))))
        foreign = self.invoice_ids.filtered(
            lambda inv: inv.commercial_partner_id != self.partner_id.commercial_partner_id)
        if foreign:
            raise ValidationError(self.env._(
                "Invoices %(invoices)s are not invoices of %(partner)s.",
                invoices=", ".join(foreign.mapped("name")), partner=self.partner_id.display_name))

    # ------------------------------------------------------------------
    # One open record per invoice
    # ------------------------------------------------------------------

    def _ar_invoices_open_elsewhere(self, open_domain):
        """The invoices of an open record of ``self`` that another open record already holds
        (the first such record's), for the constraint "an invoice is in one open dispute
        (promise...) at most", whoever creates it and however many requests do at once.

        :param list open_domain: what makes a record of this model open
        """
        records = self.filtered_domain(open_domain)
        if not records:
            return self.env["account.move"]
        self._ar_lock_invoices(records.invoice_ids)
        others = self.sudo().search([*open_domain, ("invoice_ids", "in", records.invoice_ids.ids)])
        for record in records:
            busy = (others - record).invoice_ids & record.invoice_ids
            if busy:
                return busy
        return self.env["account.move"]

    def _ar_lock_invoices(self, invoices):
        """Serialize the transactions that check ``invoices`` for open records.

        A row lock alone is not enough: Odoo's transactions are REPEATABLE READ, and one that
        waited for the lock goes on with a snapshot that does not show what the other one
        created. The rows are therefore written (to themselves): a transaction that writes
        or locks them after another one wrote them and committed fails to serialize, and
        Odoo retries its request, which then sees the other record.
        """
        ids = tuple(sorted(invoices.ids))
        if ids:
            self.env.cr.execute(SQL("SELECT id FROM account_move WHERE id IN %s ORDER BY id FOR UPDATE", ids))
            self.env.cr.execute(SQL("UPDATE account_move SET write_date = write_date WHERE id IN %s", ids))
