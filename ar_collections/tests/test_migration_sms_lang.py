from odoo.modules.migration import load_script
from odoo.tests import TransactionCase, tagged

SCRIPT = "ar_collections/migrations/18.0.2.2.0/post-sms-lang.py"


@tagged("post_install", "-at_install")
class TestMigrationSmsLang(TransactionCase):
    """18.0.2.2.0 gives the reminder SMS template of older databases the customer's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env.ref("ar_collections.sms_template_dunning_reminder")
        cls.script = load_script(SCRIPT, "ar_collections_post_sms_lang")

    def _upgrade(self):
        self.env.flush_all()
        self.script.migrate(self.env.cr, "18.0.2.1.0")
        self.template.invalidate_recordset(["lang"])

    def test_template_without_lang_gets_the_customer_language(self):
        self.template.write({"lang": False, "body": "Our SMS wording"})
        self._upgrade()
        self.assertEqual(self.template.lang, "{{ object.lang }}")
        self.assertEqual(self.template.body, "Our SMS wording", "the admin's wording is kept")
        partner = self.env["res.partner"].create({"name": "Mahnstein GmbH", "lang": "en_US"})
        self.assertEqual(self.template._render_lang(partner.ids), {partner.id: "en_US"})

    def test_lang_set_by_the_admin_is_kept(self):
        self.template.lang = "{{ object.commercial_partner_id.lang }}"
        self._upgrade()
        self.assertEqual(self.template.lang, "{{ object.commercial_partner_id.lang }}")
