from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from odoo.addons.ar_collections_portal.tests.common import ArPortalHttpCommon

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestPortalDisputePromise(ArPortalHttpCommon):
    """Disputes and promises to pay submitted by the customer from the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.with_company(cls.company).ar_collector_id = cls.user_collector

    def _dispute_data(self, invoices, **values):
        return {"invoice_ids": invoices.ids, "reason": "pricing", "description": "Price should be 900, not 1000.",
                "amount": "100.00", **values}

    def test_dispute_routed_to_the_account_manager_with_a_utf8_csv(self):
        """The routing rules choose the owner of a portal dispute (pricing: the account manager),
        who gets the activity; a UTF-8 CSV is text even where the type guesser's first
        kilobyte cuts a character."""
        manager = new_test_user(self.env, "ar_account_manager", groups="base.group_user,ar_collections.group_ar_collections_user",
                                name="Alan Account", company_id=self.company.id,
                                company_ids=[Command.set(self.company.ids)])
        self.customer.user_id = manager
        csv = ("Article;Prix\n" + "x" * 1009 + ";é\n").encode()
        self.assertEqual(csv[1023:1025], "é".encode(), "the kilobyte ends inside the é")
        self._ar_login()
        response = self._ar_post("/my/dispute/submit", self._dispute_data(self.inv_overdue), files=[
            ("attachments", ("prices.csv", csv, "application/vnd.ms-excel"))])
        self.assertEqual(response.status_code, 303, response.text[:2000])
        dispute = self.env["ar.dispute"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((dispute.user_id, dispute.activity_ids.user_id), (manager, manager))
        self.assertIn(manager.partner_id, dispute.message_partner_ids)
        self.assertEqual((dispute.attachment_ids.raw, dispute.attachment_ids.mimetype), (csv, "text/csv"))

    def _promise_data(self, invoices, **values):
        return {"invoice_ids": invoices.ids, "promised_date": fields.Date.to_string(self.today + timedelta(days=10)),
                "amount": "1000.00", "note": "Paying after our month-end run.", **values}

    def _counts(self):
        self.env.flush_all()
        return (
            self.env["ar.dispute"].sudo().search_count([]),
            self.env["ar.promise"].sudo().search_count([]),
            self.env["ir.attachment"].sudo().search_count([("url", "not ilike", "/web/assets/")]),
            self.env["mail.message"].sudo().search_count([]),
        )

    def _invoice_page(self, invoice):
        response = self.url_open(invoice.get_portal_url())
        self.assertEqual(response.status_code, 200)
        return response.text

    # ------------------------------------------------------------------
    # Disputes
    # ------------------------------------------------------------------

    def test_dispute_with_pdf_pauses_reminders_and_is_shown_until_resolved(self):
        invoice = self.inv_overdue
        self.assertFalse(invoice._ar_get_pause_reasons().get(invoice.id))
        self._ar_login()
        form = self.url_open(f"/my/invoices/{invoice.id}/dispute")
        self.assertEqual(form.status_code, 200)
        self.assertIn(invoice.name, form.text)
        self.assertIn('value="1000.00"', form.text, "the open amount is proposed")

        response = self._ar_post("/my/dispute/submit", self._dispute_data(invoice), files=[
            ("attachments", ("delivery-note.pdf", PDF, "application/pdf")),
        ])
        self.assertEqual(response.status_code, 303, response.text[:2000])
        self.assertIn("/my/disputes?ar_done=dispute", response.headers["Location"])

        dispute = self.env["ar.dispute"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.invoice_ids, invoice)
        self.assertEqual(dispute.amount, 100.0)
        self.assertEqual(dispute.reason, "pricing")
        self.assertEqual(dispute.description, "Price should be 900, not 1000.")
        self.assertEqual(dispute.stage, "new")
        self.assertEqual(dispute.company_id, self.company)
        self.assertEqual(dispute.user_id, self.user_collector, "the customer's collector owns it")
        attachment = dispute.attachment_ids
        self.assertEqual(len(attachment), 1)
        self.assertEqual((attachment.name, attachment.raw, attachment.mimetype),
                         ("delivery-note.pdf", PDF, "application/pdf"))
        self.assertEqual((attachment.res_model, attachment.res_id, attachment.public), ("ar.dispute", dispute.id, False))
        # the collectors hear about it, the invoice's chatter tells it in the customer's name
        activity = dispute.activity_ids
        self.assertEqual(activity.user_id, self.user_collector)
        self.assertEqual(activity.summary, "Dispute from the customer portal")
        message = invoice.message_ids.filtered(lambda msg: "Disputed from the customer portal" in (msg.body or ""))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.customer_contact)
        self.assertIn("Price should be 900", message.body)
        self.assertNotIn(self.customer_contact, invoice.message_partner_ids, "no follower added by the portal")

        # ar_collections pauses the reminders of a disputed invoice
        self.assertEqual(invoice._ar_get_pause_reasons()[invoice.id], "Disputed: Wrong price or quantity")
        plan = {line["invoice"]: line for line in self.env["ar.dunning.engine"]._plan_reminders(invoice, self.today)}
        if invoice in plan:
            self.assertTrue(plan[invoice]["skip_reason"])

        # shown to the customer: the list, the invoice page (no second dispute button), the statement
        listing = self.url_open("/my/disputes?ar_done=dispute").text
        self.assertIn("Thank you: your dispute was sent", listing)
        self.assertIn(invoice.name, listing)
        self.assertIn("Wrong price or quantity", listing)
        self.assertIn("New", listing)
        page = self._invoice_page(invoice)
        self.assertIn("In dispute since", page)
        self.assertNotIn("o_ar_dispute_btn", page)
        self.assertIn("o_ar_promise_btn", page)
        statement = self.url_open("/my/statement").text
        self.assertIn("o_ar_statement_dispute", statement)
        self.assertIn("In dispute since", statement)

        # resolved by a credit note in the back office
        dispute.action_review()
        self.assertIn("Under review", self.url_open("/my/disputes").text)
        dispute.action_resolve_credit_note()
        self.assertIn("(being issued)", self.url_open("/my/disputes").text)
        dispute.credit_note_id.action_post()
        listing = self.url_open("/my/disputes").text
        self.assertIn("Resolved: credit note", listing)
        self.assertIn("Dispute resolved with a credit note", listing)
        self.assertIn(dispute.credit_note_id.name, listing)
        page = self._invoice_page(invoice)
        self.assertIn(dispute.credit_note_id.name, page)
        self.assertNotIn("In dispute since", page)
        self.assertFalse(invoice._ar_get_pause_reasons().get(invoice.id), "reminders resume once resolved")

    def test_dispute_by_invoice_link_without_login(self):
        invoice = self.inv_partial
        url = invoice.get_portal_url(suffix="/dispute")
        form = self.url_open(url)
        self.assertEqual(form.status_code, 200)
        self.assertIn(invoice.name, form.text)
        self.assertNotIn(self.inv_overdue.name, form.text, "the link shows only its own invoice")
        csrf = self._ar_csrf(url)
        response = self._ar_post("/my/dispute/submit", self._dispute_data(
            invoice, amount="350", reason="not_received", access_token=invoice.access_token, csrf_token=csrf))
        self.assertEqual(response.status_code, 303, response.text[:2000])
        self.assertIn(f"/my/invoices/{invoice.id}", response.headers["Location"])
        self.assertIn("ar_done=dispute", response.headers["Location"])
        dispute = self.env["ar.dispute"].search([("invoice_ids", "in", invoice.ids)])
        self.assertEqual((dispute.partner_id, dispute.amount, dispute.reason), (self.customer, 350.0, "not_received"))
        message = invoice.message_ids.filtered(lambda msg: "Disputed from the customer portal" in (msg.body or ""))
        self.assertEqual(message.author_id, invoice.partner_id, "without a login, the invoice's customer speaks")
        page = self.url_open(response.headers["Location"]).text
        self.assertIn("Thank you: your dispute was sent", page)
        self.assertIn("In dispute since", page)

    def test_dispute_several_invoices_from_the_statement(self):
        invoices = self.inv_overdue | self.inv_partial
        self._ar_login()
        form = self.url_open("/my/dispute/new")
        self.assertEqual(form.status_code, 200)
        for invoice in invoices | self.inv_not_due:
            self.assertIn(f'value="{invoice.id}"', form.text)
        self.assertNotIn(self.inv_other.name, form.text)
        before = self._counts()
        too_much = self._ar_post("/my/dispute/submit", self._dispute_data(invoices, amount="1350.01"))
        self.assertEqual(too_much.status_code, 400)
        self.assertIn("more than what is open", too_much.text)
        self.assertEqual(self._counts(), before)
        response = self._ar_post("/my/dispute/submit", self._dispute_data(invoices, amount="1350"))
        self.assertEqual(response.status_code, 303, response.text[:2000])
        dispute = self.env["ar.dispute"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(dispute.invoice_ids, invoices)
        self.assertEqual(dispute.amount, 1350.0)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["ar_dispute_count"]})
        self.assertEqual(counters["ar_dispute_count"], 1)

    def test_promise_on_several_invoices_defaults_to_the_open_total(self):
        invoices = self.inv_overdue | self.inv_partial
        self._ar_login()
        form = self.url_open("/my/promise/new")
        self.assertEqual(form.status_code, 200)
        self.assertIn(self.inv_partial.name, form.text)
        response = self._ar_post("/my/promise/submit", self._promise_data(invoices, amount="", note=""))
        self.assertEqual(response.status_code, 303, response.text[:2000])
        promise = self.env["ar.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((promise.invoice_ids, promise.amount, promise.note), (invoices, 1350.0, False))
        for invoice in invoices:
            self.assertIn("Promised to pay by", invoice._ar_get_pause_reasons()[invoice.id])

    def test_second_dispute_on_an_invoice_refused(self):
        self._ar_login()
        first = self._ar_post("/my/dispute/submit", self._dispute_data(self.inv_overdue))
        self.assertEqual(first.status_code, 303)
        before = self._counts()
        again = self._ar_post("/my/dispute/submit", self._dispute_data(self.inv_overdue | self.inv_partial))
        self.assertEqual(again.status_code, 400)
        self.assertIn(f"{self.inv_overdue.name} already in dispute", again.text)
        self.assertEqual(self._counts(), before, "nothing written")
        form = self.url_open(f"/my/invoices/{self.inv_overdue.id}/dispute").text
        self.assertIn("already in dispute", form)
        self.assertIn("disabled", form.split("Send the dispute")[0].rsplit("<button", 1)[1])

    # ------------------------------------------------------------------
    # Promises
    # ------------------------------------------------------------------

    def test_promise_pauses_reminders_and_is_kept_or_broken(self):
        invoice = self.inv_overdue
        self._ar_login()
        form = self.url_open(f"/my/invoices/{invoice.id}/promise")
        self.assertEqual(form.status_code, 200)
        self.assertIn('value="1000.00"', form.text, "the open total is proposed")
        promised = self.today + timedelta(days=10)
        response = self._ar_post("/my/promise/submit", self._promise_data(invoice, amount="1000"))
        self.assertEqual(response.status_code, 303, response.text[:2000])
        self.assertIn("/my/disputes?ar_done=promise", response.headers["Location"])
        promise = self.env["ar.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual((promise.state, promise.invoice_ids, promise.amount, promise.promised_date),
                         ("open", invoice, 1000.0, promised))
        self.assertEqual(promise.currency_id, invoice.currency_id)
        self.assertEqual(promise.note, "Paying after our month-end run.")
        self.assertEqual(promise.amount_residual_start, 1000.0)
        self.assertEqual(invoice._ar_get_pause_reasons()[invoice.id],
                         f"Promised to pay by {fields.Date.to_string(promised)}")
        message = invoice.message_ids.filtered(lambda msg: "Promised from the customer portal" in (msg.body or ""))
        self.assertEqual(message.author_id, self.customer_contact)

        self.assertIn("Thank you: your promise to pay was recorded", self.url_open(response.headers["Location"]).text)
        page = self._invoice_page(invoice)
        self.assertIn("Promised for", page)
        self.assertIn("1,000.00", page)
        self.assertNotIn("o_ar_promise_btn", page, "one open promise per invoice")
        self.assertIn("o_ar_statement_promise", self.url_open("/my/statement").text)

        # kept once paid
        self._ar_pay(invoice, 1000.0)
        self.assertEqual(promise.state, "kept")
        self.assertIn("kept: thank you", self.url_open("/my/disputes").text)

        # broken when its date passes without the money
        response = self._ar_post("/my/promise/submit", self._promise_data(self.inv_partial, amount="350"))
        self.assertEqual(response.status_code, 303, response.text[:2000])
        late = self.env["ar.promise"].search([("invoice_ids", "in", self.inv_partial.ids)])
        late._ar_evaluate(today=late.pause_until + timedelta(days=1))
        self.assertEqual(late.state, "broken")
        self.assertIn("broken: payment not received", self.url_open("/my/disputes").text)
        self.assertIn("broken: payment not received", self._invoice_page(self.inv_partial))

    def test_promise_date_validation(self):
        self._ar_login()
        today = self.today
        refused = {
            "today": fields.Date.to_string(today),
            "past": fields.Date.to_string(today - timedelta(days=3)),
            "61 days": fields.Date.to_string(today + timedelta(days=61)),
            "month 13": "2026-13-45",
            "text": "abc",
            "empty": "",
            "not ISO": (today + timedelta(days=5)).strftime("%d/%m/%Y"),
        }
        before = self._counts()
        for label, value in refused.items():
            response = self._ar_post("/my/promise/submit", self._promise_data(self.inv_overdue, promised_date=value))
            self.assertEqual(response.status_code, 400, label)
            self.assertIn("payment date", response.text, label)
            self.assertIn("Nothing was saved", response.text, label)
        self.assertEqual(self._counts(), before, "nothing written")
        last_day = fields.Date.to_string(today + timedelta(days=60))
        response = self._ar_post("/my/promise/submit", self._promise_data(self.inv_overdue, promised_date=last_day))
        self.assertEqual(response.status_code, 303, "60 days ahead is allowed")

    def test_second_promise_refused_amount_capped(self):
        self._ar_login()
        before = self._counts()
        above = self._ar_post("/my/promise/submit", self._promise_data(self.inv_partial, amount="350.01"))
        self.assertEqual(above.status_code, 400)
        self.assertIn("more than what is open", above.text)
        self.assertEqual(self._counts(), before)
        first = self._ar_post("/my/promise/submit", self._promise_data(self.inv_partial, amount="200"))
        self.assertEqual(first.status_code, 303)
        before = self._counts()
        again = self._ar_post("/my/promise/submit", self._promise_data(self.inv_partial, amount="100"))
        self.assertEqual(again.status_code, 400)
        self.assertIn("already promised", again.text)
        self.assertEqual(self._counts(), before)
