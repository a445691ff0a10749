import hmac
import json
import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.slack import TIMESTAMP_TOLERANCE, SlackRefused, sign

_logger = logging.getLogger(__name__)

# Customers listed when a name matches several.
MATCHES_SHOWN = 5


class ArSlackInteraction(models.AbstractModel):
    """What Slack sends back: button clicks on the alerts and the ``/ar`` command.

    Every request is checked as Slack prescribes (signing secret, timestamp within five
    minutes, the same signed request never answered twice), then acts as the Odoo user
    linked to the Slack user (``res.users.ar_slack_user_id``): that user's groups, record
    rules and the models' own checks (segregation of duties) apply as in the back office.
    A refusal says why and writes nothing.
    """

    _name = "ar.slack.interaction"
    _description = "Slack Buttons and Commands"

    # ------------------------------------------------------------------
    # Request checks
    # ------------------------------------------------------------------

    @api.model
    def _ar_verify(self, timestamp, signature, body, now=None):
        """Refuse (``SlackRefused``) a request Slack did not sign with the signing secret,
        sent more than five minutes away from now, or answered already."""
        secret = self.env["ir.config_parameter"].sudo().get_param("ar_collections_slack.signing_secret")
        if not secret:
            raise SlackRefused(self.env._("Slack is not configured in Odoo (no signing secret)."), 503)
        try:
            sent = int(timestamp or "")
        except ValueError:
            raise SlackRefused(self.env._("Refused: the request has no valid Slack timestamp."), 401) from None
        if abs((now or time.time()) - sent) > TIMESTAMP_TOLERANCE:
            raise SlackRefused(self.env._(
                "Refused: the request's timestamp is more than %(minutes)s minutes away from now.",
                minutes=TIMESTAMP_TOLERANCE // 60), 401)
        # signed over the header exactly as sent, not the number read from it
        if not hmac.compare_digest(sign(secret, timestamp, body), signature or ""):
            raise SlackRefused(self.env._("Refused: the request's Slack signature is wrong."), 401)
        if not self.env["ar.slack.request"]._ar_register(signature):
            raise SlackRefused(self.env._("Refused: this Slack request was already received (replay)."), 409)

    @api.model
    def _ar_user(self, slack_user_id):
        """The active internal user linked to ``slack_user_id``."""
        users = self.env["res.users"].sudo().search([
            ("ar_slack_user_id", "=", slack_user_id or False), ("share", "=", False),
        ]) if slack_user_id else self.env["res.users"]
        if len(users) != 1:
            raise SlackRefused(self.env._(
                "Your Slack account is not linked to one Odoo user: ask an Odoo administrator to set your "
                "Slack user id (%(id)s) on your user.", id=slack_user_id or "-"), 200)
        return users

    @api.model
    def _ar_check_group(self, user, group_xmlid):
        if not user.has_group(group_xmlid):
            raise SlackRefused(self.env._(
                "%(user)s does not have the rights for this in Odoo (%(group)s).",
                user=user.name, group=self.env.ref(group_xmlid).sudo().full_name), 200)

    @api.model
    def _ar_as_user(self, user):
        """This model in the environment of ``user``: no superuser, the user's companies."""
        return self.env(user=user.id, su=False, context={
            **self.env.context, "allowed_company_ids": user.company_ids.ids, "lang": user.lang, "tz": user.tz,
        })[self._name]

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    @api.model
    def _ar_slack_actions(self):
        """{action_id: (model, group the user needs, method of this model run as the user on
        the record, returning the outcome)}. Bridges add theirs."""
        return {
            "ar_plan_approve": ("ar.payment.plan", "ar_collections.group_ar_collections_manager", "_ar_do_plan_approve"),
            "ar_plan_decline": ("ar.payment.plan", "ar_collections.group_ar_collections_manager", "_ar_do_plan_decline"),
            "ar_dispute_assign": ("ar.dispute", "ar_collections.group_ar_collections_user", "_ar_do_dispute_assign"),
            "ar_partner_snooze": ("res.partner", "ar_collections.group_ar_collections_user", "_ar_do_partner_snooze"),
        }

    @api.model
    def _ar_receive_action(self, payload):
        """Run the button clicked in ``payload`` (a verified ``block_actions`` request) and
        show the outcome on the alert; a refusal is shown to the clicking user only.

        :return: the outcome or the refusal (for the HTTP answer)
        """
        if not self._ar_is_click(payload):
            raise SlackRefused(self.env._("Refused: not a Slack button click."), 400)
        response_url = payload.get("response_url")
        try:
            return self._ar_run_action(payload)
        except SlackRefused as refusal:
            if response_url:
                self.env["ar.slack.message"]._ar_respond(response_url, {
                    "response_type": "ephemeral", "replace_original": False, "text": str(refusal),
                })
            raise

    @api.model
    def _ar_is_click(self, payload):
        """Whether ``payload`` has the shape of Slack's ``block_actions``, in the parts read here:
        a signed request is Slack's, but its JSON is still input (no crash on a malformed one)."""
        if not isinstance(payload, dict) or payload.get("type") != "block_actions":
            return False
        actions = payload.get("actions")
        if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)
                and all(isinstance(payload.get(key) or {}, dict) for key in ("user", "container", "message"))):
            return False
        user, container, message = (payload.get(key) or {} for key in ("user", "container", "message"))
        texts = [actions[0].get("action_id"), actions[0].get("value"), user.get("id"), container.get("message_ts"),
                 message.get("ts"), payload.get("response_url")]
        blocks = message.get("blocks") or []
        return all(isinstance(text or "", str) for text in texts) and isinstance(blocks, list) \
            and all(isinstance(block, dict) for block in blocks)

    @api.model
    def _ar_run_action(self, payload):
        action = payload["actions"][0]
        if action.get("action_id") == "ar_open":
            return ""  # a link button: Slack opens it, nothing to do here
        user = self._ar_user((payload.get("user") or {}).get("id"))
        spec = self._ar_slack_actions().get(action.get("action_id"))
        if not spec:
            raise SlackRefused(self.env._("Unknown action %(action)s: nothing was done.",
                                          action=str(action.get("action_id"))[:50]), 200)
        model, group, method = spec
        self._ar_check_group(user, group)
        value = str(action.get("value") or "")
        # the click shows its own outcome: the decision hooks leave the alert to it
        as_user = self._ar_as_user(user).with_context(ar_slack_click=True)
        record = as_user.env[model].browse(int(value)) if value.isdigit() and len(value) < 10 else None
        if not record or not record.exists():
            raise SlackRefused(self.env._("This record no longer exists in Odoo: nothing was done."), 200)
        try:
            record.check_access("write")
        except AccessError:
            raise SlackRefused(self.env._(
                "%(user)s cannot change this record in Odoo (it belongs to a company or a team of someone else): "
                "nothing was done.", user=user.name), 200) from None
        try:
            with self.env.cr.savepoint():
                outcome = getattr(as_user, method)(record)
                as_user.env.flush_all()
        except (UserError, AccessError, ValidationError) as error:
            raise SlackRefused(error.args[0] if error.args else str(error), 200) from None
        self._ar_show_outcome(payload, outcome, user)
        return outcome

    @api.model
    def _ar_show_outcome(self, payload, outcome, user):
        """Replace the buttons of the clicked message with ``outcome``."""
        message_ts = (payload.get("container") or {}).get("message_ts") or (payload.get("message") or {}).get("ts")
        alert = self.env["ar.slack.message"].sudo().search([("slack_ts", "=", message_ts)], limit=1) \
            if message_ts else self.env["ar.slack.message"]
        response_url = payload.get("response_url")
        if alert:
            alert._ar_update(outcome, user, response_url)
        elif response_url:
            Message = self.env["ar.slack.message"]
            blocks = Message._ar_outcome_blocks((payload.get("message") or {}).get("blocks"), outcome)
            Message._ar_respond(response_url, {"replace_original": True, "text": outcome, "blocks": blocks})

    @api.model
    def _ar_do_plan_approve(self, plan):
        plan.action_approve()
        return self.env._("✅ Plan approved by %(user)s", user=self.env.user.name)

    @api.model
    def _ar_do_plan_decline(self, plan):
        if plan.state != "to_approve":
            raise UserError(self.env._("This payment plan is no longer waiting for approval: nothing was done."))
        # the plans' own refusal when there is one, else a cancellation
        for method in ("action_refuse", "action_decline", "action_cancel"):
            if hasattr(plan, method):
                getattr(plan, method)()
                break
        return self.env._("❌ Plan declined by %(user)s", user=self.env.user.name)

    @api.model
    def _ar_do_dispute_assign(self, dispute):
        if not dispute.is_open:
            raise UserError(self.env._("This dispute is closed: nothing was done."))
        if hasattr(dispute, "action_assign"):  # the disputes' own assignment (checks, follower, chatter)
            dispute.action_assign(self.env.user)
        else:
            dispute.write({"user_id": self.env.uid})
        return self.env._("👤 Dispute assigned to %(user)s", user=self.env.user.name)

    @api.model
    def _ar_do_partner_snooze(self, partner):
        customer = partner.commercial_partner_id
        company = self.env.user.company_id
        today = fields.Date.context_today(self)
        until = today + timedelta(days=company.ar_slack_snooze_days)
        # a snooze never cuts short, nor renames, a longer "do not chase" (legal, insolvency…)
        if customer._ar_no_chase_active(today):
            if not customer.ar_no_chase_until:
                raise UserError(self.env._("%(customer)s is not chased already (%(reason)s): nothing was done.",
                                           customer=customer.name, reason=customer.ar_no_chase_reason))
            if customer.ar_no_chase_until >= until:
                raise UserError(self.env._(
                    "%(customer)s is not chased until %(date)s already (%(reason)s): nothing was done.",
                    customer=customer.name, date=fields.Date.to_string(customer.ar_no_chase_until),
                    reason=customer.ar_no_chase_reason))
        customer.write({
            "ar_no_chase": True,
            "ar_no_chase_until": until,
            "ar_no_chase_reason": self.env._("Snoozed from Slack by %(user)s", user=self.env.user.name),
        })
        return self.env._("💤 %(customer)s snoozed until %(date)s by %(user)s", customer=customer.name,
                          date=fields.Date.to_string(until), user=self.env.user.name)

    # ------------------------------------------------------------------
    # The /ar command
    # ------------------------------------------------------------------

    @api.model
    def _ar_receive_command(self, form):
        """Answer a verified ``/ar`` command (Slack's form fields), to its user only.

        :return: Slack's message JSON
        """
        user = self._ar_user(form.get("user_id"))
        self._ar_check_group(user, "ar_collections.group_ar_collections_user")
        words = (form.get("text") or "").strip().split(None, 1)
        usage = self.env._("Usage: /ar customer <name or reference>")
        if not words or words[0].lower() == "help":
            return {"response_type": "ephemeral", "text": usage}
        if words[0].lower() != "customer" or len(words) < 2:
            raise SlackRefused(self.env._("Unknown command %(text)s. %(usage)s",
                                          text=(form.get("text") or "")[:50], usage=usage), 200)
        as_user = self._ar_as_user(user).with_context(allowed_company_ids=user.company_id.ids)
        return as_user._ar_customer_answer(words[1][:100])

    @api.model
    def _ar_customer_answer(self, query):
        """Balance, overdue, last contact and next step of the customer named ``query``."""
        Partner = self.env["res.partner"]
        domain = [("parent_id", "=", False), "|", ("name", "ilike", query), ("ref", "=ilike", query)]
        partners = Partner.search(domain, limit=50, order="name, id")
        exact = partners.filtered(lambda partner: (partner.name or "").lower() == query.lower()
                                  or (partner.ref or "").lower() == query.lower())
        if len(exact) == 1:
            partners = exact
        if not partners:
            return {"response_type": "ephemeral",
                    "text": self.env._("No customer matches %(query)s.", query=query)}
        if len(partners) > 1:
            names = "\n".join(f"• {self.env['ar.slack.message']._ar_escape(name)}"
                              for name in partners[:MATCHES_SHOWN].mapped("name"))
            return {"response_type": "ephemeral", "text": self.env._(
                "%(count)s customers match %(query)s: be more precise.\n%(names)s",
                count=len(partners), query=query, names=names)}
        return self._ar_customer_card(partners)

    @api.model
    def _ar_customer_card(self, partner):
        Message = self.env["ar.slack.message"]
        company = self.env.company
        currency = partner.ar_currency_id or company.currency_id
        worklist = self.env["ar.worklist"].search([("partner_id", "=", partner.id), ("company_id", "=", company.id)],
                                                  limit=1)
        last_contact = worklist.last_contact_date or self.env["ar.dunning.message"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id), ("state", "=", "sent")],
            order="dispatch_date desc", limit=1).dispatch_date
        statuses = dict(partner._fields["ar_followup_status"]._description_selection(self.env))
        if worklist.next_activity_summary:
            next_step = self.env._("%(summary)s on %(date)s", summary=worklist.next_activity_summary,
                                   date=fields.Date.to_string(worklist.next_activity_date))
        else:
            next_step = statuses.get(partner.ar_followup_status, "-")
            if partner.ar_next_reminder_date:
                next_step += " · " + self.env._("next reminder %(date)s",
                                                date=fields.Date.to_string(partner.ar_next_reminder_date))
            if partner.ar_followup_reason:
                next_step += f" · {partner.ar_followup_reason}"
        facts = [
            (self.env._("Balance"), Message._ar_amount(partner.ar_open_amount, currency)),
            (self.env._("Overdue"), Message._ar_amount(partner.ar_overdue_amount, currency)),
            (self.env._("Last contact"), fields.Datetime.to_string(last_contact)[:10] if last_contact else "-"),
            (self.env._("Next step"), next_step),
        ]
        text = " · ".join([partner.name, *(f"{label}: {value}" for label, value in facts)])
        blocks = Message._ar_blocks(partner.name, facts, partner, [])
        return {"response_type": "ephemeral", "text": text, "blocks": blocks}

    # ------------------------------------------------------------------
    # Entry points of the controller
    # ------------------------------------------------------------------

    @api.model
    def _ar_handle(self, kind, headers, body, form):
        """Check and answer one Slack request (``kind``: ``action`` or ``command``).

        :return: (HTTP status, JSON answer)
        """
        try:
            self._ar_verify(headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature"), body)
            if kind == "command":
                return 200, self._ar_receive_command(form)
            try:
                payload = json.loads(form.get("payload") or "")
            except ValueError:
                raise SlackRefused(self.env._("Refused: not a Slack button click."), 400) from None
            return 200, {"text": self._ar_receive_action(payload)}
        except SlackRefused as refusal:
            _logger.info("Slack %s refused: %s", kind, refusal)
            return refusal.status, {"response_type": "ephemeral", "text": str(refusal)}
