from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReviewRunConcurrent(ArCollectionsCommon):
    """Two collectors press "Send" on the same review run at once: it is queued once."""

    def test_two_concurrent_sends(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            partner = env["res.partner"].create({"name": "AR Send Race Customer", "is_company": True,
                                                 "email": "race@example.com"})
            invoice = env["account.move"].with_company(company).create({
                "move_type": "out_invoice", "partner_id": partner.id,
                "invoice_date": self.today - timedelta(days=31), "invoice_date_due": self.today - timedelta(days=1),
                "invoice_line_ids": [Command.create({"name": "Race", "quantity": 1, "price_unit": 100.0,
                                                     "tax_ids": [Command.clear()]})],
            })
            invoice.action_post()
            run = env["ar.dunning.run"]._ar_start_review(company, partners=partner)
            partner_id, invoice_id, run_id = partner.id, invoice.id, run.id
        self.addCleanup(self._delete_committed, partner_id, invoice_id, run_id)
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            cr_b.execute("SET LOCAL lock_timeout = '5s'")  # a blocking send fails instead of hanging
            self.assertTrue(env_a["ar.dunning.run"].browse(run_id).line_ids, "the customer has a proposal")
            self.assertIs(env_a["ar.dunning.run"].browse(run_id).action_send(), True)
            # the second collector presses Send while the first one's request is still running
            answer = env_b["ar.dunning.run"].browse(run_id).action_send()
            self.assertEqual(answer["tag"], "display_notification")
            cr_a.commit()
            cr_b.rollback()
            # pressed again once the first send is done: nothing left to send
            env_b.invalidate_all()
            with self.assertRaisesRegex(UserError, "not waiting for review"):
                env_b["ar.dunning.run"].browse(run_id).action_send()
            cr_b.rollback()
            messages = env_b["ar.dunning.message"].search([("run_id", "=", run_id)])
            logs = env_b["ar.dunning.log"].search([("invoice_id", "=", invoice_id)])
            self.assertEqual(len(messages), len(set(messages.mapped("channel"))), "one reminder per channel")
            self.assertTrue(messages)
            self.assertEqual(len(logs), len(messages))

    def _delete_committed(self, partner_id, invoice_id, run_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ar.dunning.message"].search([("partner_id", "=", partner_id)]).unlink()
            env["ar.dunning.run"].browse(run_id).unlink()
            env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", partner_id)]).unlink()
            invoice = env["account.move"].browse(invoice_id)
            invoice.button_draft()
            invoice.with_context(force_delete=True).unlink()
            env["res.partner"].browse(partner_id).unlink()
