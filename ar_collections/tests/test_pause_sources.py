import inspect
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from odoo.addons.ar_collections.models import ar_dunning_engine
from odoo.addons.ar_collections.models.ar_payment_plan import ArPaymentPlan

from .common import ArCollectionsCommon


@tagged("post_install", "-at_install")
class TestPauseSources(ArCollectionsCommon):
    """Reasons not to chase come from the models that inherit ar.pause.source.mixin."""

    def test_sources_are_found_by_inheritance_in_order(self):
        names = [model._name for model in self.env["ar.dunning.engine"]._get_pause_sources()]
        for expected in ("ar.dispute", "ar.promise", "ar.payment.plan", "ar.pause.customer.reply"):
            self.assertIn(expected, names)
        self.assertEqual(names.index("ar.dispute"), 0, "a dispute is the first reason shown")
        self.assertLess(names.index("ar.promise"), names.index("ar.payment.plan"))
        # The engine names no source: a new one is an _inherit away.
        source = inspect.getsource(ar_dunning_engine)
        for name in names:
            self.assertNotIn(f'"{name}"', source)

    def test_first_source_wins_and_later_sources_see_only_the_rest(self):
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)], "reason": "pricing",
        })
        self.env["ar.promise"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
            "amount": 100.0, "promised_date": self.today + timedelta(days=3),
        })
        asked = []
        original = ArPaymentPlan._ar_pause_reasons

        def spy(model, invoices, today):
            asked.append(invoices)
            return {**original(model, invoices, today), self.inv_not_due.id: "Planned by a test source"}

        with patch.object(ArPaymentPlan, "_ar_pause_reasons", spy):
            reasons = (self.inv_overdue | self.inv_partial | self.inv_not_due)._ar_get_pause_reasons(self.today)
        self.assertTrue(reasons[self.inv_overdue.id].startswith("Disputed"))
        self.assertTrue(reasons[self.inv_partial.id].startswith("Promised to pay by"))
        self.assertEqual(reasons[self.inv_not_due.id], "Planned by a test source")
        self.assertEqual(asked, [self.inv_not_due], "a source is asked only about invoices still unpaused")

    def test_own_state_comes_before_sources(self):
        self.inv_overdue.write({"ar_no_chase": True, "ar_no_chase_reason": "Key account"})
        self.env["ar.dispute"].create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)], "reason": "pricing",
        })
        self.assertEqual(self.inv_overdue._ar_get_pause_reasons(self.today)[self.inv_overdue.id],
                         "Excluded from reminders: Key account")
