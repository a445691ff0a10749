import re
from datetime import date, timedelta
from os.path import splitext

from markupsafe import Markup

from odoo import Command, fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import consteq, plaintext2html

from odoo.addons.ar_collections.const import OPEN_INVOICE_DOMAIN, OPEN_PAYMENT_STATES
from odoo.addons.ar_collections.models.ar_dispute import EVIDENCE_TYPES, guess_evidence_type
from odoo.addons.portal.controllers.portal import CustomerPortal

from ..utils import parse_amount, parse_record_id, protect_token_page

MAX_DESCRIPTION = 2000
MAX_NOTE = 500
MAX_FILES = 5
MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_FILENAME = 100
# Invoices one submission may cover: a statement page never lists more for one customer
# and currency, and each id costs an access check.
MAX_INVOICES = 50
PROMISE_MAX_DAYS = 60
# Disputes and promises listed on /my/disputes (the latest first).
LIST_LIMIT = 100
# Ids are PostgreSQL integers: longer digit strings would reach the database as an error.
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
TOKEN_RE = re.compile(r"[A-Za-z0-9-]{1,64}", re.ASCII)
# Characters dropped from the customer's text: C0 controls (PostgreSQL refuses NUL) but line breaks and tabs.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Evidence files the portal takes: extension → type stored (the content is checked by ar.dispute's rules)
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
DONE_MESSAGES = ("dispute", "promise")


class ArPortalInputError(Exception):
    """The customer's input is refused: the form is shown again with these messages."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class ArDisputePortal(CustomerPortal):
    """Disputes and promises to pay submitted by the customer from the portal.

    A customer reaches them logged in (invoices of their own commercial partner) or through
    an invoice's access token (Odoo's standard link in invoice emails and reminders). Every
    submitted value is validated before anything is written; records are created with
    sudo and explicit values only.
    """

    # ------------------------------------------------------------------
    # Portal home, layout and invoice page
    # ------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "ar_dispute_count" in counters:
            customer = self._ar_logged_customer()
            values["ar_dispute_count"] = sum(
                request.env[model].sudo().search_count([("partner_id", "=", customer.id)])
                for model in ("ar.dispute", "ar.promise")
            ) if customer else 0
        return values

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        # Called by the statement template with the customer it shows, only then (lazy).
        values["ar_dispute_overview"] = self._ar_dispute_overview
        return values

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        values.update(self._ar_invoice_status_values(invoice, kwargs.get("ar_done")))
        return values

    def _ar_invoice_status_values(self, invoice, done=None):
        """Dispute and promise status of ``invoice`` (sudo) for its portal page."""
        invoice = invoice.sudo()
        dispute = request.env["ar.dispute"].sudo().search([("invoice_ids", "in", invoice.ids)], limit=1)
        promise = request.env["ar.promise"].sudo().search([("invoice_ids", "in", invoice.ids)], order="id desc",
                                                          limit=1)
        eligible = invoice.move_type == "out_invoice" and invoice.state == "posted" \
            and invoice.payment_state in OPEN_PAYMENT_STATES
        return {
            "ar_dispute": dispute,
            "ar_promise": promise,
            "ar_can_dispute": eligible and not dispute.is_open,
            "ar_can_promise": eligible and promise.state != "open",
            "ar_done": done if done in DONE_MESSAGES else False,
        }

    def _ar_dispute_overview(self, partner):
        """Latest dispute and promise of each open invoice of ``partner``, for the statement.

        :return: dict with the keys ``disputes`` and ``promises`` (sudo recordsets)
        """
        customer = partner.commercial_partner_id
        invoices = request.env["account.move"].sudo().search(self._ar_open_invoices_domain(customer))
        disputes = request.env["ar.dispute"].sudo().search([("invoice_ids", "in", invoices.ids)])
        promises = request.env["ar.promise"].sudo().search([("invoice_ids", "in", invoices.ids)], order="id desc")
        latest_disputes, latest_promises = disputes.browse(), promises.browse()
        for invoice in invoices:
            latest_disputes |= disputes.filtered(lambda dispute, inv=invoice: inv in dispute.invoice_ids)[:1]
            latest_promises |= promises.filtered(lambda promise, inv=invoice: inv in promise.invoice_ids)[:1]
        return {"disputes": latest_disputes, "promises": latest_promises}

    # ------------------------------------------------------------------
    # Routes
    # ------------------------------------------------------------------

    @http.route("/my/invoices/<int:invoice_id>/dispute", type="http", auth="public", website=True, methods=["GET"])
    def portal_invoice_dispute(self, invoice_id, access_token=None, **kw):
        """Dispute form for one invoice (logged in, or with the invoice's access token)."""
        return self._ar_form_page("dispute", invoice_id, access_token)

    @http.route("/my/invoices/<int:invoice_id>/promise", type="http", auth="public", website=True, methods=["GET"])
    def portal_invoice_promise(self, invoice_id, access_token=None, **kw):
        """Promise-to-pay form for one invoice (logged in, or with the invoice's access token)."""
        return self._ar_form_page("promise", invoice_id, access_token)

    @http.route("/my/dispute/new", type="http", auth="user", website=True, methods=["GET"])
    def portal_dispute_new(self, **kw):
        """Dispute form for the logged-in customer: they pick the invoices."""
        return self._ar_form_page("dispute", None, None)

    @http.route("/my/promise/new", type="http", auth="user", website=True, methods=["GET"])
    def portal_promise_new(self, **kw):
        """Promise-to-pay form for the logged-in customer: they pick the invoices."""
        return self._ar_form_page("promise", None, None)

    @http.route("/my/dispute/submit", type="http", auth="public", website=True, methods=["POST"])
    def portal_dispute_submit(self, **kw):
        """Open a dispute on the customer's invoices; nothing is written unless all input is valid."""
        return self._ar_submit("dispute")

    @http.route("/my/promise/submit", type="http", auth="public", website=True, methods=["POST"])
    def portal_promise_submit(self, **kw):
        """Record the customer's promise to pay; nothing is written unless all input is valid."""
        return self._ar_submit("promise")

    @http.route("/my/disputes", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_disputes(self, ar_done=None, **kw):
        """The customer's disputes (stage, resolution) and promises to pay."""
        customer = self._ar_logged_customer()
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "ar_disputes",
            "disputes": request.env["ar.dispute"].sudo().search(
                [("partner_id", "=", customer.id)], limit=LIST_LIMIT) if customer else [],
            "promises": request.env["ar.promise"].sudo().search(
                [("partner_id", "=", customer.id)], order="id desc", limit=LIST_LIMIT) if customer else [],
            "ar_done": ar_done if ar_done in DONE_MESSAGES else False,
        })
        return request.render("ar_collections_portal.portal_my_disputes", values)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def _ar_logged_customer(self):
        """Commercial partner of the logged-in portal user; empty for the public user."""
        user = request.env.user
        if user._is_public():
            return request.env["res.partner"]
        return user.partner_id.commercial_partner_id

    def _ar_open_invoices_domain(self, customer):
        return [
            ("commercial_partner_id", "=", customer.id),
            *OPEN_INVOICE_DOMAIN,
        ]

    def _ar_portal_invoices(self, invoice_ids, access_token=None):
        """The invoices ``invoice_ids`` (sudo) if the requester may act on each of them.

        Allowed: posted customer invoices of the logged-in user's commercial partner, or the
        one invoice whose access token is given (Odoo's ``_document_check_access``).

        :raise MissingError: an id is not a posted customer invoice
        :raise AccessError: an invoice is someone else's
        """
        customer = self._ar_logged_customer()
        for invoice_id in invoice_ids:
            invoice = self._document_check_access("account.move", invoice_id, access_token)
            by_token = bool(access_token and invoice.access_token and consteq(invoice.access_token, access_token))
            # Odoo's check passes for any document the user may read (e.g. as a follower):
            # acting on it needs ownership or the document's own token.
            if not by_token and (not customer or invoice.commercial_partner_id != customer):
                raise AccessError(request.env._("This invoice is not yours."))
            if invoice.move_type != "out_invoice" or invoice.state != "posted":
                raise MissingError(request.env._("This document does not exist."))
        # The request user's environment in sudo: records are created by the customer's user.
        invoices = request.env["account.move"].sudo().browse(invoice_ids)
        # One request acts for one customer: an invoice link of another customer's invoice
        # does not join it to the requester's own (a dispute or promise has one customer).
        if len(invoices.commercial_partner_id) > 1:
            raise AccessError(request.env._("These invoices are not all of one customer."))
        return invoices

    def _ar_refuse(self):
        """Response to a request on invoices the requester may not use: the login page for
        an anonymous visitor, not found otherwise (existence is not disclosed)."""
        if request.env.user._is_public():
            return request.redirect_query("/web/login", {"redirect": request.httprequest.path})
        return request.not_found()

    # ------------------------------------------------------------------
    # Forms
    # ------------------------------------------------------------------

    def _ar_form_page(self, kind, invoice_id, access_token):
        access_token = access_token if isinstance(access_token, str) and TOKEN_RE.fullmatch(access_token) else None
        if invoice_id is None:
            invoices = request.env["account.move"].sudo()
        else:
            try:
                if invoice_id > 10 ** 9:
                    raise MissingError(request.env._("This document does not exist."))
                invoices = self._ar_portal_invoices([invoice_id], access_token)
            except (AccessError, MissingError):
                return self._ar_refuse()
        values = self._ar_form_values(kind, invoices, access_token)
        if invoices:
            try:
                self._ar_check_invoices(kind, invoices)
            except ArPortalInputError as error:
                values["errors"] = error.errors
                values["blocked"] = True
        response = request.render(f"ar_collections_portal.portal_{kind}_form", values)
        return protect_token_page(response) if access_token else response

    def _ar_form_values(self, kind, invoices, access_token, form=None, errors=None):
        """Values of the dispute or promise form; ``form``: the values the customer sent."""
        customer = self._ar_logged_customer()
        owner = bool(customer) and (not invoices or invoices.commercial_partner_id == customer)
        if owner:
            choices = request.env["account.move"].sudo().search(
                self._ar_open_invoices_domain(customer), order="invoice_date_due, id")
        else:
            choices = invoices
        today = fields.Date.context_today(request.env.user)
        if form is None:
            form = {
                "invoice_ids": invoices.ids,
                "amount": self._ar_format_amount(sum(invoices.mapped("amount_residual")), invoices.currency_id)
                if len(invoices.currency_id) == 1 else "",
                "reason": "",
                "description": "",
                "promised_date": "",
                "note": "",
            }
        return {
            **self._prepare_portal_layout_values(),
            "page_name": f"ar_{kind}_form",
            "kind": kind,
            "invoices": invoices,
            "choices": choices,
            "owner": owner,
            "access_token": access_token if not owner else None,
            "form": form,
            "errors": errors or {},
            "blocked": False,
            "reasons": request.env["ar.dispute"]._fields["reason"]._description_selection(request.env),
            "min_date": fields.Date.to_string(today + timedelta(days=1)),
            "max_date": fields.Date.to_string(today + timedelta(days=PROMISE_MAX_DAYS)),
            "latest_date": today + timedelta(days=PROMISE_MAX_DAYS),
            "max_description": MAX_DESCRIPTION,
            "max_note": MAX_NOTE,
            "max_files": MAX_FILES,
            "accept": ",".join(ATTACHMENT_TYPES),
        }

    @staticmethod
    def _ar_format_amount(amount, currency):
        return f"{currency.round(amount):.{currency.decimal_places}f}"

    # ------------------------------------------------------------------
    # Submission
    # ------------------------------------------------------------------

    def _ar_submit(self, kind):
        form_data = request.httprequest.form
        tokens = form_data.getlist("access_token")
        access_token = tokens[0] if len(tokens) == 1 and TOKEN_RE.fullmatch(tokens[0]) else None
        ids = [parse_record_id(raw) for raw in form_data.getlist("invoice_ids")]
        if len(ids) > MAX_INVOICES or not all(ids):
            return self._ar_refuse()
        invoice_ids = list(dict.fromkeys(ids))
        try:
            invoices = self._ar_portal_invoices(invoice_ids, access_token)
        except (AccessError, MissingError):
            return self._ar_refuse()
        if not invoices and not self._ar_logged_customer():
            return self._ar_refuse()
        form = {"invoice_ids": invoices.ids}
        try:
            if kind == "dispute":
                values, files = self._ar_validate_dispute(invoices, form)
                with request.env.cr.savepoint():
                    record = self._ar_create_dispute(invoices, values, files)
            else:
                values = self._ar_validate_promise(invoices, form)
                with request.env.cr.savepoint():
                    record = self._ar_create_promise(invoices, values)
        except ArPortalInputError as error:
            return self._ar_render_errors(kind, invoices, access_token, form, error.errors)
        except (UserError, ValidationError) as error:
            # A rule of ar_collections refused the record (rolled back with the savepoint).
            return self._ar_render_errors(kind, invoices, access_token, form, {"form": error.args[0]})
        if self._ar_logged_customer() == record.partner_id:
            return request.redirect(f"/my/disputes?ar_done={kind}", code=303)
        return request.redirect(invoices[:1].get_portal_url(query_string=f"&ar_done={kind}"), code=303)

    def _ar_render_errors(self, kind, invoices, access_token, form, errors):
        values = self._ar_form_values(kind, invoices, access_token, form=form, errors=errors)
        return request.render(f"ar_collections_portal.portal_{kind}_form", values, status=400)

    def _ar_field(self, name, label, max_length, errors, form):
        """The single text value of field ``name`` of the posted form, stripped; an error
        when it is sent twice or is too long."""
        values = request.httprequest.form.getlist(name)
        value = CONTROL_RE.sub("", values[0]).strip() if values else ""
        form[name] = value[:max_length]
        if len(values) > 1:
            errors[name] = request.env._("Send one value for %(field)s.", field=label)
        elif len(value) > max_length:
            errors[name] = request.env._("%(field)s is too long: at most %(max)s characters.",
                                         field=label, max=max_length)
        return value

    def _ar_check_invoices(self, kind, invoices):
        """Refuse invoices that cannot get a dispute (or promise) now."""
        env = request.env
        if not invoices:
            raise ArPortalInputError({"invoice_ids": env._("Choose at least one invoice.")})
        settled = invoices.filtered(lambda inv: inv.payment_state not in OPEN_PAYMENT_STATES)
        if settled:
            raise ArPortalInputError({"invoice_ids": env._(
                "Nothing is left to pay on %(invoices)s: contact us if something is wrong.",
                invoices=", ".join(settled.mapped("name")))})
        if len(invoices.company_id) > 1 or len(invoices.currency_id) > 1:
            raise ArPortalInputError({"invoice_ids": env._(
                "Choose invoices of one company and one currency at a time.")})
        if kind == "dispute":
            busy = env["ar.dispute"].sudo().search([("is_open", "=", True), ("invoice_ids", "in", invoices.ids)])
            message = env._("%(invoices)s already in dispute: we are looking into it.",
                            invoices=", ".join((busy.invoice_ids & invoices).mapped("name")))
        else:
            busy = env["ar.promise"].sudo().search([("state", "=", "open"), ("invoice_ids", "in", invoices.ids)])
            message = env._("%(invoices)s already promised to be paid: one promise at a time.",
                            invoices=", ".join((busy.invoice_ids & invoices).mapped("name")))
        if busy:
            raise ArPortalInputError({"invoice_ids": message})

    def _ar_check_amount(self, raw, invoices, errors):
        """The amount typed by the customer: 0 < amount ≤ open total of ``invoices``; the
        open total when left empty."""
        env = request.env
        currency = invoices.currency_id
        open_total = currency.round(sum(invoices.mapped("amount_residual")))
        if not raw:
            return open_total
        try:
            amount = parse_amount(env, raw, currency=currency)
        except ValidationError as error:
            errors["amount"] = error.args[0]
            return 0.0
        if currency.compare_amounts(amount, 0.0) <= 0:
            errors["amount"] = env._("The amount must be more than zero.")
        elif currency.compare_amounts(amount, open_total) > 0:
            errors["amount"] = env._("The amount %(amount)s is more than what is open on these invoices (%(open)s).",
                                     amount=currency.format(amount), open=currency.format(open_total))
        return amount

    def _ar_validate_dispute(self, invoices, form):
        """The values of the dispute and its files, or ArPortalInputError with every problem."""
        env = request.env
        errors = {}
        try:
            self._ar_check_invoices("dispute", invoices)
        except ArPortalInputError as error:
            errors.update(error.errors)
        reason = self._ar_field("reason", env._("Reason"), 32, errors, form)
        description = self._ar_field("description", env._("Description"), MAX_DESCRIPTION, errors, form)
        raw_amount = self._ar_field("amount", env._("Amount"), 32, errors, form)
        reasons = dict(env["ar.dispute"]._fields["reason"]._description_selection(env))
        if "reason" not in errors and reason not in reasons:
            errors["reason"] = env._("Choose a reason from the list.")
        if "description" not in errors and not description:
            errors["description"] = env._("Tell us what is wrong: the description is needed.")
        amount = 0.0
        if "amount" not in errors and "invoice_ids" not in errors:
            amount = self._ar_check_amount(raw_amount, invoices, errors)
        files = self._ar_check_files(errors)
        if errors:
            raise ArPortalInputError(errors)
        return {"reason": reason, "description": description, "amount": amount}, files

    def _ar_check_files(self, errors):
        """The uploaded evidence as (name, content, mimetype), each checked by extension AND content."""
        env = request.env
        uploads = [upload for upload in request.httprequest.files.getlist("attachments") if upload.filename]
        if len(uploads) > MAX_FILES:
            errors["attachments"] = env._("Attach at most %(max)s files.", max=MAX_FILES)
            return []
        files = []
        for upload in uploads:
            name = CONTROL_RE.sub("", upload.filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
            stem, extension = splitext(name)
            extension = extension.lower()
            content = upload.read(MAX_FILE_SIZE + 1)
            if len(content) > MAX_FILE_SIZE:
                errors["attachments"] = env._("%(file)s is larger than %(max)s MB.",
                                              file=name, max=MAX_FILE_SIZE // (1024 * 1024))
                return []
            if not content or extension not in ATTACHMENT_TYPES:
                errors["attachments"] = env._(
                    "%(file)s is not a PDF, PNG, JPEG, text or CSV file: only these can be attached.", file=name)
                return []
            # what the content is, not what the client declared
            guessed = guess_evidence_type(content)
            if guessed not in EVIDENCE_TYPES[extension]:
                errors["attachments"] = env._(
                    "%(file)s is not a PDF, PNG, JPEG, text or CSV file: its content is %(kind)s, not what its "
                    "name says.", file=name, kind=env["ar.dispute"]._ar_file_kind(guessed))
                return []
            files.append((stem[:MAX_FILENAME] + extension, content, ATTACHMENT_TYPES[extension]))
        return files

    def _ar_validate_promise(self, invoices, form):
        """The values of the promise, or ArPortalInputError with every problem."""
        env = request.env
        errors = {}
        try:
            self._ar_check_invoices("promise", invoices)
        except ArPortalInputError as error:
            errors.update(error.errors)
        raw_date = self._ar_field("promised_date", env._("Payment date"), 10, errors, form)
        note = self._ar_field("note", env._("Note"), MAX_NOTE, errors, form)
        raw_amount = self._ar_field("amount", env._("Amount"), 32, errors, form)
        today = fields.Date.context_today(env.user)
        latest = today + timedelta(days=PROMISE_MAX_DAYS)
        promised_date = None
        if "promised_date" not in errors:
            try:
                promised_date = date.fromisoformat(raw_date) if DATE_RE.fullmatch(raw_date) else None
            except ValueError:
                promised_date = None
            if not promised_date:
                errors["promised_date"] = env._("Enter the payment date as a date, such as %(example)s.",
                                                example=fields.Date.to_string(today + timedelta(days=7)))
            elif not today < promised_date <= latest:
                errors["promised_date"] = env._(
                    "Choose a payment date after today and at the latest on %(date)s.",
                    date=fields.Date.to_string(latest))
        amount = 0.0
        if "amount" not in errors and "invoice_ids" not in errors:
            amount = self._ar_check_amount(raw_amount, invoices, errors)
        if errors:
            raise ArPortalInputError(errors)
        return {"promised_date": promised_date, "note": note, "amount": amount}

    # ------------------------------------------------------------------
    # Records
    # ------------------------------------------------------------------

    def _ar_author(self, invoices):
        """Who speaks on the chatter: the logged-in contact, else the invoice's customer."""
        user = request.env.user
        if not user._is_public() and user.partner_id.commercial_partner_id == invoices.commercial_partner_id:
            return user.partner_id
        return invoices[:1].partner_id

    def _ar_create_dispute(self, invoices, values, files):
        """Create the dispute (stage new) with its evidence, tell the invoices' chatter and
        give the collector an activity."""
        env = request.env
        company = invoices.company_id
        customer = invoices.commercial_partner_id
        # No follower is added for the requester: on invoices followers get portal access.
        # The owner and the team that follows come from the routing rules (ar.dispute's create).
        Dispute = env["ar.dispute"].sudo().with_company(company).with_context(
            mail_create_nosubscribe=True, mail_create_nolog=True)
        dispute = Dispute.create({
            "partner_id": customer.id,
            "company_id": company.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "reason": values["reason"],
            "description": values["description"],
            "amount": values["amount"],
        })
        attachments = env["ir.attachment"].sudo().create([{
            "name": name,
            "raw": content,
            "mimetype": mimetype,
            "res_model": dispute._name,
            "res_id": dispute.id,
            "public": False,
        } for name, content, mimetype in files])
        if attachments:
            dispute.attachment_ids = [Command.set(attachments.ids)]
        author = self._ar_author(invoices)
        reason = dict(Dispute._fields["reason"]._description_selection(env))[values["reason"]]
        summary = env._("Disputed from the customer portal: %(reason)s, %(amount)s.",
                        reason=reason, amount=invoices.currency_id.format(values["amount"]))
        body = Markup("<p>%s</p>%s") % (summary, plaintext2html(values["description"]))
        # The evidence shows in the dispute's chatter as its attachments (res_model/res_id).
        for record in (dispute, *invoices.with_context(mail_create_nosubscribe=True)):
            record.message_post(body=body, author_id=author.id, message_type="comment",
                                subtype_xmlid="mail.mt_note")
        dispute.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(dispute),
            summary=env._("Dispute from the customer portal"),
            note=Markup("<p>%s</p>") % env._(
                "%(partner)s disputes %(invoices)s from the portal (%(reason)s, %(amount)s): "
                "their reminders are paused until it is resolved.",
                partner=customer.display_name, invoices=", ".join(invoices.mapped("name")), reason=reason,
                amount=invoices.currency_id.format(values["amount"])),
            user_id=dispute.user_id.id,
        )
        return dispute

    def _ar_create_promise(self, invoices, values):
        """Create the open promise (reminders pause until its date plus grace) and tell the
        invoices' chatter."""
        env = request.env
        company = invoices.company_id
        promise = env["ar.promise"].sudo().with_company(company).with_context(
            mail_create_nosubscribe=True, mail_create_nolog=True).create({
                "partner_id": invoices.commercial_partner_id.id,
                "company_id": company.id,
                "invoice_ids": [Command.set(invoices.ids)],
                "amount": values["amount"],
                "currency_id": invoices.currency_id.id,
                "promised_date": values["promised_date"],
                "note": values["note"] or False,
            })
        author = self._ar_author(invoices)
        summary = env._("Promised from the customer portal: %(amount)s by %(date)s.",
                        amount=invoices.currency_id.format(values["amount"]),
                        date=fields.Date.to_string(values["promised_date"]))
        body = Markup("<p>%s</p>%s") % (summary, plaintext2html(values["note"]) if values["note"] else "")
        for record in (promise, *invoices.with_context(mail_create_nosubscribe=True)):
            record.message_post(body=body, author_id=author.id, message_type="comment",
                                subtype_xmlid="mail.mt_note")
        return promise
