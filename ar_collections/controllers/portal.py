from odoo import http
from odoo.http import request

from odoo.addons.account.controllers.portal import PortalAccount


class ArPortalAccount(PortalAccount):

    @http.route()
    def portal_my_invoice_detail(self, invoice_id, access_token=None, report_type=None, download=False, **kw):
        """Odoo's invoice page, where the customer pays. Opened from a reminder's pay link, whose
        ``ar_click`` parameter signs the invoice id, it records the click for the worklist's
        "clicked, not paid"; a parameter that does not sign this invoice: 404."""
        click = kw.pop("ar_click", None)
        if click is not None:
            invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
            if not invoice or not invoice._ar_check_pay_link_token(click):
                raise request.not_found()
            if not report_type:  # the page, not its PDF
                invoice._ar_record_pay_link_click()
        return super().portal_my_invoice_detail(
            invoice_id, access_token=access_token, report_type=report_type, download=download, **kw)
