from odoo.modules.migration import load_script
from odoo.tests import tagged

from .common import ArCollectionsCommon

SCRIPT = "ar_collections/migrations/18.0.2.3.0/post-reminder-texts.py"


@tagged("post_install", "-at_install")
class TestMigrationReminderTexts(ArCollectionsCommon):
    """A database created by the release before 18.0.2.1.0 kept its noupdate reminder texts: the
    second reminder read as the first, the final notice announced a hold no level puts. 18.0.2.3.0
    brings the texts nobody reworded to the current ones and keeps an admin's wording."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = load_script(SCRIPT, "ar_collections_post_reminder_texts")
        cls.first = cls.env.ref("ar_collections.mail_template_dunning_reminder")
        cls.second = cls.env.ref("ar_collections.mail_template_dunning_second")
        cls.final = cls.env.ref("ar_collections.mail_template_dunning_final")
        cls.second_level = cls.policy.level_ids.filtered(lambda level: level.offset_days == 7)
        # as the previous release installed them
        cls.final.body_html = cls.final.body_html.replace(cls.script.NEW_FINAL, cls.script.OLD_FINAL)
        cls.first.body_html = (
            f"<div><p>Dear <t t-out=\"object.name or ''\"/>,</p><p>{cls.script.OLD_FIRST}</p>"
            "<t t-out=\"object._ar_dunning_table(ctx.get('ar_invoice_ids'))\"/></div>")
        cls.second_level.mail_template_id = cls.first

    def _upgrade(self):
        self.env.flush_all()
        self.script.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()

    def _body(self, template):
        return str(template.with_context(ar_invoice_ids=self.inv_overdue.ids)._render_field(
            "body_html", self.customer.ids)[self.customer.id])

    def test_installed_texts_become_the_current_ones(self):
        self.assertIn("suspend further deliveries", self._body(self.final), "the old final notice")
        self.assertEqual(self.second_level.mail_template_id, self.first)
        self._upgrade()
        body = self._body(self.final)
        self.assertNotIn("suspend", body, "only a level that puts the hold announces it")
        self.assertNotIn("seriously overdue", body)
        self.assertIn(self.script.NEW_FINAL, body)
        self.assertIn(self.inv_overdue.name, body, "the statement is still there")
        self.assertEqual(self.second_level.mail_template_id, self.second)
        first_level = self.policy.level_ids.filtered(lambda level: level.offset_days == 3)
        self.assertEqual(first_level.mail_template_id, self.first)
        self.assertNotEqual(self._body(self.first), self._body(self.second))

    def test_reworded_texts_are_kept(self):
        self.final.body_html = "<p>Our own final words</p>"
        self.first.body_html = "<p>Our own reminder, for both levels</p>"
        self._upgrade()
        self.assertEqual(self._body(self.final), "<p>Our own final words</p>")
        self.assertEqual(self.second_level.mail_template_id, self.first, "the admin's wording for both levels")

    def test_renamed_level_is_left_alone(self):
        self.second_level.name = "Our second letter"
        self._upgrade()
        self.assertEqual(self.second_level.mail_template_id, self.first)
