from datetime import timedelta

from lxml import html as lxml_html

from odoo import Command
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools.misc import format_amount, format_date

from odoo.addons.ar_collections_portal.tests.common import ArPortalCommon, ArPortalHttpCommon


def statement_rows(page):
    """{move id: status} of the statement lines of an HTML page."""
    tree = lxml_html.fromstring(page)
    return {
        int(row.get("data-move-id")): row.get("data-status")
        for row in tree.xpath("//tr[contains(@class, 'o_ar_statement_line')]")
    }


def statement_groups(page):
    """{(company id, currency name): (open total text, overdue total text)} of a statement page."""
    tree = lxml_html.fromstring(page)
    groups = {}
    for section in tree.xpath("//section[contains(@class, 'o_ar_statement_group')]"):
        key = (int(section.get("data-company-id")), section.get("data-currency"))
        groups[key] = (
            " ".join(section.xpath(".//*[contains(@class, 'o_ar_total_open')]")[0].text_content().split()),
            " ".join(section.xpath(".//*[contains(@class, 'o_ar_total_overdue')]")[0].text_content().split()),
        )
    return groups


@tagged("post_install", "-at_install")
class TestPortalStatement(ArPortalHttpCommon):

    def _goodwill_credit_note(self, amount):
        """A posted credit note of the customer that reverses no invoice: open on the statement."""
        refund = self.env["account.move"].create({
            "move_type": "out_refund",
            "partner_id": self.customer.id,
            "invoice_date": self.today,
            "invoice_line_ids": [(0, 0, {"name": "Goodwill", "price_unit": amount, "tax_ids": [(5,)]})],
        })
        refund.action_post()
        return refund

    def test_statement_lists_own_open_documents(self):
        refund = self._ar_credit_note(self.inv_not_due, 300.0)  # closes inv_not_due entirely
        self.assertEqual(self.inv_not_due.payment_state, "reversed")
        self.authenticate("ar_portal", "ar_portal")
        response = self.url_open("/my/statement")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn(self.inv_overdue.name, html)
        self.assertIn(self.inv_partial.name, html)
        self.assertNotIn(self.inv_not_due.name, html, "a fully credited invoice is not open")
        self.assertNotIn(refund.name, html, "a fully used credit note is not open")
        self.assertNotIn(self.inv_other.name, html, "another customer's invoice leaked")
        self.assertIn("350.00", html, "open amount after the partial payment")
        self.assertIn("1,350.00", html, "overdue total")
        self.assertIn(f"/my/invoices/{self.inv_overdue.id}", html)

    def test_statement_open_credit_note_reduces_total(self):
        self._ar_credit_note(self.inv_overdue, 100.0)
        refund = self._goodwill_credit_note(50.0)
        self.authenticate("ar_portal", "ar_portal")
        html = self.url_open("/my/statement").text
        self.assertIn(refund.name, html)
        self.assertEqual(statement_rows(html)[refund.id], "credit")
        # 900 + 350 + 300 - 50 open, of which 900 + 350 overdue
        self.assertEqual(statement_groups(html)[self.company.id, "USD"], ("$ 1,500.00", "$ 1,250.00"))

    def test_statement_line_amounts_and_dates_read_as_odoo_formats_them(self):
        """The lines are formatted in the controller (faster than QWeb's widgets): same text
        as format_amount()/format_date(), for a symbol before (USD) or after (EUR) the
        amount, a negative amount (credit note) and thousands."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        eur.position = "after"
        big = self._ar_invoice(self.customer, 12345.67, days_overdue=3)
        foreign = self._ar_invoice(self.customer, 2500.5, days_overdue=1, currency=eur)
        refund = self._goodwill_credit_note(1234.5)
        self.authenticate("ar_portal", "ar_portal")
        tree = lxml_html.fromstring(self.url_open("/my/statement").text)
        checked = 0
        for move in (big, foreign, refund, self.inv_partial):
            cells = tree.xpath(f"//tr[@data-move-id='{move.id}']/td")
            self.assertEqual(cells[3].text_content(), format_date(self.env, move.invoice_date_due))
            residual = -move.amount_residual if move.move_type == "out_refund" else move.amount_residual
            self.assertEqual(cells[5].text_content(), format_amount(self.env, move.amount_total, move.currency_id))
            self.assertEqual(cells[6].text_content(), format_amount(self.env, residual, move.currency_id))
            checked += 1
        self.assertEqual(checked, 4)
        badges = {move: " ".join(tree.xpath(f"//tr[@data-move-id='{move.id}']/td")[2].text_content().split())
                  for move in (big, refund)}
        self.assertEqual(badges, {big: "Overdue", refund: "Credit note"})
        self.assertEqual(tree.xpath(f"//tr[@data-move-id='{foreign.id}']/td")[6].text_content(),
                         "2,500.50\N{NO-BREAK SPACE}€")
        self.assertEqual(tree.xpath(f"//tr[@data-move-id='{refund.id}']/td")[6].text_content(),
                         "$\N{NO-BREAK SPACE}-\N{ZERO WIDTH NO-BREAK SPACE}1,234.50")

    def test_statement_requires_login(self):
        response = self.url_open("/my/statement", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_home_counter(self):
        self.authenticate("ar_portal", "ar_portal")
        response = self.make_jsonrpc_request("/my/counters", {"counters": ["ar_statement_count"]})
        self.assertEqual(response["ar_statement_count"], 3)

    def test_back_office_closed_to_portal_user(self):
        self.authenticate("ar_portal", "ar_portal")
        response = self.url_open("/odoo/action-ar_collections.action_ar_dunning_policy", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 403))
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.make_jsonrpc_request("/web/dataset/call_kw/ar.dunning.policy/search_read", {
                "model": "ar.dunning.policy", "method": "search_read", "args": [], "kwargs": {"fields": ["name"]},
            })

    def test_pay_all_overdue_button_leaves_out_disputed_invoices(self):
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)], "reason": "quality",
        })
        self.authenticate("ar_portal", "ar_portal")
        html = self.url_open("/my/statement").text
        button = html.split("o_ar_pay_overdue", 1)[1].split("</a>", 1)[0].replace("&amp;", "&")
        ids = button.split("invoice_ids=", 1)[1].split('"', 1)[0].split("&", 1)[0]
        self.assertEqual(ids.replace("%2C", ","), str(self.inv_partial.id))
        self.assertIn("350.00", button)
        self.assertNotIn("1,350.00", button)

    def test_statement_statuses_and_totals_per_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        inv_eur = self._ar_invoice(self.customer, 400.0, days_overdue=8, currency=eur)
        inv_eur_due = self._ar_invoice(self.customer, 150.0, days_overdue=-3, currency=eur)
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)], "reason": "quality",
        })
        self.env["ar.promise"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
            "amount": 350.0, "promised_date": self.today + timedelta(days=4),
        })
        self.authenticate("ar_portal", "ar_portal")
        html = self.url_open("/my/statement").text
        self.assertEqual(statement_rows(html), {
            self.inv_overdue.id: "dispute",
            self.inv_partial.id: "promised",
            self.inv_not_due.id: "due",
            inv_eur.id: "overdue",
            inv_eur_due.id: "due",
        })
        self.assertEqual(statement_groups(html), {
            (self.company.id, "USD"): ("$ 1,650.00", "$ 1,350.00"),
            (self.company.id, "EUR"): ("550.00 €", "400.00 €"),
        })
        self.assertIn("In dispute", html)
        self.assertIn("Promised", html)

    def test_statement_filters(self):
        refund = self.env["account.move"].create({
            "move_type": "out_refund",
            "partner_id": self.customer.id,
            "invoice_date": self.today,
            "invoice_line_ids": [Command.create({"name": "Goodwill", "price_unit": 50.0, "tax_ids": [Command.clear()]})],
        })
        refund.action_post()
        self.authenticate("ar_portal", "ar_portal")
        everything = {self.inv_overdue.id, self.inv_partial.id, self.inv_not_due.id, refund.id}
        self.assertEqual(set(statement_rows(self.url_open("/my/statement").text)), everything)
        overdue = self.url_open("/my/statement?filterby=overdue").text
        self.assertEqual(set(statement_rows(overdue)), {self.inv_overdue.id, self.inv_partial.id})
        # the totals cover the whole account whatever the filter
        self.assertEqual(statement_groups(overdue)[self.company.id, "USD"], ("$ 1,600.00", "$ 1,350.00"))
        self.assertEqual(set(statement_rows(self.url_open("/my/statement?filterby=due").text)), {self.inv_not_due.id})
        self.assertEqual(set(statement_rows(self.url_open("/my/statement?filterby=bogus").text)), everything)

    def test_statement_payment_history(self):
        old = self._ar_invoice(self.customer, 80.0, days_overdue=500)
        old_payment = self._ar_pay(old, 80.0, date=self.today - timedelta(days=400))
        other_payment = self._ar_pay(self.inv_other, 700.0)
        recent_payment = self.inv_partial.matched_payment_ids
        self.assertEqual(len(recent_payment), 1)
        self.authenticate("ar_portal", "ar_portal")
        tree = lxml_html.fromstring(self.url_open("/my/statement").text)
        shown = {int(row.get("data-payment-id")) for row in tree.xpath("//tr[contains(@class, 'o_ar_statement_payment')]")}
        self.assertEqual(shown, set(recent_payment.ids), "only this customer's payments of the last 12 months")
        self.assertNotIn(old_payment.id, shown)
        self.assertNotIn(other_payment.id, shown)
        row = tree.xpath("//tr[contains(@class, 'o_ar_statement_payment')]")[0].text_content()
        self.assertIn(recent_payment.name, row)
        self.assertIn("250.00", row)

    def test_statement_multi_company(self):
        company_b = self.setup_other_company(name="Statement Company B")["company"]
        inv_b = self._ar_invoice(self.customer, 420.0, days_overdue=2, company=company_b)
        self.authenticate("ar_portal", "ar_portal")
        html = self.url_open("/my/statement").text
        self.assertEqual(statement_rows(html)[inv_b.id], "overdue",
                         "the customer sees what it owes every company, not only the portal user's")
        groups = statement_groups(html)
        self.assertEqual(set(groups), {(self.company.id, "USD"), (company_b.id, company_b.currency_id.name)})
        self.assertIn("420.00", groups[company_b.id, company_b.currency_id.name][1])

    def test_statement_pay_links(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self.env["account.move"].create({
            "move_type": "out_refund",
            "partner_id": self.customer.id,
            "currency_id": eur.id,
            "invoice_date": self.today,
            "invoice_line_ids": [Command.create({"name": "Goodwill", "price_unit": 50.0, "tax_ids": [Command.clear()]})],
        }).action_post()
        self.authenticate("ar_portal", "ar_portal")
        tree = lxml_html.fromstring(self.url_open("/my/statement").text)
        self.assertEqual(len(tree.xpath("//section[contains(@class, 'o_ar_statement_group')]")), 2)
        self.assertEqual(len(tree.xpath("//button[contains(@class, 'o_ar_pay_selected')]")), 1,
                         "nothing to pay where there is only a credit note")
        overdue_links = tree.xpath("//a[contains(@class, 'o_ar_pay_overdue')]/@href")
        self.assertEqual(overdue_links, [f"/my/statement/pay?invoice_ids={self.inv_overdue.id}%2C{self.inv_partial.id}"])
        boxes = tree.xpath("//input[@name='invoice_ids']/@value")
        self.assertEqual(sorted(map(int, boxes)), sorted((self.inv_overdue | self.inv_partial | self.inv_not_due).ids))
        self.assertTrue(tree.xpath("//a[contains(@class, 'o_ar_statement_pdf')][@href='/my/statement/pdf']"))

    def test_statement_page_queries_do_not_grow_with_lines(self):
        self._ar_login()

        def page_queries():
            self.url_open("/my/statement")  # first view gives the new invoices their access token
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.assertEqual(self.url_open("/my/statement").status_code, 200)
            return self.env.cr.sql_log_count - before

        few = page_queries()
        for days in range(6):
            invoice = self._ar_invoice(self.customer, 100.0 + days, days_overdue=days)
            self._ar_pay(invoice, 10.0)
        self.assertEqual(page_queries(), few, "no query per statement line")


@tagged("post_install", "-at_install")
class TestStatementData(ArPortalCommon):

    def _count_queries(self, partner):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        data = partner.sudo()._ar_statement_data()
        # what the page reads on each line
        for group in data["groups"]:
            for line in group["lines"]:
                line["move"].mapped(lambda move: (move.name, move.invoice_date_due, move.amount_total, move.currency_id.name))
        data["payments"].mapped(lambda payment: (payment.name, payment.memo, payment.amount, payment.currency_id.name))
        return self.env.cr.sql_log_count - before, data

    def test_statement_queries_do_not_grow_with_lines(self):
        few, data = self._count_queries(self.customer)
        self.assertEqual(len(data["groups"][0]["lines"]), 3)
        for days in range(6):
            invoice = self._ar_invoice(self.customer, 100.0 + days, days_overdue=days)
            self._ar_pay(invoice, 10.0)
        many, data = self._count_queries(self.customer)
        self.assertEqual(len(data["groups"][0]["lines"]), 9)
        self.assertEqual(len(data["payments"]), 7)
        self.assertEqual(many, few, "the statement costs the same number of queries whatever its length")

    def test_pay_all_overdue_leaves_out_disputed_invoices(self):
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)], "reason": "quality",
        })
        group = self.customer.sudo()._ar_statement_data()["groups"][0]
        self.assertEqual(group["overdue"], 1350.0, "the overdue total still shows what is overdue")
        self.assertEqual(group["overdue_invoices"], self.inv_partial)
        self.assertEqual(group["overdue_payable"], 350.0)

    def test_statement_data_of_contact_is_commercial_partner(self):
        data = self.customer_contact.sudo()._ar_statement_data()
        self.assertEqual(data["partner"], self.customer)
        moves = {line["move"] for group in data["groups"] for line in group["lines"]}
        self.assertEqual(moves, {self.inv_overdue, self.inv_partial, self.inv_not_due})
        self.assertEqual(data["groups"][0]["overdue_invoices"], self.inv_overdue | self.inv_partial)
