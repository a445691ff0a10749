import ast
import re
from urllib.parse import quote, urlencode

from odoo import Command, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import content_disposition, request
from odoo.tools.lru import LRU
from odoo.tools.misc import format_date, get_lang

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.ar_collections.const import OPEN_INVOICE_DOMAIN
from odoo.addons.base.models.res_lang import intersperse

from ..models.res_partner import STATEMENT_FILTERS
from ..utils import (
    MAX_AMOUNT,
    MAX_RECORD_ID,
    amount_problem,
    format_amount,
    parse_amount,
    parse_record_id,
    protect_token_page,
)

# Invoices one online payment may cover; a selection is a GET parameter, keep it short.
MAX_PAYMENT_INVOICES = 200
INVOICE_ID_RE = re.compile(r"[0-9]{1,12}")
STATEMENT_REPORT = "ar_collections_portal.action_report_ar_statement"
# Transactions whose outcome is known or coming and whose payment is not booked yet.
TX_IN_FLIGHT_STATES = ("pending", "authorized", "done")
# Statement PDFs of this process by (database, statement state): a render takes seconds and
# a link may be opened again and again; a changed statement has another key.
STATEMENT_PDF_CACHE = LRU(16)


def _record_id(value):
    """``value`` if it is a positive integer (not a boolean) sent as JSON, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class ArStatementPortal(PortalAccount):
    """Statement of account of the customer: logged in, or through a signed statement link
    (``?access_token=<partner>-<expiry>-<signature>``, see ``res.partner._ar_statement_url``).

    Every read is done as superuser restricted by explicit domains on the commercial partner
    that the session or the link gives access to; ids sent by the browser are only ever
    looked up inside those domains.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "ar_statement_count" in counters:
            partner = request.env.user.partner_id.commercial_partner_id
            values["ar_statement_count"] = (
                0 if request.env.user._is_public()
                else request.env["account.move"].sudo().search_count(partner._ar_statement_domain())
            )
        return values

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def _ar_statement_partner(self, access_token=None):
        """The commercial partner (sudo) whose statement is open to this request.

        :return: (partner, error): ``error`` is ``"invalid"`` for a statement token that is
            malformed, tampered, expired or revoked, ``"login"`` when there is neither a token
            nor a logged-in user, else False
        """
        Partner = request.env["res.partner"].sudo()
        if access_token:
            partner = Partner._ar_statement_partner_from_token(access_token)
            return partner, (False if partner else "invalid")
        if request.env.user._is_public():
            return Partner, "login"
        return request.env.user.partner_id.commercial_partner_id.sudo(), False

    def _ar_statement_denied(self, error):
        if error == "login":
            return request.redirect("/web/login?redirect=" + quote(request.httprequest.full_path, safe=""))
        return request.render("ar_collections_portal.portal_statement_link_invalid", {}, status=403)

    @staticmethod
    def _ar_statement_query(access_token, **params):
        """Query string of a statement URL, carrying the statement token when there is one."""
        if access_token:
            params["access_token"] = access_token
        return ("?" + urlencode(params)) if params else ""

    # ------------------------------------------------------------------
    # Statement page
    # ------------------------------------------------------------------

    def _ar_statement_values(self, partner, access_token=None, filterby="all"):
        """Values of the statement page of ``partner`` (sudo)."""
        env = request.env
        data = partner._ar_statement_data(filterby=filterby)
        # One UPDATE instead of one write per line when the document links are built.
        env["account.move"].sudo().browse(
            [line["move"].id for group in data["groups"] for line in group["lines"]]
        )._ar_ensure_access_tokens()
        self._ar_format_statement_lines(data["groups"])
        return {
            **data,
            "page_name": "ar_statement",
            "access_token": access_token,
            "statement_query": self._ar_statement_query(access_token),
            "default_url": "/my/statement",
            "searchbar_filters": {
                "all": {"label": env._("All open")},
                "overdue": {"label": env._("Overdue")},
                "due": {"label": env._("Not yet due")},
            },
            "pay_url": lambda invoices: "/my/statement/pay" + self._ar_statement_query(
                access_token, invoice_ids=",".join(str(invoice_id) for invoice_id in invoices.ids)),
        }

    def _ar_format_statement_lines(self, groups):
        """Due dates, amounts and status badges of the statement lines, ready to show.

        Measured (setup/bench.py, 500 open invoices): QWeb's date and monetary widgets
        were 40% of the page's time, and format_amount() a third of it, each call looking
        up the language again; here the language is read once and each distinct date
        formatted once.
        """
        env = request.env
        lang = get_lang(env)
        grouping = ast.literal_eval(lang.grouping)
        thousands_sep, decimal_point = lang.thousands_sep or "", lang.decimal_point
        dates, formats = {}, {}

        def money(amount, currency):
            # what format_amount() writes (and the monetary widget shows as text)
            if currency not in formats:
                symbol = currency.symbol or ""
                formats[currency] = (f"%.{currency.decimal_places}f",
                                     f"{symbol}\N{NO-BREAK SPACE}" if currency.position == "before" else "",
                                     f"\N{NO-BREAK SPACE}{symbol}" if currency.position != "before" else "")
            fmt, pre, post = formats[currency]
            parts = (fmt % currency.round(amount)).split(".")
            parts[0] = intersperse(parts[0], grouping, thousands_sep)[0]
            text = decimal_point.join(parts).replace(" ", "\N{NO-BREAK SPACE}").replace(
                "-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
            return f"{pre}{text}{post}"

        badges = {}
        for group in groups:
            for line in group["lines"]:
                # a t-call per line compiles the lookup again each time: the badge is rendered
                # once per (status, promised date) and reused
                badge_key = (line["status"], line["promised_date"])
                if badge_key not in badges:
                    badges[badge_key] = env["ir.qweb"]._render("ar_collections_portal.statement_status_badge",
                                                               {"line": line})
                line["badge"] = badges[badge_key]
                move = line["move"]
                due = move.invoice_date_due
                if due not in dates:
                    dates[due] = format_date(env, due, lang_code=lang.code)
                line["due_display"] = dates[due]
                line["total_display"] = money(move.amount_total, move.currency_id)
                line["residual_display"] = money(line["residual"], move.currency_id)

    @http.route("/my/statement", type="http", auth="public", website=True, methods=["GET"], sitemap=False)
    def portal_my_statement(self, access_token=None, filterby="all", **kw):
        """Open invoices and credit notes of the customer per company and currency, with
        totals, payment history and what can be paid online."""
        partner, error = self._ar_statement_partner(access_token)
        if error:
            return self._ar_statement_denied(error)
        values = self._prepare_portal_layout_values()
        filterby = filterby if filterby in STATEMENT_FILTERS else "all"
        values.update(self._ar_statement_values(partner, access_token=access_token, filterby=filterby))
        return protect_token_page(request.render("ar_collections_portal.portal_my_statement", values))

    @http.route("/my/statement/pdf", type="http", auth="public", website=True, methods=["GET"], sitemap=False)
    def portal_my_statement_pdf(self, access_token=None, download=None, **kw):
        """The statement as a PDF."""
        partner, error = self._ar_statement_partner(access_token)
        if error:
            return self._ar_statement_denied(error)
        content = self._ar_statement_pdf(partner)
        filename = request.env._("Statement - %(name)s.pdf", name=re.sub(r"[^\w -]+", "_", partner.name or ""))
        return protect_token_page(request.make_response(content, headers=[
            ("Content-Type", "application/pdf"),
            ("Content-Length", len(content)),
            ("Content-Disposition", content_disposition(filename, "attachment" if download else "inline")),
        ]))

    def _ar_statement_pdf(self, partner):
        """The statement PDF of ``partner`` (sudo), rendered once per state of the statement."""
        key = (request.env.cr.dbname, partner._ar_statement_state_key())
        content = STATEMENT_PDF_CACHE.get(key)
        if content is None:
            content, _report_type = request.env["ir.actions.report"].sudo()._render_qweb_pdf(
                STATEMENT_REPORT, partner.ids)
            if isinstance(content, str):  # the HTML Odoo renders instead of a PDF in test mode
                content = content.encode()
            STATEMENT_PDF_CACHE[key] = content
        return content

    @http.route()
    def portal_my_invoice_detail(self, invoice_id, access_token=None, report_type=None, download=False, **kw):
        """Odoo's invoice page; opened by its link, it is neither stored nor framed."""
        response = super().portal_my_invoice_detail(
            invoice_id, access_token=access_token, report_type=report_type, download=download, **kw)
        return protect_token_page(response) if access_token else response

    # ------------------------------------------------------------------
    # Paying invoices of the statement
    # ------------------------------------------------------------------

    @staticmethod
    def _ar_parse_invoice_ids(value):
        """Invoice ids from a list (JSON) or comma-separated strings (URL), without duplicates."""
        env = request.env
        parts = []
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str):
                parts.extend(part.strip() for part in item.split(",") if part.strip())
            elif item is not None:
                parts.append(item)
        ids = []
        for part in parts:
            record_id = _record_id(part) or (int(part) if isinstance(part, str) and INVOICE_ID_RE.fullmatch(part) else None)
            if not record_id:
                raise ValidationError(env._("The selection of invoices to pay is not valid."))
            ids.append(record_id)
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise ValidationError(env._("Select at least one invoice to pay."))
        if len(ids) > MAX_PAYMENT_INVOICES:
            raise ValidationError(env._("Select at most %(count)s invoices for one payment.", count=MAX_PAYMENT_INVOICES))
        return ids

    def _ar_check_statement_payment(self, partner, invoice_ids, amount=None, partial_ok=False):
        """Validate a payment of the statement of ``partner``: the invoices are open posted
        customer invoices of that partner, in one company and one currency, and
        0 < amount <= their open total (equal to it unless the company allows partial
        payments).

        :param amount: None means the open total
        :param partial_ok: a part of the open total is accepted whatever the company allows
            (an instalment of a payment plan)
        :return: (invoices as sudo, oldest due first; amount rounded to the currency)
        :raise ValidationError: with a sentence for the customer
        """
        env = request.env
        ids = self._ar_parse_invoice_ids(invoice_ids)
        amount = parse_amount(env, amount)
        invoices = env["account.move"].sudo().search([
            ("id", "in", ids),
            ("commercial_partner_id", "=", partner.id),
            *OPEN_INVOICE_DOMAIN,
        ], order="invoice_date_due, id")
        if len(invoices) != len(ids):
            raise ValidationError(env._(
                "Some of the selected invoices cannot be paid here: only open invoices of your account "
                "can be paid (one may just have been paid). Reload your statement."))
        if len(invoices.company_id) > 1:
            raise ValidationError(env._(
                "The selected invoices were issued by different companies: pay the invoices of one company at a time."))
        if len(invoices.currency_id) > 1:
            raise ValidationError(env._(
                "The selected invoices are in different currencies: pay the invoices of one currency at a time."))
        in_flight = env["payment.transaction"].sudo().search_count([
            ("invoice_ids", "in", invoices.ids),
            ("state", "in", TX_IN_FLIGHT_STATES),
            ("is_post_processed", "=", False),
        ], limit=1)
        if in_flight:
            raise ValidationError(env._(
                "A payment of some of the selected invoices is being processed: wait until it is booked "
                "before paying them again."))
        currency, company = invoices.currency_id, invoices.company_id
        open_total = currency.round(sum(invoices.mapped("amount_residual")))
        amount = open_total if amount is None else amount
        problem = amount_problem(amount, currency, open_total)
        if problem == "not_positive":
            raise ValidationError(env._("The amount to pay must be more than zero."))
        if problem == "above":
            raise ValidationError(env._(
                "The amount %(amount)s is more than the selected invoices have open (%(open)s).",
                amount=format_amount(currency, amount), open=currency.format(open_total)))
        amount = currency.round(amount)
        if currency.compare_amounts(amount, open_total) and not (partial_ok or company.ar_portal_allow_partial):
            raise ValidationError(env._(
                "Pay the full open amount of the selected invoices (%(open)s): partial payments are not "
                "accepted online.", open=currency.format(open_total)))
        return invoices, amount

    @http.route("/my/statement/pay", type="http", auth="public", website=True, methods=["GET"], sitemap=False)
    def portal_my_statement_pay(self, access_token=None, amount=None, **kw):
        """The payment form for a selection of the statement's invoices (``invoice_ids``:
        one or more comma-separated ids)."""
        partner, error = self._ar_statement_partner(access_token)
        if error:
            return self._ar_statement_denied(error)
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "ar_statement_pay",
            "partner": partner,
            "access_token": access_token,
            "statement_url": "/my/statement" + self._ar_statement_query(access_token),
        })
        try:
            invoices, amount = self._ar_check_statement_payment(
                partner, request.httprequest.args.getlist("invoice_ids"), amount)
        except ValidationError as exc:
            values["error"] = exc.args[0]
            return protect_token_page(
                request.render("ar_collections_portal.portal_my_statement_pay", values, status=400))
        values.update(self._ar_statement_pay_values(partner, invoices, amount, access_token))
        return protect_token_page(request.render("ar_collections_portal.portal_my_statement_pay", values))

    def _ar_statement_pay_values(self, partner, invoices, amount, access_token):
        """Values of the pay page: the invoices and Odoo's payment form context."""
        company, currency = invoices.company_id, invoices.currency_id
        ids = ",".join(str(invoice_id) for invoice_id in invoices.ids)
        values = self._get_common_page_view_values(
            invoices_data={
                "partner": partner,
                "company": company,
                "total_amount": amount,
                "currency": currency,
                "amount_residual": amount,
                "landing_route": self._ar_statement_landing_route(access_token),
                "transaction_route": f"/my/statement/transaction/{ids}",
            },
            access_token=access_token,
        )
        if access_token:
            # A forwarded link must not charge the customer's saved cards nor save new ones.
            values.update({
                "partner_id": partner.id,
                "tokens_sudo": request.env["payment.token"].sudo(),
                "show_tokenize_input_mapping": dict.fromkeys(values["providers_sudo"].ids, False),
            })
        open_total = currency.round(sum(invoices.mapped("amount_residual")))
        values.update({
            "invoices": invoices,
            "amount": amount,
            "open_total": open_total,
            "currency": currency,
            "company": company,
            "allow_partial": company.ar_portal_allow_partial,
            "invoice_ids_param": ids,
        })
        return values

    def _ar_statement_landing_route(self, access_token):
        return "/my/statement" + self._ar_statement_query(access_token)

    @http.route(
        ["/my/statement/transaction", "/my/statement/transaction/<string:invoice_ids>"], type="json", auth="public",
    )
    def portal_my_statement_transaction(self, invoice_ids=None, amount=None, access_token=None, **kwargs):
        """Create the transaction paying invoices of the statement; return its processing values.

        Everything the browser sends is checked again here: the invoices (see
        ``_ar_check_statement_payment``), the amount, the provider, payment method or
        saved card; the landing route is the statement's, whatever was sent.

        :param invoice_ids: list of ids, or comma-separated ids (in the URL of the payment form)
        :param access_token: statement token when the statement was opened from a link
        """
        env = request.env
        partner, error = self._ar_statement_partner(access_token)
        if error == "invalid":
            raise ValidationError(env._("This statement link has expired or is not valid: ask for a new one or log in."))
        if error:
            raise ValidationError(env._("Log in, or open the statement link of your reminder, to pay your invoices."))
        if amount is None or amount == "":  # "" would mean the open total on the pay page
            raise ValidationError(env._("The amount to pay is missing."))
        invoices, amount = self._ar_check_statement_payment(partner, invoice_ids, amount)
        return self._ar_statement_transaction(partner, invoices, amount, access_token, kwargs)

    def _ar_statement_transaction(self, partner, invoices, amount, access_token, kwargs):
        """Create the transaction paying ``amount`` (checked) of ``invoices`` (checked) with
        what the payment form sent in ``kwargs``; return its processing values."""
        env = request.env
        self._validate_transaction_kwargs(kwargs)
        payer = partner if access_token else env.user.partner_id
        tx_values = self._ar_check_transaction_values(kwargs, invoices, amount, payer, tokenized=bool(access_token))
        tx_sudo = self._create_transaction(
            amount=amount,
            currency_id=invoices.currency_id.id,
            partner_id=payer.id,
            landing_route=self._ar_statement_landing_route(access_token),
            reference_prefix=invoices.company_id.get_next_batch_payment_communication() if len(invoices) > 1 else None,
            custom_create_values={"invoice_ids": [Command.set(invoices.ids)]},
            **tx_values,
        )
        return tx_sudo._get_processing_values()

    def _ar_check_transaction_values(self, kwargs, invoices, amount, payer, tokenized):
        """Provider, payment method or saved card of a statement payment, checked against what
        the payment form offers for these invoices.

        :return: the keyword arguments of ``_create_transaction`` about how to pay
        """
        env = request.env
        flow = kwargs.get("flow")
        if flow not in ("direct", "redirect", "token") or kwargs.get("is_validation"):
            raise ValidationError(env._("Choose how to pay: the payment form sent an unknown payment flow."))
        if tokenized and flow == "token":
            raise ValidationError(env._("Log in to pay with a saved payment method."))
        providers = env["payment.provider"].sudo()._get_compatible_providers(
            invoices.company_id.id, payer.id, amount, currency_id=invoices.currency_id.id)
        invalid = ValidationError(env._("This payment method is not available for these invoices: choose another one."))
        values = {
            "flow": flow,
            "tokenization_requested": bool(kwargs.get("tokenization_requested")) and not tokenized,
            "provider_id": None, "payment_method_id": None, "token_id": None,
        }
        if flow == "token":
            token_id = _record_id(kwargs.get("token_id"))
            token = env["payment.token"].sudo().browse(token_id or []).exists()
            # The payer's own cards and their company's (as on /my/payment_method), not a coworker's.
            if not token or not token.active or token.provider_id not in providers \
                    or token.partner_id not in payer | payer.commercial_partner_id:
                raise invalid
            values.update(provider_id=token.provider_id.id, token_id=token.id)
            return values
        provider_id, method_id = _record_id(kwargs.get("provider_id")), _record_id(kwargs.get("payment_method_id"))
        if not provider_id or provider_id not in providers.ids or not method_id:
            raise invalid
        methods = env["payment.method"].sudo()._get_compatible_payment_methods(
            [provider_id], payer.id, currency_id=invoices.currency_id.id)
        if method_id not in methods.ids:
            raise invalid
        values.update(provider_id=provider_id, payment_method_id=method_id)
        return values


class ArInvoicePaymentPortal(PaymentPortal):
    """Odoo's payment routes of an invoice link, with the amounts and ids the browser sends
    checked first: Odoo passes them on as they come (an amount of 1e308 or NaN ended in a
    server error, more than the invoice has open or ``true`` made a transaction)."""

    @http.route()
    def invoice_transaction(self, invoice_id, access_token=None, **kwargs):
        """Pay an invoice of a logged-in customer or of an invoice link: 0 < amount <= what is open.

        Other documents Odoo lets this route pay (a journal entry, as Odoo's own tests do) keep
        Odoo's free amount, within what can be money."""
        env = request.env
        invalid = ValidationError(env._("The access token is invalid."))
        if not parse_record_id(invoice_id, text=False) or not isinstance(access_token, str | None):
            raise invalid
        try:
            invoice = self._document_check_access("account.move", invoice_id, access_token)
        except (AccessError, MissingError):
            raise invalid from None
        amount = parse_amount(env, kwargs.get("amount"))
        if amount is None:
            raise ValidationError(env._("The amount to pay is missing."))
        currency = invoice.currency_id
        is_invoice = invoice.is_sale_document(include_receipts=True)
        problem = amount_problem(amount, currency, invoice.amount_residual if is_invoice else MAX_AMOUNT)
        if problem == "not_positive":
            raise ValidationError(env._("The amount to pay must be more than zero."))
        if problem == "above" and not is_invoice:
            raise ValidationError(env._("The amount to pay is not valid."))
        if problem == "above":
            raise ValidationError(env._(
                "The amount %(amount)s is more than the invoice has open (%(open)s).",
                amount=format_amount(currency, amount), open=currency.format(invoice.amount_residual)))
        kwargs["amount"] = currency.round(amount)
        return super().invoice_transaction(invoice_id, access_token, **kwargs)

    @http.route()
    def payment_pay(self, *args, amount=None, **kwargs):
        """Odoo's payment page: an amount that is not money and ids beyond PostgreSQL's integer
        are refused (400); other malformed values are left to Odoo, which ignores them."""
        env = request.env
        number = parse_amount(env, amount)
        if number is not None and not 0 <= number <= MAX_AMOUNT:
            raise ValidationError(env._("The amount to pay is not valid."))
        for name in ("invoice_id", "currency_id", "company_id", "partner_id"):
            value = kwargs.get(name)
            if isinstance(value, str) and value.isascii() and value.isdigit() \
                    and (len(value) > 10 or int(value) > MAX_RECORD_ID):
                raise ValidationError(env._("The provided parameters are invalid."))
        return super().payment_pay(*args, amount=amount, **kwargs)
