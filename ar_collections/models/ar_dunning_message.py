import base64
import io
import logging
from collections import defaultdict
from datetime import timedelta

import lxml.html
import psycopg2
from markupsafe import Markup, escape
from PIL import Image

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, clean_context, split_every
from odoo.tools.pdf import PdfFileWriter, PdfReader

from ..tools.backoff import Backoff
from ..tools.mail_thread import first_message_ids
from .ar_dunning_log import LOG_STATES
from .res_partner import AR_BATCH_CREDITS

_logger = logging.getLogger(__name__)

# Reminders rendered per dispatch call: enough for a full batch of letters (they are
# rendered many per wkhtmltopdf call), few enough to stay a short cron transaction.
DISPATCH_BATCH_SIZE = 100
# Letters rendered per wkhtmltopdf call (ir.config_parameter ar_collections.letter_batch_size):
# a call costs about a second whatever its page count, a letter page a few milliseconds.
LETTER_BATCH_SIZE = DISPATCH_BATCH_SIZE
# Milliseconds wkhtmltopdf waits for scripts before printing the letters (ir.config_parameter
# ar_collections.letter_print_delay; Odoo's report.print_delay, 1 s, for the other reports): the
# letters run no script but the page numbers of the header, which run as the page loads. That
# second was most of a call's time.
LETTER_PRINT_DELAY = 0
# Drawn (1 px, white) at the top of each letter of a batch: the PDF is cut before each page
# that shows it. An image, not text: finding an image on a page costs nothing, reading a
# page's text with PyPDF2 about 0.3 s, as long as wkhtmltopdf takes for a whole letter.
LETTER_MARKER_SIZE = (5, 3)  # pixels, an unlikely size for a logo or a QR code


def _letter_marker_png():
    stream = io.BytesIO()
    Image.new("RGB", LETTER_MARKER_SIZE, (255, 255, 255)).save(stream, "PNG")
    return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode()


LETTER_MARKER_SRC = _letter_marker_png()
# What an email reminder renders from its level's template.
EMAIL_RENDER_FIELDS = ["subject", "body_html", "email_from", "reply_to"]
RETRY_BATCH_SIZE = 100
# An email that could not reach the mail server is tried again after these delays,
# then given up (failed for good) after the last one.
MAIL_RETRY = Backoff(timedelta(minutes=10), timedelta(hours=1), timedelta(hours=4))


class ArDunningMessage(models.Model):
    """One reminder to one customer through one channel, listing the invoices due for it.

    Created ``queued`` by a dunning run; the dispatch step renders it through the hook of
    its channel, ``_ar_dispatch_<channel>(invoices)``, which hands it to Odoo's mail or SMS
    queue (or creates the letter or the call activity). A hook that sends or creates
    something final sets the reminder ``sent`` itself; one that queues (email, SMS) leaves
    it ``queued`` until the queue reports the outcome. Right before
    an email or SMS leaves the queue, its invoices are checked again: paid or paused
    invoices are dropped and the message is rendered anew, or cancelled if nothing is
    left to chase.
    """

    _name = "ar.dunning.message"
    _inherit = ["ar.claim.mixin"]
    _description = "Dunning Reminder"
    _order = "id desc"
    _rec_name = "partner_id"

    run_id = fields.Many2one("ar.dunning.run", ondelete="set null", index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    # The channels of ar.dunning.level.channel, with those of the installed add-ons
    channel = fields.Selection(
        selection=lambda self: self.env["ar.dunning.engine"]._get_channel_selection(), required=True, readonly=True)
    level_id = fields.Many2one("ar.dunning.level", required=True, ondelete="restrict", readonly=True)
    tone = fields.Selection(related="level_id.tone")
    state = fields.Selection(LOG_STATES, default="queued", required=True, index=True, readonly=True)
    state_reason = fields.Char(string="Reason", readonly=True)
    log_ids = fields.One2many("ar.dunning.log", "message_id", readonly=True)
    invoice_ids = fields.Many2many("account.move", compute="_compute_invoice_ids", string="Invoices")
    invoice_count = fields.Integer(compute="_compute_invoice_ids")
    dispatch_date = fields.Datetime(readonly=True, index=True,
                                    help="When the reminder was handed to the mail/SMS queue or created.")
    mail_message_id = fields.Many2one("mail.message", string="Chatter message", readonly=True, index="btree_not_null",
                                      ondelete="set null")
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    letter_attachment_id = fields.Many2one("ir.attachment", string="Letter", readonly=True)
    body_html = fields.Html(readonly=True, sanitize=False)
    mail_attempts = fields.Integer(string="Delivery attempts", readonly=True, copy=False,
                                   help="Times the email could not reach the mail server.")
    retry_date = fields.Datetime(string="Next delivery attempt", readonly=True, copy=False, index="btree_not_null")

    @api.depends("log_ids.state", "log_ids.invoice_id")
    def _compute_invoice_ids(self):
        for message in self:
            invoices = message.log_ids.filtered(lambda log: log.state != "cancelled").invoice_id
            message.invoice_ids = invoices
            message.invoice_count = len(invoices)

    # ------------------------------------------------------------------
    # Dispatch
    # ------------------------------------------------------------------

    @api.model
    def _cron_dispatch(self, batch_size=DISPATCH_BATCH_SIZE):
        """Scheduled action: render the next queued reminders and hand them to the
        mail/SMS queue, or create the letters and call activities."""
        messages = self._ar_claim_queued(batch_size)
        messages._ar_dispatch()
        remaining = self.sudo().search_count([("state", "=", "queued"), ("dispatch_date", "=", False)])
        self.env["ir.cron"]._notify_progress(done=len(messages), remaining=remaining)

    @api.model
    def _ar_claim_queued(self, limit):
        """Lock up to ``limit`` undispatched reminders that no other worker holds.

        By channel: the letters of the queue come in the same batches, rendered
        ``ar_collections.letter_batch_size`` per wkhtmltopdf call (see ``_ar_render_letters``)."""
        return self._ar_claim(SQL("state = 'queued' AND dispatch_date IS NULL"), SQL("channel, id"), limit)

    @api.model
    def _ar_claim(self, where, order, limit):
        """Lock up to ``limit`` reminders matching ``where`` that no other worker holds."""
        return self._ar_claim_rows(where, order, limit, ["state", "dispatch_date", "retry_date"])

    def _ar_recheck(self):
        """Drop the invoices that must not be chased any more (paid, paused) from
        these reminders; cancel the reminders left with nothing to chase.

        :return: the reminders whose invoice list changed or that were cancelled
        """
        logs = self.log_ids.filtered(lambda log: log.state == "queued")
        invoices = logs.invoice_id
        reasons = invoices._ar_get_pause_reasons()
        changed = self.browse()
        for message in self:
            dropped = message.log_ids.filtered(lambda log, r=reasons: log.state == "queued" and log.invoice_id.id in r)
            if not dropped:
                continue
            changed |= message
            for log in dropped:
                log._ar_set_state("cancelled", reasons[log.invoice_id.id])
            # Fees charged by this reminder on those invoices: the customer will not be told of them.
            self.env["ar.dunning.fee"].sudo().search([
                ("message_id", "=", message.id), ("invoice_id", "in", dropped.invoice_id.ids),
            ])._ar_cancel_unsent()
            if not message.log_ids.filtered(lambda log: log.state == "queued"):
                message.write({"state": "cancelled", "state_reason": self.env._("Nothing left to chase")})
        return changed

    def _ar_dispatch(self):
        """Render and hand over these queued reminders (one transaction per call).

        A reminder that cannot be rendered (broken template, report engine down) is
        marked failed with the error instead of blocking the queue behind it.
        """
        self._ar_recheck()
        queued = self.filtered(lambda msg: msg.state == "queued")
        queued._ar_ensure_invoice_tokens()
        queued = queued._ar_charge_fees()
        # Letters are rendered many per wkhtmltopdf call first, emails one template render per
        # level; each is then attached or posted by its hook.
        letters = queued.filtered(lambda msg: msg.channel == "letter")._ar_render_letters()
        emails = queued.filtered(lambda msg: msg.channel == "email")._ar_render_emails()
        # The letters left out of their batch, one by one: each fails alone, and is not rendered twice.
        for message in queued.filtered(lambda msg: msg.channel == "letter" and msg.id not in letters):
            if not message._ar_fail_alone_on_error(
                    "its letter could not be rendered",
                    lambda msg=message: letters.update({msg.id: msg._ar_render_letter_alone(msg._ar_queued_invoices())})):
                queued -= message
        # All the batch's hooks in one savepoint (one per reminder cost as much as a quarter of an
        # email's dispatch); if one fails, the batch is undone and dispatched again one by one.
        try:
            with self.env.cr.savepoint():
                # The emails are posted together after their hooks (unless Odoo is asked to send
                # notifications at once); a failure of either undoes the batch.
                pending = None if self.env.context.get("mail_notify_force_send") else []
                for message in queued:
                    message.with_context(ar_pending_posts=pending)._ar_dispatch_one(letters, emails)
                self._ar_post_emails(pending or [])
            queued.dispatch_date = fields.Datetime.now()
            return
        except psycopg2.Error:
            raise  # concurrency or database trouble: the whole batch is retried
        except Exception:  # pylint: disable=broad-except
            _logger.info("Reminders %s dispatched one by one: one of them failed", queued.ids)
        for message in queued:
            message._ar_fail_alone_on_error(
                "it could not be dispatched", lambda msg=message: msg._ar_dispatch_one(letters, emails))
        queued.dispatch_date = fields.Datetime.now()

    def _ar_fail_alone_on_error(self, what, action):
        """Run ``action()`` for this reminder in a savepoint; if it raises, this reminder fails
        alone with the error (a database error is raised: the whole batch is retried).

        :return: whether ``action`` succeeded
        """
        try:
            with self.env.cr.savepoint():
                action()
            return True
        except psycopg2.Error:
            raise
        except Exception as error:  # pylint: disable=broad-except
            _logger.warning("Reminder %s failed: %s: %s", self.id, what, error)
            self._ar_set_state("failed", str(error)[:500])
            self.dispatch_date = fields.Datetime.now()
            return False

    def _ar_dispatch_one(self, letters, emails):
        """Hand this reminder to its channel's hook, with its letter or email rendered with its batch."""
        self.with_context(
            ar_letter_pdf=letters.get(self.id), ar_email_values=emails.get(self.id),
        )._ar_get_dispatch_hook()(self._ar_queued_invoices())

    def _ar_charge_fees(self):
        """Claim the late-payment fees of these reminders' levels, before anything is rendered:
        every reminder states the fees it charges. A reminder whose fee cannot be charged (a fee
        product without income account) fails alone.

        :return: the reminders to render
        """
        fees = self.env["ar.dunning.fee"]
        failed = self.browse()

        def charge(message):
            if message.channel == "email":
                # no fee for an email that will be refused (no sender address): it never reaches the customer
                template, partner = message.level_id.mail_template_id, message.partner_id
                sender = template._render_field("email_from", partner.ids)[partner.id]
                message._ar_check_sender(template, sender or message.company_id.email_formatted)
            fees._ar_charge(message, message._ar_queued_invoices())

        for message in self.filtered(lambda msg: msg.level_id.fee_type != "none"):
            if not message._ar_fail_alone_on_error("its fees could not be charged", lambda msg=message: charge(msg)):
                failed |= message
        return self - failed

    def _ar_ensure_invoice_tokens(self):
        """Give the invoices of these reminders the portal token their pay links carry, in
        one statement: Odoo's ``_portal_ensure_token`` writes each invoice through
        ``account.move.write``, which re-syncs its lines (about 0.1 s an invoice)."""
        invoices = self.log_ids.filtered(lambda log: log.state == "queued").invoice_id
        missing = invoices.filtered(lambda invoice: not invoice.access_token)
        if missing:
            self.env.cr.execute(SQL(
                "UPDATE account_move SET access_token = gen_random_uuid()::text"
                " WHERE id IN %s AND access_token IS NULL", tuple(missing.ids)))
            missing.invalidate_recordset(["access_token"])

    def _ar_queued_invoices(self):
        self.ensure_one()
        return self.log_ids.filtered(lambda log: log.state == "queued").invoice_id

    def _ar_get_dispatch_hook(self):
        """The method that renders and hands over this reminder: ``_ar_dispatch_<channel>``.

        Extension point: an add-on that adds a channel (see ``ar.dunning.level.channel``)
        implements ``_ar_dispatch_<its code>(self, invoices)`` on this model.
        """
        self.ensure_one()
        hook = getattr(self, f"_ar_dispatch_{self.channel}", None)
        if hook is None:
            raise NotImplementedError(self.env._(
                "No way to send a reminder by %(channel)s: is the add-on of this channel installed?",
                channel=self.channel))
        return hook

    def _ar_recipients(self, invoices, field):
        """Who receives the reminder: the invoice contacts that have ``field``, else the customer."""
        contacts = invoices.partner_id.filtered(field)
        return contacts or self.partner_id

    def _ar_author(self):
        return self.company_id.partner_id

    # ------------------------------------------------------------------
    # Channels: one _ar_dispatch_<code>(invoices) per channel code
    # ------------------------------------------------------------------

    def _ar_template_context(self, invoices, printed=False):
        """What the templates of this reminder read from their context: its invoices, whether
        its level announces a credit hold, its level (for the fees it charged), and ``ar_print``
        for a letter (see ``res.partner._ar_dunning_table``); ``ar_reuse_compiled``: the template's
        body is compiled once for all the customers of a render (see ``ir.qweb._compile``)."""
        self.ensure_one()
        return {"ar_invoice_ids": invoices.ids, "ar_announces_hold": self.level_id.announces_hold,
                "ar_level_id": self.level_id.id, "ar_print": printed, "ar_reuse_compiled": True}

    def _ar_check_sender(self, template, email_from):
        """Refuse to send from no address or from OdooBot's: when the company has no email, the
        default templates fall back to the user sending, and the scheduler sends as OdooBot
        (odoobot@example.com), an address customers cannot answer."""
        self.ensure_one()
        sender = tools.email_normalize(email_from or "")
        # by its id: env.ref checks the record exists, a query for each reminder
        bot_id = self.env["ir.model.data"]._xmlid_to_res_id("base.partner_root")
        bot = tools.email_normalize(self.env["res.partner"].sudo().browse(bot_id).email or "")
        # Without a company email, only a fixed address written in the template is a sender.
        fixed = tools.email_normalize(template.sudo().email_from or "")
        if not sender or sender == bot or (not self.company_id.email and sender != fixed):
            raise UserError(self.env._(
                "Not sent: %(company)s has no sender email address (this reminder would come from "
                "“%(sender)s”). Set the email of the company (Settings > Companies), or a fixed sender "
                "on the email template “%(template)s”, then send the reminder again.",
                company=self.company_id.name, sender=email_from or "", template=template.name))

    def _ar_dispatch_email(self, invoices):
        post = self._ar_email_post_values(invoices)
        pending = self.env.context.get("ar_pending_posts")
        if pending is not None:
            pending.append((self, post))  # posted with the rest of its batch (see _ar_post_emails)
            return
        self._ar_post_email(post)

    def _ar_post_email(self, post):
        # nosubscribe: the sender (the company, when the scheduler sends) does not follow each customer
        posted = self.partner_id.with_context(mail_post_autofollow=False, mail_create_nosubscribe=True).message_post(
            **post)
        self.write({"mail_message_id": posted.id, "body_html": post["body"]})

    def _ar_email_post_values(self, invoices):
        """The arguments of ``message_post`` that put this email reminder in the customer's chatter
        and in the mail queue (refused without a sender address, see ``_ar_check_sender``)."""
        self.ensure_one()
        template = self.level_id.mail_template_id
        # Rendered with its batch by _ar_render_emails; alone if that batch failed.
        values = self.env.context.get("ar_email_values") or template.with_context(
            **self._ar_template_context(invoices))._generate_template(
            self.partner_id.ids, EMAIL_RENDER_FIELDS,
        )[self.partner_id.id]
        self._ar_check_sender(template, values.get("email_from") or self.company_id.email_formatted)
        attachments = self.env["ir.attachment"]
        if self.level_id.attach_invoices:
            attachments = invoices._ar_invoice_pdf_attachments()
        return {
            "body": values["body_html"],
            "subject": values["subject"],
            "email_from": values.get("email_from") or self.company_id.email_formatted,
            "reply_to": values.get("reply_to") or False,
            "author_id": self._ar_author().id,
            "partner_ids": self._ar_recipients(invoices, "email").ids,
            "message_type": "comment",
            "subtype_xmlid": "ar_collections.mt_dunning_reminder",
            "attachment_ids": attachments.ids,
            "email_layout_xmlid": "mail.mail_notification_light",
            # Into the queue: the mail cron sends it after this transaction commits,
            # and our mail.mail hook checks the invoices once more right before.
            "force_send": False,
            "mail_auto_delete": False,
        }

    @api.model
    def _ar_post_emails(self, pending):
        """Post the email reminders of a batch (``pending``: ``(reminder, post)``, the arguments of
        ``message_post`` from ``_ar_email_post_values``) together: the chatter messages, queued
        emails and notifications that ``message_post`` makes for each (see
        ``_ar_message_post_many``), in a few statements instead of a dozen queries each. A second
        reminder to the same customer is posted after, by ``message_post`` (its chatter message
        follows the first)."""
        seen, together, after = set(), [], []
        for message, post in pending:
            (after if message.partner_id.id in seen else together).append((message, post))
            seen.add(message.partner_id.id)
        if together:
            partners = self.env["res.partner"].browse([message.partner_id.id for message, _post in together])
            posted = self._ar_message_post_many(partners, [post for _message, post in together])
            for (message, post), mail_message in zip(together, posted, strict=True):
                message.write({"mail_message_id": mail_message.id, "body_html": post["body"]})
        for message, post in after:
            message._ar_post_email(post)

    @api.model
    def _ar_message_post_many(self, records, posts):
        """``record.message_post(**post)`` for each record and post (``posts``: the arguments of
        ``_ar_email_post_values``), made the way ``message_post`` makes them: the messages in one
        ``create``, then each message's recipients and notification layout by Odoo's own methods,
        the emails and their notifications in one ``create`` each. A message with a recipient
        notified otherwise than by email (an internal user's inbox) is notified by Odoo's
        ``_notify_thread``.

        :return: the ``mail.message`` records, in the order of ``posts``
        """
        if len(set(records.ids)) != len(records):
            raise ValueError("One message per record: the parent of a second one is the first")
        records = records.with_context(mail_post_autofollow=False, mail_create_nosubscribe=True)._fallback_lang()
        alias_domains = records.sudo()._mail_get_alias_domains(default_company=self.env.company)
        companies = records._mail_get_companies(default=self.env.company)
        parents = first_message_ids(records)  # none on res.partner's threads (not flat)
        message_fields = self.env["mail.message"]._fields
        values_list, notify_list = [], []
        for record, post in zip(records, posts, strict=True):
            post = dict(post)
            notif_kwargs = {key: post.pop(key) for key in ("force_send", "mail_auto_delete")}
            author_id, email_from = record._message_compute_author(
                post.pop("author_id"), post.pop("email_from"), raise_on_email=True)
            attachment_ids = post.pop("attachment_ids")
            values = {
                **{key: value for key, value in post.items() if key in message_fields},
                "email_add_signature": True,
                "record_name": record.sudo().display_name,
                "author_id": author_id,
                "author_guest_id": False,
                "email_from": email_from,
                "model": record._name,
                "res_id": record.id,
                "body": escape(post["body"]),
                "parent_id": parents.get(record.id, False),
                "subject": post["subject"] or False,
                "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id(post.pop("subtype_xmlid")),
                "record_alias_domain_id": alias_domains[record.id].id,
                "record_company_id": companies[record.id].id,
            }
            values.update(record._process_attachments_for_post([], attachment_ids, values))
            values_list.append(values)
            notify_list.append(notif_kwargs)
        messages = records._message_create(values_list)
        for record, message, values in zip(records, messages, values_list, strict=True):
            record._message_post_after_hook(message, values)
        self._ar_notify_by_email_many(records, messages, values_list, notify_list)
        return messages

    @api.model
    def _ar_notify_by_email_many(self, records, messages, values_list, notify_list):
        """Odoo's ``_notify_thread`` of these new messages, the emails and their notifications
        created together (``_notify_thread_by_email``'s records, in the queue; a message notifying
        nobody in Odoo nor by SMS needs nothing else but its browser notifications)."""
        mail_values, notifications, web_push = [], [], []
        batch_size = int(self.env["ir.config_parameter"].sudo().get_param("mail.batch_size")) or 50
        for record, message, msg_vals, notif_kwargs in zip(records, messages, values_list, notify_list, strict=True):
            recipients = record._notify_get_recipients(message, msg_vals, **notif_kwargs)
            if not recipients:
                continue
            if any(data["notif"] != "email" for data in recipients):
                record._notify_thread(message, msg_vals, **notif_kwargs)
                continue
            base = record._notify_by_email_get_base_mail_values(
                message, additional_values={"auto_delete": notif_kwargs["mail_auto_delete"]})
            # a new message has no tracking values: the rendering context need not search them
            render_vals = {**msg_vals, "tracking_value_ids": []}
            for _lang, render_values, group in record._notify_get_classified_recipients_iterator(
                    message, recipients, msg_vals=render_vals):
                body = record._notify_by_email_render_layout(
                    message, group, msg_vals=render_vals, render_values=render_values)
                for chunk in split_every(batch_size, group.pop("recipients")):
                    mail_values.append(record._notify_by_email_get_final_mail_values(
                        chunk, base, additional_values={"body_html": body}))
                    notifications.append((message, chunk))
            web_push.append((record, message, recipients, msg_vals))
        # Odoo looks for the recipients' browser devices message by message: look once for all
        push_pids = {data["id"] for _record, _message, recipients, _vals in web_push for data in recipients}
        devices = self.env["mail.push.device"].sudo().search([("partner_id", "in", list(push_pids))])
        for record, message, recipients, msg_vals in web_push:
            if devices.partner_id.filtered(lambda partner, r=recipients: partner.id in {data["id"] for data in r}):
                record._notify_thread_by_web_push(message, recipients, msg_vals)
        env = self.env(context=clean_context(records.env.context))  # as _notify_thread_by_email's
        mails = env["mail.mail"].sudo().create(mail_values)
        env["mail.notification"].sudo().create([{
            "author_id": message.author_id.id,
            "is_read": True,  # discard Inbox notification
            "mail_mail_id": mail.id,
            "mail_message_id": message.id,
            "notification_status": "ready",
            "notification_type": "email",
            "res_partner_id": recipient_id,
        } for mail, (message, chunk) in zip(mails, notifications, strict=True) for recipient_id in chunk])

    def _ar_render_emails(self, render_fields=None, printed=False):
        """Render the emails of these reminders, one template render per level for all its
        customers: Odoo compiles a mail template's body anew at each render call, which cost
        as much as the rest of the rendering of one reminder. With ``printed``, the text of
        letters (``render_fields`` ``["body_html"]``, see ``_ar_letter_set_body``).

        Each customer's statement lists its own reminder's invoices (``ar_invoice_ids_by_partner``,
        read by ``res.partner._ar_dunning_table``). Left out, and rendered alone by their hook: a
        customer with two reminders in the batch, a template reading ``ar_invoice_ids`` other than
        through the statement, and the levels whose batch fails to render.

        :return: ``{message id: rendered values}``
        """
        by_level = defaultdict(list)
        for message in self:
            if message.level_id.mail_template_id:
                by_level[message.level_id].append(message)
        rendered = {}
        for level, messages in by_level.items():
            template = level.mail_template_id
            batch = {}
            for message in messages:
                batch.setdefault(message.partner_id.id, message)
            if len(batch) < 2 or not self._ar_email_batchable(template, messages[0].partner_id.browse(list(batch))):
                continue
            context = {
                **messages[0]._ar_template_context(self.env["account.move"], printed=printed),
                "ar_invoice_ids": None,
                "ar_invoice_ids_by_partner": {pid: msg._ar_queued_invoices().ids for pid, msg in batch.items()},
            }
            try:
                with self.env.cr.savepoint():
                    values = template.with_context(**context)._generate_template(
                        list(batch), render_fields or EMAIL_RENDER_FIELDS)
            except psycopg2.Error:
                raise
            except Exception as error:  # pylint: disable=broad-except
                _logger.warning("Emails of level %s not rendered together (%s): rendering them one by one",
                                level.id, error)
                continue
            finally:
                # the customers' credits read at once for this render (res.partner._ar_unapplied_credits)
                for key in [key for key in self.env.cr.cache if isinstance(key, tuple) and key[:1] == (AR_BATCH_CREDITS,)]:
                    del self.env.cr.cache[key]
            rendered.update({message.id: values[pid] for pid, message in batch.items()})
        return rendered

    @api.model
    def _ar_email_batchable(self, template, partners):
        """Whether ``template`` reads the reminder's invoices only through the statement, in every
        language of ``partners``: then one render serves all of them."""
        call = "_ar_dunning_table(ctx.get('ar_invoice_ids'))"
        for lang in {partner.lang for partner in partners} | {False}:
            localized = template.with_context(lang=lang) if lang else template
            for field in EMAIL_RENDER_FIELDS:
                source = localized[field] or ""
                if source.count("ar_invoice_ids") != source.count(call):
                    return False
        return True

    def _ar_dispatch_sms(self, invoices):
        template = self.level_id.sms_template_id
        body = template.with_context(ar_invoice_ids=invoices.ids)._render_field(
            "body", self.partner_id.ids, compute_lang=True)[self.partner_id.id]
        recipients = self._ar_recipients(invoices, lambda partner: partner.mobile or partner.phone)
        posted = self.partner_id._message_sms(body, partner_ids=recipients.ids, put_in_queue=True)
        self.write({"mail_message_id": posted.id, "body_html": body})
        sms = self.env["sms.sms"].sudo().search([("mail_message_id", "=", posted.id)])
        unreachable = sms.filtered(lambda record: not record.number)
        # Odoo queues an SMS without number and lets the provider refuse it; refuse it here.
        unreachable.write({"state": "error", "failure_type": "sms_number_missing"})
        if not (sms - unreachable).filtered(lambda record: record.state == "outgoing"):
            self._ar_set_state("failed", self.env._("No valid mobile number for %(partner)s",
                                                     partner=self.partner_id.display_name))

    def _ar_dispatch_letter(self, invoices):
        # Rendered with its batch by _ar_render_letters; alone if that batch failed.
        content = self.env.context.get("ar_letter_pdf") or self._ar_render_letter_alone(invoices)
        if self.letter_attachment_id:
            # Dispatched again (its invoices changed): one letter per reminder, the latest.
            self.letter_attachment_id.raw = content
        else:
            self.letter_attachment_id = self.env["ir.attachment"].create({
                "name": f"{self.partner_id.name} - {self.level_id.name}.pdf",
                "raw": content,
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            })
        self._ar_set_state("sent", self.env._("Letter ready to print"))

    def _ar_render_letter_alone(self, invoices):
        """The PDF of this letter, rendered on its own (its text, then one wkhtmltopdf call)."""
        self._ar_letter_set_body(invoices)
        report = self.env.ref("ar_collections.action_report_dunning_letter")
        content, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, self.ids)
        if not content:
            # wkhtmltopdf exited without writing the file: a failed letter, not an empty one to print.
            raise UserError(self.env._("The letter's PDF came out empty: check the report engine (wkhtmltopdf)."))
        return content

    def _ar_letter_set_body(self, invoices):
        """The text of the letter: the level's email text for these invoices (``ar_letter_body``
        in the context: rendered with its batch by ``_ar_render_emails``)."""
        if self.env.context.get("ar_letter_body") is not None:
            self.body_html = self.env.context["ar_letter_body"]
            return
        self.body_html = self.level_id.mail_template_id.with_context(
            **self._ar_template_context(invoices, printed=True))._render_field(
            "body_html", self.partner_id.ids, compute_lang=True,
        )[self.partner_id.id] if self.level_id.mail_template_id else False

    def _ar_dispatch_phone(self, invoices):
        partner = self.partner_id
        user = partner.with_company(self.company_id).ar_collector_id or self.company_id._ar_escalation_user()
        # quick_update: no "activity assigned" email for each call; it is in their to-do list
        self.activity_id = partner.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=fields.Date.context_today(self),
            summary=self.env._("Call about %(count)s unpaid invoice(s) (%(level)s)",
                               count=len(invoices), level=self.level_id.name),
            note=partner._ar_dunning_table(invoices.ids),
            user_id=user.id,
        )
        self._ar_set_state("sent", self.env._("Call scheduled for %(user)s", user=user.name))

    # ------------------------------------------------------------------
    # Letters in batches
    # ------------------------------------------------------------------

    def _ar_render_letters(self):
        """Render the PDFs of these letters, ``ar_collections.letter_batch_size`` per
        wkhtmltopdf call (a call costs about a second, whatever its page count).

        A letter whose text cannot be rendered is left out; a batch whose call or split
        fails is left out whole: their hooks render them one by one, and fail alone.

        :return: ``{message id: PDF bytes}`` of the letters rendered
        """
        Report = self.env["ir.actions.report"]
        if not self or ((tools.config["test_enable"] or tools.config["test_file"])
                        and not self.env.context.get("force_report_rendering")):
            return {}  # Odoo renders reports as HTML in tests: so do the hooks
        if Report.get_wkhtmltopdf_state() == "install":
            return {}  # the hooks fail each letter with Odoo's message
        # The letters' texts, one template render per level; those left out are rendered alone.
        bodies = self._ar_render_emails(["body_html"], printed=True)
        ready = self.browse()
        for message in self:
            body = bodies.get(message.id, {}).get("body_html")
            try:
                with self.env.cr.savepoint():
                    message.with_context(ar_letter_body=body)._ar_letter_set_body(message._ar_queued_invoices())
            except psycopg2.Error:
                raise
            except Exception:  # pylint: disable=broad-except
                continue  # its hook tries again alone and fails it with the error
            ready |= message
        size = int(self.env["ir.config_parameter"].sudo().get_param(
            "ar_collections.letter_batch_size", LETTER_BATCH_SIZE)) or LETTER_BATCH_SIZE
        pdfs = {}
        # One company per call: the page header of a call is its first letter's company's.
        for company in ready.company_id:
            for batch in split_every(size, ready.filtered(lambda msg, c=company: msg.company_id == c).ids,
                                     self.browse):
                try:
                    pdfs.update(batch._ar_render_letter_batch())
                except psycopg2.Error:
                    raise
                except Exception as error:  # pylint: disable=broad-except
                    _logger.warning("Letters %s not rendered together (%s): rendering them one by one",
                                    batch.ids, error)
        return pdfs

    def _ar_render_letter_batch(self):
        """One wkhtmltopdf call for these letters, cut into one PDF per letter.

        Odoo's own multi-record rendering passes one HTML file per record, which a
        wkhtmltopdf built on unpatched Qt (Debian's) refuses: it exits without writing
        the PDF, and Odoo reads an empty file. So the letters go in one HTML document,
        each starting a page with a marker image, and the PDF is cut before those pages.
        """
        report = self.env.ref("ar_collections.action_report_dunning_letter")
        Report = self.env["ir.actions.report"].with_context(debug=False)
        html = Report._render_qweb_html(report, self.ids, data={"report_type": "pdf", "debug": False})[0]
        bodies, _ids, header, footer, paperformat_args = report.sudo().with_context(debug=False)._prepare_html(
            html, report_model=self._name)
        if len(bodies) != len(self):
            raise ValueError(f"{len(bodies)} report bodies for {len(self)} letters")
        delay = self.env["ir.config_parameter"].sudo().get_param(
            "ar_collections.letter_print_delay", LETTER_PRINT_DELAY)
        content = Report.with_context(ar_print_delay=delay)._run_wkhtmltopdf(
            [self._ar_join_letter_bodies(bodies)], report_ref=report, header=header, footer=footer,
            landscape=self.env.context.get("landscape"), specific_paperformat_args=paperformat_args)
        return self._ar_split_letters(content)

    def _ar_join_letter_bodies(self, bodies):
        """One HTML document of the letters' bodies (in the order of ``self``), each starting
        a page with the marker image."""
        document = lxml.html.document_fromstring(bodies[0])
        body = document.body
        letters = [list(body)] + [list(lxml.html.document_fromstring(other).body) for other in bodies[1:]]
        for child in list(body):
            body.remove(child)
        for index, nodes in enumerate(letters):
            letter = lxml.html.Element("div", {"class": "o_ar_letter"})
            if index:
                letter.set("style", "page-break-before: always;")
            letter.append(lxml.html.Element("img", {
                "src": LETTER_MARKER_SRC, "alt": "", "style": "position: absolute; width: 1px; height: 1px;"}))
            letter.extend(nodes)
            body.append(letter)
        return lxml.html.tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")

    def _ar_split_letters(self, content):
        """Cut the PDF of a batch before each page that shows the marker: ``{message id: PDF bytes}``.

        The letters are in the order of ``self``; a count that does not match (a letter
        without its marker page) raises, and the batch is rendered one by one.
        """
        reader = PdfReader(io.BytesIO(content))
        starts = [number for number, page in enumerate(reader.pages) if self._ar_has_letter_marker(page)]
        if len(starts) != len(self) or starts[0] != 0:
            raise ValueError(f"{len(starts)} letter starts in {len(reader.pages)} pages for {len(self)} letters")
        pdfs = {}
        for message, first, last in zip(self, starts, starts[1:] + [len(reader.pages)], strict=True):
            writer = PdfFileWriter()
            for number in range(first, last):
                writer.add_page(reader.pages[number])
            stream = io.BytesIO()
            writer.write(stream)
            pdfs[message.id] = stream.getvalue()
        return pdfs

    @api.model
    def _ar_has_letter_marker(self, page):
        images = page.get("/Resources", {}).get("/XObject")
        for image in (images.get_object() if images else {}).values():
            image = image.get_object()
            if image.get("/Subtype") == "/Image" and (image.get("/Width"), image.get("/Height")) == LETTER_MARKER_SIZE:
                return True
        return False

    def _ar_set_state(self, state, reason=False):
        """Set the state of these reminders and of their live log lines."""
        self.write({"state": state, "state_reason": reason})
        self.log_ids._ar_set_state(state, reason)

    # ------------------------------------------------------------------
    # Hooks of the mail and SMS queues
    # ------------------------------------------------------------------

    @api.model
    def _ar_filter_outgoing(self, records):
        """Called by the mail and SMS queues right before sending ``records``
        (mail.mail or sms.sms): returns those that must not leave.

        A reminder whose invoices changed since it was rendered is cancelled in the
        queue and dispatched again with what is left to chase.
        """
        messages = self.sudo().search([
            ("mail_message_id", "in", records.mail_message_id.ids), ("state", "=", "queued"),
        ])
        if not messages:
            return records.browse()
        changed = messages._ar_recheck()
        if not changed:
            return records.browse()
        blocked = records.filtered(lambda record: record.mail_message_id in changed.mail_message_id)
        for message in changed:
            # The customer never receives this version: say so on the chatter message.
            note = Markup("<p><em>%s</em></p>") % self.env._(
                "Not sent: an invoice of this reminder was paid or paused before sending.")
            message.mail_message_id.sudo().body = note + (message.mail_message_id.body or "")
        for message in changed.filtered(lambda msg: msg.state == "queued"):
            # Render again with the remaining invoices at the next dispatch.
            message.write({"dispatch_date": False, "mail_message_id": False})
        if changed.filtered(lambda msg: msg.state == "queued"):
            self.env.ref("ar_collections.ir_cron_dunning_dispatch")._trigger()
        return blocked

    @api.model
    def _ar_outgoing_done(self, records, failure=False, transient=False):
        """Called by the mail and SMS queues after sending: reflect the outcome.

        ``transient``: the mail server could not be reached; nothing left, so the email
        is tried again later (see :meth:`_cron_retry_mail`) before it counts as failed.
        """
        messages = self.sudo().search([
            ("mail_message_id", "in", records.mail_message_id.ids), ("state", "in", ("queued", "failed")),
        ])
        if not messages:
            return
        if not failure:
            messages.retry_date = False
            messages._ar_set_state("sent")
            return
        if not transient:
            messages.retry_date = False
            messages._ar_set_state("failed", failure)
            return
        now = fields.Datetime.now()
        for message in messages:
            attempts = message.mail_attempts + 1
            retry = MAIL_RETRY.next_try(now, attempts)
            if not retry:
                message.write({"mail_attempts": attempts, "retry_date": False})
                message._ar_set_state("failed", self.env._(
                    "Mail server unreachable after %(count)s attempts: %(error)s", count=attempts, error=failure))
                continue
            message.write({"mail_attempts": attempts, "retry_date": retry})
            message._ar_set_state("failed", self.env._(
                "Mail server unreachable (%(error)s): next attempt at %(date)s UTC",
                error=failure, date=fields.Datetime.to_string(retry)))

    @api.model
    def _cron_retry_mail(self, batch_size=RETRY_BATCH_SIZE):
        """Scheduled action: put back in the mail queue the reminders whose email could not
        reach the mail server, once their retry time has come (batch protocol).

        They go back to "queued", so the mail queue checks their invoices again right
        before sending: one paid meanwhile is not chased.
        """
        messages = self._ar_claim_retry(batch_size)
        mails = self.env["mail.mail"].sudo().search([
            ("mail_message_id", "in", messages.mail_message_id.ids), ("state", "=", "exception"),
        ])
        for message in messages:
            message.retry_date = False
            message._ar_set_state("queued", self.env._(
                "Delivery attempt %(count)s", count=message.mail_attempts + 1))
        mails.mark_outgoing()
        if mails:
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        remaining = self.sudo().search_count([
            ("state", "=", "failed"), ("retry_date", "<=", fields.Datetime.now())])
        self.env["ir.cron"]._notify_progress(done=len(messages), remaining=remaining)
        return messages

    @api.model
    def _ar_claim_retry(self, limit):
        """Lock up to ``limit`` failed emails due for another attempt that no other worker holds."""
        return self._ar_claim(
            SQL("state = 'failed' AND retry_date <= %s", fields.Datetime.now()), SQL("retry_date, id"), limit)
