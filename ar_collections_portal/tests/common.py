from odoo.tests import HttpCase

from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


class ArPortalCommon(ArCollectionsCommon, AccountPaymentCommon):
    """The AR scenario of ar_collections plus Odoo's test payment provider (``cls.provider``,
    code ``none``, published, with its journal and payment method line, as account_payment's
    own tests set it up): the portal works with whatever provider a company publishes.

    A payment completes as a provider would complete it: ``_ar_provider_confirms``.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # account_payment's common prepares its provider in the company of its own scenario:
        # the invoices of ours are in ``cls.company``.
        cls.provider = cls._ar_provider(cls.company)
        cls.payment_method = cls.provider.payment_method_ids[:1]

    @classmethod
    def _ar_provider(cls, company):
        """Odoo's test provider in ``company``: published, in the company's currency, paid into
        its bank journal (the payment method line is what account_payment books on)."""
        provider = cls._prepare_provider(company=company, update_values={"is_published": True})
        provider.available_currency_ids |= company.currency_id
        bank_journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        with cls.mocked_get_payment_method_information(cls):
            provider.journal_id = bank_journal
        return provider

    @classmethod
    def _ar_token(cls, partner, provider=None, details="4242"):
        """A saved payment method of ``partner`` at the test provider."""
        return cls.env["payment.token"].sudo().create({
            "provider_id": (provider or cls.provider).id,
            "payment_method_id": cls.payment_method.id,
            "partner_id": partner.id,
            "payment_details": details,
            "provider_ref": f"ref-{partner.id}-{details}",
        })

    def _ar_provider_confirms(self, tx):
        """What the provider tells Odoo once the customer paid: the transaction is done, and the
        post-processing (the payment cron) books the payment against its invoices."""
        tx = tx.sudo()
        tx._set_done()
        tx._post_process()
        return tx


class ArPortalHttpCommon(ArPortalCommon, HttpCase):
    """Portal routes as the customer: helpers to log in and post forms with their CSRF token."""

    def _ar_login(self, login="ar_portal"):
        self.authenticate(login, login)

    def _ar_csrf(self, url="/my"):
        """The CSRF token of the current session, read from a page the customer can open."""
        response = self.url_open(url)
        response.raise_for_status()
        marker = 'name="csrf_token" value="'
        if marker in response.text:
            return response.text.split(marker, 1)[1].split('"', 1)[0]
        return response.text.split('csrf_token: "', 1)[1].split('"', 1)[0]

    def _ar_post(self, url, data, files=None, csrf=True, allow_redirects=False):
        """POST a form; the session's CSRF token is added unless ``csrf`` is False."""
        data = dict(data)
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self._ar_csrf()
        return self.url_open(url, data=data, files=files, allow_redirects=allow_redirects)
