from odoo.tests import tagged

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestReminderContent(ArCollectionsCommon):

    def _render(self, template_xmlid, partner, invoice_ids):
        template = self.env.ref(template_xmlid)
        return template.with_context(ar_invoice_ids=invoice_ids)._generate_template(
            partner.ids, ("subject", "body_html", "email_from", "partner_to")
        )[partner.id]

    def test_email_lists_invoices_with_open_amounts_and_pay_links(self):
        ids = (self.inv_overdue | self.inv_partial).ids
        values = self._render("ar_collections.mail_template_dunning_reminder", self.customer, ids)
        body = str(values["body_html"])
        self.assertIn(self.inv_overdue.name, body)
        self.assertIn(self.inv_partial.name, body)
        self.assertNotIn(self.inv_not_due.name, body, "only the invoices the run chose are listed")
        # open amount after the partial payment, not the invoice total
        self.assertIn("350.00", body)
        self.assertNotIn("600.00", body)
        self.assertIn(f"/my/invoices/{self.inv_overdue.id}?access_token={self.inv_overdue.access_token}", body)
        self.assertTrue(self.inv_overdue.access_token)
        self.assertIn("payment reminder", values["subject"])
        self.assertEqual(values["partner_ids"], [self.customer.id])
        self.assertIn("billing@company-one.example.com", values["email_from"])

    def test_email_never_lists_another_customers_invoice(self):
        values = self._render(
            "ar_collections.mail_template_dunning_firm", self.customer, (self.inv_overdue | self.inv_other).ids
        )
        body = str(values["body_html"])
        self.assertIn(self.inv_overdue.name, body)
        self.assertNotIn(self.inv_other.name, body)

    def test_email_without_run_context_lists_overdue(self):
        body = str(self._render("ar_collections.mail_template_dunning_final", self.customer, None)["body_html"])
        self.assertIn(self.inv_overdue.name, body)
        self.assertIn(self.inv_partial.name, body)
        self.assertNotIn(self.inv_not_due.name, body)

    def test_paid_invoice_dropped_from_message(self):
        self._ar_pay(self.inv_overdue, 1000.0)
        body = str(self._render(
            "ar_collections.mail_template_dunning_reminder", self.customer, (self.inv_overdue | self.inv_partial).ids
        )["body_html"])
        self.assertNotIn(self.inv_overdue.name, body)
        self.assertIn(self.inv_partial.name, body)

    def test_sms_summary(self):
        summary = self.customer._ar_dunning_sms_summary((self.inv_overdue | self.inv_partial).ids)
        self.assertEqual(summary["count"], 2)
        self.assertIn("1,350.00", summary["amounts"])
        self.assertIn("access_token=", summary["url"])
        body = self.env.ref("ar_collections.sms_template_dunning_reminder").with_context(
            ar_invoice_ids=(self.inv_overdue | self.inv_partial).ids
        )._render_field("body", self.customer.ids)[self.customer.id]
        self.assertTrue(body.startswith(f"{self.company.name}: 2 invoice(s) open"), body)
        self.assertIn("Pay online: http", body)
