import psycopg2

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections.tests.common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestOneOpenDispute(ArCollectionsCommon):
    """An invoice has one open dispute and one open promise at most, whoever records them."""

    def _dispute(self, invoices, env=None, **values):
        env = env or self.env
        return env["ar.dispute"].create({
            "partner_id": invoices.commercial_partner_id.id, "company_id": invoices.company_id.id,
            "invoice_ids": [Command.set(invoices.ids)], **values})

    def _promise(self, invoices, **values):
        return self.env["ar.promise"].create({
            "partner_id": invoices.commercial_partner_id.id, "company_id": invoices.company_id.id,
            "invoice_ids": [Command.set(invoices.ids)], "amount": 100.0,
            "promised_date": self.today, **values})

    def test_back_office_second_open_dispute_refused(self):
        first = self._dispute(self.inv_overdue)
        with self.assertRaisesRegex(ValidationError, "already in an open dispute"), self.cr.savepoint():
            self._dispute(self.inv_overdue | self.inv_partial)
        with self.assertRaisesRegex(ValidationError, "already in an open dispute"), self.cr.savepoint():
            self._dispute(self.inv_partial).invoice_ids = [Command.link(self.inv_overdue.id)]
        # once the first is closed, a new one may be opened; reopening the first is then refused
        first.action_cancel()
        second = self._dispute(self.inv_overdue)
        with self.assertRaisesRegex(ValidationError, "already in an open dispute"), self.cr.savepoint():
            first.action_reopen()
        self.assertEqual(second.invoice_ids, self.inv_overdue)

    def test_back_office_second_open_promise_refused(self):
        first = self._promise(self.inv_overdue)
        with self.assertRaisesRegex(ValidationError, "already promised"), self.cr.savepoint():
            self._promise(self.inv_overdue | self.inv_partial)
        first.action_cancel()
        self.assertTrue(self._promise(self.inv_overdue))

    @mute_logger("odoo.sql_db")
    def test_two_concurrent_disputes(self):
        """Two requests open a dispute on the same invoice at the same time: the one that
        comes second fails to serialize (Odoo retries it), and its retry is refused."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            partner = env["res.partner"].create({"name": "AR Race Customer", "is_company": True})
            invoice = env["account.move"].with_company(company).create({
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": self.today,
                "invoice_line_ids": [Command.create({"name": "Race", "quantity": 1, "price_unit": 100.0,
                                                     "tax_ids": [Command.clear()]})],
            })
            invoice.action_post()
            partner_id, invoice_id = partner.id, invoice.id
        self.addCleanup(self._delete_committed, partner_id, invoice_id)
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            cr_b.execute("SET LOCAL lock_timeout = '5s'")  # a blocking check fails instead of hanging
            # the second request has started (its snapshot is taken) when the first one commits
            cr_b.execute("SELECT id FROM ar_dispute WHERE partner_id = %s", [partner_id])
            self._dispute(env_a["account.move"].browse(invoice_id), env=env_a)
            cr_a.commit()
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                self._dispute(env_b["account.move"].browse(invoice_id), env=env_b)
            cr_b.rollback()
            # Odoo retries the request: it now sees the first dispute
            env_b.invalidate_all()
            with self.assertRaisesRegex(ValidationError, "already in an open dispute"):
                self._dispute(env_b["account.move"].browse(invoice_id), env=env_b)
            cr_b.rollback()
            self.assertEqual(env_b["ar.dispute"].search_count([("partner_id", "=", partner_id)]), 1)

    def _delete_committed(self, partner_id, invoice_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ar.dispute"].search([("partner_id", "=", partner_id)]).unlink()
            invoice = env["account.move"].browse(invoice_id)
            invoice.button_draft()
            invoice.with_context(force_delete=True).unlink()
            env["res.partner"].browse(partner_id).unlink()
