from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import MockEmail

# The company every test class of the suite starts from, built once per test database by
# ``ensure_shared_company`` (the suite's conftest calls it): loading a chart of accounts is the
# largest part of a class set-up. Without it (Odoo's own test runner), each class builds its own.
SHARED_COMPANY_XMLID = "__ar_tests__.company_1_data"
# The second company of the multi-company tests (``setup_other_company``), built the same way
SHARED_OTHER_COMPANY_XMLID = "__ar_tests__.company_2"


def ensure_shared_company(env):
    """Create and commit, if missing, the companies ``AccountTestInvoicingCommon`` would build for
    each class (generic chart, fiscal country as Odoo's helper sets it): the main one and the
    other one of the multi-company tests."""
    for xmlid in (SHARED_COMPANY_XMLID, SHARED_OTHER_COMPANY_XMLID):
        if env.ref(xmlid, raise_if_not_found=False):
            continue
        module, name = xmlid.split(".")
        company = env["res.company"].create({"name": name})
        chart = env["account.chart.template"]
        chart.try_loading(chart._guess_chart_template(company.country_id), company=company, install_demo=False)
        if not company.account_fiscal_country_id:
            company.account_fiscal_country_id = env.ref("base.us")
        env["ir.model.data"].create({"module": module, "name": name, "model": "res.company", "res_id": company.id,
                                     "noupdate": True})
    env.cr.commit()


class ArCollectionsCommon(AccountTestInvoicingCommon, MockEmail):
    """The AR scenario shared by the AR Collections tests: a company with its
    default dunning policy, a collector, a manager, a billing clerk, and
    customers with overdue, partially paid and not-yet-due invoices."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        # The pre-built company when the class wants the default one; each class's changes to it
        # are rolled back with the class, as those to a company it built would be.
        company = cls.env.ref(SHARED_COMPANY_XMLID, raise_if_not_found=False)
        if not company or kwargs or cls.country_code or cls.chart_template:
            return super().setup_independent_company(**kwargs)
        cls.env.user.company_ids = [Command.link(company.id)]
        return company

    @classmethod
    def setup_other_company(cls, **kwargs):
        """The suite's pre-built second company (see ``ensure_shared_company``), named as asked;
        its changes are rolled back with the test like a new company's."""
        company = cls.env.ref(SHARED_OTHER_COMPANY_XMLID, raise_if_not_found=False)
        if not company or set(kwargs) - {"name"} or cls.country_code or cls.chart_template:
            return super().setup_other_company(**kwargs)
        company.name = kwargs.get("name", "company_2")
        cls.env.user.company_ids = [Command.link(company.id)]
        return cls.collect_company_accounting_data(company)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.email = "billing@company-one.example.com"
        cls.policy = cls.company.ar_dunning_policy_id
        cls.today = fields.Date.context_today(cls.env.user)
        company_ctx = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.user_collector = new_test_user(
            cls.env, "ar_collector", groups="base.group_user,ar_collections.group_ar_collections_user",
            name="Colin Collector", **company_ctx,
        )
        cls.user_ar_manager = new_test_user(
            cls.env, "ar_manager", groups="base.group_user,ar_collections.group_ar_collections_manager",
            name="Mia Manager", **company_ctx,
        )
        cls.user_billing = new_test_user(
            cls.env, "ar_billing", groups="base.group_user,account.group_account_invoice",
            name="Bill Clerk", **company_ctx,
        )
        cls.customer = cls.env["res.partner"].create({
            "name": "Overdue Industries",
            "is_company": True,
            "email": "ap@overdue-industries.example.com",
            "mobile": "+32470123456",
        })
        cls.customer_contact = cls.env["res.partner"].create({
            "name": "Olga Overdue",
            "parent_id": cls.customer.id,
            "email": "olga@overdue-industries.example.com",
        })
        cls.other_customer = cls.env["res.partner"].create({
            "name": "Punctual Partners",
            "is_company": True,
            "email": "ap@punctual.example.com",
        })
        cls.portal_user = new_test_user(
            cls.env, "ar_portal", groups="base.group_portal", partner_id=cls.customer_contact.id,
            **company_ctx,
        )
        cls.inv_overdue = cls._ar_invoice(cls.customer, 1000.0, days_overdue=20)
        cls.inv_partial = cls._ar_invoice(cls.customer, 600.0, days_overdue=5)
        cls._ar_pay(cls.inv_partial, 250.0)
        cls.inv_not_due = cls._ar_invoice(cls.customer, 300.0, days_overdue=-10)
        cls.inv_other = cls._ar_invoice(cls.other_customer, 700.0, days_overdue=12)

    @classmethod
    def _ar_pdf_text_without_assets(cls):
        """For tests that read a real PDF's text: wkhtmltopdf gets a closed port as the address of
        the report's style sheets. With them, its web fonts turn the text into outlines; and
        under Odoo's own runner, which holds the registry lock while tests run, a request back
        to this server is never answered (Odoo's rendering tests are HttpCase for that)."""
        cls.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")

    @classmethod
    def _ar_wrong_kind_documents(cls):
        """Documents of ``cls.customer`` that collections must not act on, or only with care
        (for the hostile-input catalogues): a posted vendor bill and credit note, a draft, a
        cancelled and a paid invoice, and an overdue invoice in EUR."""
        line = {"name": "Supplies", "quantity": 1, "price_unit": 80.0, "tax_ids": [Command.clear()]}
        cls.vendor_bill, cls.refund = cls.env["account.move"].create([{
            "move_type": move_type, "partner_id": cls.customer.id, "invoice_date": cls.today,
            "invoice_line_ids": [Command.create(line)],
        } for move_type in ("in_invoice", "out_refund")])
        (cls.vendor_bill | cls.refund).action_post()
        cls.draft_invoice = cls._ar_invoice(cls.customer, 400.0, post=False)
        cls.cancelled_invoice = cls._ar_invoice(cls.customer, 450.0)
        cls.cancelled_invoice.button_draft()
        cls.cancelled_invoice.button_cancel()
        cls.paid_invoice = cls._ar_invoice(cls.customer, 200.0, days_overdue=3)
        cls._ar_pay(cls.paid_invoice, 200.0)
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.env["res.currency.rate"].create({"currency_id": eur.id, "company_id": cls.company.id,
                                              "name": cls.today, "rate": 0.9})
        cls.inv_eur = cls._ar_invoice(cls.customer, 500.0, days_overdue=2, currency=eur)

    @classmethod
    def _ar_invoice(cls, partner, amount, days_overdue=0, currency=None, company=None, post=True):
        """A customer invoice of ``amount`` (no tax) due ``days_overdue`` days ago
        (negative: due in the future)."""
        company = company or cls.company
        move = cls.env["account.move"].with_company(company).create(
            cls._ar_invoice_values(partner, amount, days_overdue, currency or company.currency_id))
        if post:
            move.action_post()
        return move

    @classmethod
    def _ar_invoices(cls, specs, company=None):
        """Posted customer invoices created and posted together (much faster than one by one):
        ``specs`` lists ``(partner, amount, days_overdue)``."""
        company = company or cls.company
        moves = cls.env["account.move"].with_company(company).create([
            cls._ar_invoice_values(partner, amount, days_overdue, company.currency_id)
            for partner, amount, days_overdue in specs])
        moves.action_post()
        return moves

    @classmethod
    def _ar_invoice_values(cls, partner, amount, days_overdue, currency):
        due = cls.today - timedelta(days=days_overdue)
        return {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": due - timedelta(days=30),
            "invoice_date_due": due,
            "currency_id": currency.id,
            "invoice_line_ids": [Command.create({
                "name": "Consulting services",
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": [Command.clear()],
            })],
        }

    @classmethod
    def _ar_pay(cls, invoice, amount, date=None):
        """Register a payment of ``amount`` (invoice currency) against ``invoice``."""
        return cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({
            "amount": amount,
            "payment_date": date or cls.today,
            "currency_id": invoice.currency_id.id,
        })._create_payments()

    @classmethod
    def _ar_credit_note(cls, invoice, amount):
        """A posted credit note of ``amount`` reconciled with ``invoice``."""
        refund = cls.env["account.move"].with_company(invoice.company_id).create({
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "invoice_date": cls.today,
            "currency_id": invoice.currency_id.id,
            "reversed_entry_id": invoice.id,
            "invoice_line_ids": [Command.create({
                "name": "Credit for damaged goods",
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": [Command.clear()],
            })],
        })
        refund.action_post()
        lines = (invoice.line_ids | refund.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        lines.reconcile()
        return refund

    # ------------------------------------------------------------------
    # Dunning engine helpers
    # ------------------------------------------------------------------

    def _ar_run(self, company=None, batch_size=200, new=True):
        """Run the dunning engine of ``company`` to the end, as the scheduler would."""
        run = self.env["ar.dunning.run"]._ar_get_run(company or self.company, trigger="cron", new=new)
        for _guard in range(1000):
            if run.state != "running":
                break
            run._ar_process_batch(batch_size)
        return run

    def _ar_dispatch(self):
        """Dispatch every queued reminder, as the dispatch cron would."""
        messages = self.env["ar.dunning.message"]._ar_claim_queued(10000)
        messages._ar_dispatch()
        return messages

    def _ar_send_mail_queue(self):
        """Send what the mail queue holds through Odoo's mocked SMTP gateway; the
        emails that left are in ``self._mails``."""
        mails = self.env["mail.mail"].sudo().search([("state", "=", "outgoing")])
        with self.mock_mail_gateway():
            mails.send()
        return mails

    def _ar_logs(self, invoice):
        return self.env["ar.dunning.log"].sudo().search([("invoice_id", "=", invoice.id)], order="id")

    def _ar_messages(self, partner, channel=None):
        domain = [("partner_id", "=", partner.id)]
        if channel:
            domain.append(("channel", "=", channel))
        return self.env["ar.dunning.message"].sudo().search(domain, order="id")
