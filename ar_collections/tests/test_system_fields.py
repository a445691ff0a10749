import json
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import ArCollectionsCommon
from .run_summary import record


@tagged("post_install", "-at_install")
class TestSystemFields(ArCollectionsCommon, HttpCase):
    """States, SLA dates and baselines change only through the actions, not by a direct write."""

    def _dispute(self):
        return self.env["ar.dispute"].with_user(self.user_collector).create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_overdue.ids)], "reason": "quality",
        })

    def _promise(self):
        return self.env["ar.promise"].with_user(self.user_collector).create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
            "amount": 100.0, "promised_date": self.today + timedelta(days=5),
        })

    def test_collector_cannot_write_dispute_sla_or_stage(self):
        dispute = self._dispute()
        far = self.today + timedelta(days=3650)
        forged = ({"sla_deadline": far}, {"sla_breached": True}, {"sla_escalation": "second"},
                  {"stage": "resolved_credit"}, {"date_opened": far}, {"credit_note_id": self.inv_partial.id})
        for vals in forged:
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                dispute.write(vals)
        record("back-office dispute system fields", inputs=len(forged) + 1,
               accepted_bad=int(dispute.sla_deadline == far or dispute.stage != "new"))
        with self.assertRaises(AccessError):
            self.env["ar.dispute"].with_user(self.user_collector).create({
                "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
                "reason": "quality", "sla_deadline": far,
            })
        self.assertNotEqual(dispute.sla_deadline, far)
        # Ordinary fields and the actions still work for the collector.
        dispute.write({"description": "Pallet arrived damaged"})
        dispute.action_review()
        self.assertEqual(dispute.stage, "review")
        dispute.action_reject()
        dispute.action_reopen()
        dispute.action_cancel()
        self.assertEqual(dispute.stage, "cancelled")

    def test_collector_cannot_write_promise_state(self):
        promise = self._promise()
        forged = ({"state": "kept"}, {"kept_date": self.today}, {"broken_date": self.today},
                  {"amount_residual_start": 1.0}, {"checked_date": self.today})
        for vals in forged:
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                promise.write(vals)
        record("back-office promise system fields", inputs=len(forged) + 1, accepted_bad=int(promise.state != "open"))
        with self.assertRaises(AccessError):
            self.env["ar.promise"].with_user(self.user_collector).create({
                "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
                "amount": 100.0, "promised_date": self.today + timedelta(days=5), "state": "kept",
            })
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.amount_residual_start, 350.0)
        promise.action_cancel()
        self.assertEqual(promise.state, "cancelled")

    def test_json_rpc_write_is_refused(self):
        dispute = self._dispute()
        promise = self._promise()
        self.authenticate(self.user_collector.login, self.user_collector.login)
        for model, target, vals in (("ar.dispute", dispute, {"sla_deadline": "2099-01-01"}),
                                    ("ar.dispute", dispute, {"stage": "resolved_rejected"}),
                                    ("ar.promise", promise, {"state": "kept"})):
            with self.subTest(model=model, vals=vals):
                response = self.url_open("/web/dataset/call_kw", data=json.dumps({
                    "jsonrpc": "2.0", "method": "call", "id": 1,
                    "params": {"model": model, "method": "write", "args": [target.ids, vals], "kwargs": {}},
                }), headers={"Content-Type": "application/json"})
                answer = response.json()
                self.assertIn("error", answer, f"{model} accepted {vals}")
                self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        dispute.invalidate_recordset()
        promise.invalidate_recordset()
        self.assertEqual((dispute.stage, promise.state), ("new", "open"))
