from odoo.tests import TransactionCase, tagged

from odoo.addons.ar_collections.tools.demo_book import REF_PREFIX


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """Installed with demo data (Apps, demo on), the add-on gives a small receivables book: customers
    of every payment behaviour with paid, partly paid and overdue invoices, pay dates predicted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env["ir.module.module"]._get("ar_collections").demo:
            cls.skipTest(cls, "installed without demo data")
        cls.customers = cls.env["res.partner"].search([("ref", "=like", f"{REF_PREFIX}%")])

    def test_demo_book(self):
        self.assertEqual(len(self.customers), 10)
        self.assertEqual(len(set(self.customers.mapped(lambda partner: partner.ref.split("-")[2]))), 5,
                         "every payment behaviour")
        invoices = self.env["account.move"].search([
            ("partner_id", "in", self.customers.ids), ("move_type", "=", "out_invoice"),
        ])
        self.assertEqual(len(invoices), 60)
        self.assertEqual(invoices.company_id, self.env.ref("base.main_company"))
        self.assertEqual(set(invoices.mapped("state")), {"posted"})
        self.assertTrue({"paid", "not_paid"} <= set(invoices.mapped("payment_state")))
        overdue = invoices.filtered(lambda move: move.ar_days_overdue > 0)
        self.assertTrue(overdue, "something to chase")
        # predicted at install: a date, or (an invoice later than the book ever saw paid) no payment
        # expected, once refreshed while overdue
        self.assertTrue(overdue.filtered("ar_predicted_pay_date"), "pay dates predicted at install")
        for move in overdue:
            self.assertTrue(move.ar_predicted_pay_date
                            or move.invoice_date_due < move.commercial_partner_id.ar_prediction_date, move.name)
        self.assertTrue(all(self.customers.mapped("ar_prediction_date")))
