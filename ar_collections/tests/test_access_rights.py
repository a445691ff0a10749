from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestAccessRights(ArCollectionsCommon):

    def test_collector_reads_but_cannot_edit_policies(self):
        policy = self.policy.with_user(self.user_collector)
        self.assertEqual(policy.name, self.policy.name)
        self.assertEqual(len(policy.level_ids), 6)
        with self.assertRaises(AccessError):
            policy.name = "Hijacked"
        with self.assertRaises(AccessError):
            policy.level_ids[0].offset_days = -3
        with self.assertRaises(AccessError):
            self.env["ar.dunning.policy"].with_user(self.user_collector).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            policy.level_ids[0].unlink()

    def test_manager_edits_policies(self):
        policy = self.policy.with_user(self.user_ar_manager)
        policy.name = "Standard reminders (edited)"
        policy.level_ids.filtered(lambda level: level.offset_days == 3).min_amount = 25.0
        new = self.env["ar.dunning.policy"].with_user(self.user_ar_manager).create({"name": "Key accounts"})
        self.assertEqual(new.company_id, self.company)
        new.unlink()

    def test_billing_user_reads_policy_on_invoice(self):
        invoice = self.inv_overdue.with_user(self.user_billing)
        self.assertEqual(invoice._ar_get_policy().name, self.policy.name)
        with self.assertRaises(AccessError):
            self.policy.with_user(self.user_billing).name = "No"

    def test_accounting_groups_imply_collections(self):
        accountant = self.env.ref("account.group_account_user")
        admin = self.env.ref("account.group_account_manager")
        self.assertIn(self.env.ref("ar_collections.group_ar_collections_user"), accountant.trans_implied_ids)
        self.assertIn(self.env.ref("ar_collections.group_ar_collections_manager"), admin.trans_implied_ids)
        self.assertTrue(self.env.ref("base.user_admin").has_group("ar_collections.group_ar_collections_manager"))

    def test_portal_user_sees_nothing_of_back_office(self):
        env = self.env(user=self.portal_user)
        for model in ("ar.dunning.policy", "ar.dunning.level"):
            with self.assertRaises(AccessError, msg=f"portal user could read {model}"):
                env[model].search([])
        with self.assertRaises(AccessError):
            self.policy.with_user(self.portal_user).read(["name"])
        # their own invoices only (Odoo's portal rule), never another customer's
        visible = env["account.move"].search([("move_type", "=", "out_invoice")])
        self.assertIn(self.inv_overdue, visible)
        self.assertNotIn(self.inv_other, visible)
        with self.assertRaises(AccessError):
            self.inv_other.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.inv_overdue.with_user(self.portal_user).write({"ar_no_chase": False})

    def test_collections_menu_visibility(self):
        menu = self.env.ref("ar_collections.menu_ar_collections")
        config = self.env.ref("ar_collections.menu_ar_collections_config")

        def visible(user):
            # ir.ui.menu's search hides the menus the user's groups cannot see
            return self.env["ir.ui.menu"].with_user(user).search([("id", "in", (menu | config).ids)])

        self.assertEqual(visible(self.user_collector), menu)
        self.assertEqual(visible(self.user_ar_manager), menu | config)
        self.assertFalse(visible(self.user_billing))
        with self.assertRaises(AccessError):
            visible(self.portal_user)

    def test_reminder_log_append_only_for_people(self):
        self._ar_run()
        log = self.env["ar.dunning.log"].sudo().search([("invoice_id", "=", self.inv_other.id)])
        self.assertTrue(log)
        for user in (self.user_collector, self.user_ar_manager):
            as_user = log.with_user(user)
            self.assertEqual(as_user.invoice_id, self.inv_other, "collectors and managers read the log")
            with self.assertRaises(AccessError):
                as_user.write({"state": "cancelled"})
            with self.assertRaises(AccessError):
                as_user.unlink()
            with self.assertRaises(AccessError):
                self.env["ar.dunning.log"].with_user(user).create({
                    "invoice_id": self.inv_other.id, "partner_id": self.other_customer.id,
                    "company_id": self.company.id, "level_id": log.level_id.id, "channel": "email",
                })
            with self.assertRaises(AccessError):
                log.message_id.with_user(user).write({"state": "sent"})

    def test_only_managers_run_reminders(self):
        with self.assertRaises(AccessError):
            self.env["ar.dunning.preview"].with_user(self.user_collector).create({})
        preview = self.env["ar.dunning.preview"].with_user(self.user_ar_manager).create({})
        self.assertEqual(preview.customer_count, 2)
