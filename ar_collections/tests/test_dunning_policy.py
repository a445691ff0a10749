from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestDunningPolicy(ArCollectionsCommon):

    def _level_vals(self, **overrides):
        vals = {
            "name": "Extra reminder",
            "policy_id": self.policy.id,
            "offset_days": 45,
            "channel_ids": [Command.create({"channel": "email"})],
            "mail_template_id": self.env.ref("ar_collections.mail_template_dunning_reminder").id,
        }
        vals.update(overrides)
        return vals

    def test_default_policy_installed(self):
        """Every company gets the standard policy: -7, 0, +3, +7, +14, +30."""
        self.assertTrue(self.policy, "the test company got no default policy on creation")
        self.assertEqual(self.policy.company_id, self.company)
        self.assertEqual(self.policy.level_ids.mapped("offset_days"), [-7, 0, 3, 7, 14, 30])
        final = self.policy.level_ids[-1]
        self.assertEqual(final.tone, "final")
        self.assertEqual(final.escalation, "activity_manager")
        self.assertTrue(all("email" in level._get_channels() for level in self.policy.level_ids))
        self.assertTrue(all(self.policy.level_ids.mapped("mail_template_id")))
        # the main company got its policy from the install hook
        main = self.env.ref("base.main_company").sudo()
        self.assertEqual(main.ar_dunning_policy_id.level_ids.mapped("offset_days"), [-7, 0, 3, 7, 14, 30])

    def test_new_company_gets_own_policy(self):
        company = self.env["res.company"].create({"name": "Brand New Ltd"})
        self.assertTrue(company.ar_dunning_policy_id)
        self.assertEqual(company.ar_dunning_policy_id.company_id, company)
        self.assertNotEqual(company.ar_dunning_policy_id, self.policy)

    def test_valid_level_accepted(self):
        level = self.env["ar.dunning.level"].create(self._level_vals())
        self.assertEqual(level.display_name, "Extra reminder (+45 d)")
        self.assertEqual(self.policy.level_count, 7)

    def test_duplicate_offset_refused(self):
        with self.assertRaisesRegex(ValidationError, "both start 14 days from the due date"):
            self.env["ar.dunning.level"].create(self._level_vals(offset_days=14))

    def test_duplicate_offset_refused_in_one_write(self):
        with self.assertRaisesRegex(ValidationError, "both start"):
            self.env["ar.dunning.policy"].create({
                "name": "Twin levels",
                "level_ids": [
                    Command.create(self._level_vals(policy_id=False, name="A", offset_days=5)),
                    Command.create(self._level_vals(policy_id=False, name="B", offset_days=5)),
                ],
            })

    def test_no_channel_refused(self):
        with self.assertRaisesRegex(ValidationError, "sends nothing: tick at least one channel"):
            self.env["ar.dunning.level"].create(self._level_vals(channel_ids=[]))

    def test_email_without_template_refused(self):
        with self.assertRaisesRegex(ValidationError, "sends an email but has no email template"):
            self.env["ar.dunning.level"].create(self._level_vals(mail_template_id=False))

    def test_sms_without_template_refused(self):
        with self.assertRaisesRegex(ValidationError, "sends an SMS but has no SMS template"):
            self.env["ar.dunning.level"].create(self._level_vals(channel_ids=[Command.create({"channel": "sms"})]))

    def test_phone_only_level_accepted(self):
        level = self.env["ar.dunning.level"].create(
            self._level_vals(channel_ids=[Command.create({"channel": "phone"})], mail_template_id=False)
        )
        self.assertEqual(level._get_channels(), ["phone"])

    def test_level_form_edits_channels(self):
        """The level form edits the channel lines; each channel's settings show when it is used."""
        form = Form(self.env["ar.dunning.level"].with_context(default_policy_id=self.policy.id))
        form.name = "Extra reminder"
        form.offset_days = 45
        self.assertEqual(form.channel_codes, ["email"], "a new level sends an email, as before")
        form.mail_template_id = self.env.ref("ar_collections.mail_template_dunning_reminder")
        with form.channel_ids.new() as line:
            line.channel = "sms"
        self.assertEqual(form.channel_codes, ["email", "sms"])
        with self.assertRaisesRegex(AssertionError, "sms_template_id"):
            form.save()  # the SMS template is required once the level sends SMS
        form.sms_template_id = self.env.ref("ar_collections.sms_template_dunning_reminder")
        with form.channel_ids.new() as line:
            line.channel = "phone"
        level = form.save()
        self.assertEqual(level._get_channels(), ["email", "sms", "phone"])
        self.assertEqual(level.channel_summary, "Email, SMS, Phone call")
        form = Form(level)
        form.channel_ids.remove(index=0)
        self.assertEqual(form.channel_codes, ["sms", "phone"])
        form.save()
        self.assertEqual(level._get_channels(), ["sms", "phone"])

    def test_default_policy_channels_in_order(self):
        self.assertEqual([level._get_channels() for level in self.policy.level_ids],
                         [["email"], ["email"], ["email"], ["email"], ["email", "phone"], ["email", "letter"]])

    def test_negative_min_amount_refused(self):
        with self.assertRaisesRegex(ValidationError, "minimum open amount cannot be negative"):
            self.env["ar.dunning.level"].create(self._level_vals(min_amount=-5))

    def test_offset_out_of_range_refused(self):
        with self.assertRaisesRegex(ValidationError, "out of range"):
            self.env["ar.dunning.level"].create(self._level_vals(offset_days=-400))

    def test_existing_level_edit_validated(self):
        level = self.policy.level_ids.filtered(lambda lvl: lvl.offset_days == 3)
        with self.assertRaisesRegex(ValidationError, "both start 7 days"):
            level.offset_days = 7

    def test_levels_reached(self):
        self.assertEqual(self.policy._get_levels_reached(-8).mapped("offset_days"), [])
        self.assertEqual(self.policy._get_levels_reached(-7).mapped("offset_days"), [-7])
        self.assertEqual(self.policy._get_levels_reached(10).mapped("offset_days"), [-7, 0, 3, 7])
        self.assertEqual(self.policy._get_levels_reached(400).mapped("offset_days"), [-7, 0, 3, 7, 14, 30])

    def test_policy_resolution_order(self):
        """Invoice override, else the customer's policy in the invoice's company, else the company default."""
        strict = self.policy.copy({"name": "Strict"})
        lenient = self.policy.copy({"name": "Lenient"})
        invoice = self.inv_overdue
        self.assertEqual(invoice._ar_get_policy(), self.policy)
        self.customer.with_company(self.company).ar_dunning_policy_id = strict
        self.assertEqual(invoice._ar_get_policy(), strict)
        # the customer's policy is per company: another company does not see it
        other_company = self.setup_other_company()["company"]
        self.assertFalse(self.customer.with_company(other_company).ar_dunning_policy_id)
        invoice.ar_dunning_policy_id = lenient
        self.assertEqual(invoice._ar_get_policy(), lenient)

    def test_policy_copy_keeps_levels(self):
        copy = self.policy.copy({"name": "Copy"})
        self.assertEqual(copy.level_ids.mapped("offset_days"), self.policy.level_ids.mapped("offset_days"))
        self.assertFalse(copy.level_ids & self.policy.level_ids)
