"""A customer must not read our internal assessment of it.

Every field the AR Collections add-ons add to (or redefine on) ``res.partner`` and
``account.move`` is read by a portal user through the web client's JSON-RPC, on its own
commercial partner and on one of its posted invoices: only the fields of ``CUSTOMER_FIELDS``
may answer. The fields are discovered from ``ir.model.fields``, so a field added later is
covered without touching this test. A back-office collector still reads them all.
"""

import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ar_collections_portal.tests.common import ArPortalHttpCommon

# Fields meant for the customer, readable by its portal user: {(model, field): why}.
CUSTOMER_FIELDS = {}
# Fields a collector does not read either: {(model, field): why}.
ADMIN_FIELDS = {
    ("res.partner", "ar_statement_salt"): "signs the statement links: administrators only",
}
MODELS = ("res.partner", "account.move")


@tagged("post_install", "-at_install")
class TestPortalFieldAccess(ArPortalHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # What a probe found readable: the customer must not see any of it.
        cls.customer.sudo().write({
            "ar_at_risk": True,
            "ar_at_risk_reason": f"{cls.inv_overdue.name} is 106 days overdue",
            "ar_credit_hold": True,
            "ar_credit_hold_reason": "Pays 60 days late",
            "ar_dunning_hold": True,
            "ar_dunning_hold_reason": "Final notice reached",
            "ar_credit_score": 12,
            "ar_collector_id": cls.user_collector.id,
            "ar_no_chase": True,
            "ar_no_chase_reason": "Lawyer letter pending",
        })
        cls.inv_overdue.sudo().write({"ar_predicted_pay_date": cls.today, "ar_escalate_level": True})
        cls.records = {"res.partner": cls.customer, "account.move": cls.inv_overdue}

    def _ar_our_fields(self, model):
        """Names of the fields of ``model`` that one of our add-ons defines or redefines."""
        ours = set(self.env["ir.module.module"].search([
            ("name", "=like", "ar\\_collections%"), ("state", "=", "installed"),
        ]).mapped("name"))
        fields_ = self.env["ir.model.fields"].search([("model", "=", model)])
        names = sorted(field.name for field in fields_ if ours & set((field.modules or "").split(", ")))
        self.assertTrue(names, f"no field of ours found on {model}")
        return names

    def _ar_call(self, model, method, args, kwargs=None):
        """A JSON-RPC call of the web client: ``(True, result)`` or ``(False, error message)``."""
        self.env.flush_all()
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        with mute_logger("odoo.http", "odoo.models"):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}),
                headers={"Content-Type": "application/json"})
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            return False, answer["error"]["data"]["message"]
        return True, answer["result"]

    def _ar_readable(self, model, record, field):
        """How ``field`` of ``record`` answers the current session: the list of the calls
        (``read``, ``search_read``) that returned it."""
        calls = []
        ok, result = self._ar_call(model, "read", [record.ids, [field]])
        if ok and result and field in result[0]:
            calls.append("read")
        ok, result = self._ar_call(model, "search_read", [], {"domain": [("id", "=", record.id)], "fields": [field]})
        if ok and result and field in result[0]:
            calls.append("search_read")
        return calls

    def test_internal_fields_refused_to_portal_user(self):
        self._ar_login()
        leaks = []
        for model in MODELS:
            record = self.records[model]
            # the records are the customer's own: what is refused below is the field, not the record
            ok, result = self._ar_call(model, "read", [record.ids, ["display_name"]])
            self.assertTrue(ok and result[0]["id"] == record.id, f"the portal user cannot read its own {model}: {result}")
            for field in self._ar_our_fields(model):
                calls = self._ar_readable(model, record, field)
                if (model, field) in CUSTOMER_FIELDS:
                    self.assertEqual(calls, ["read", "search_read"], f"{model}.{field} is meant for the customer")
                elif calls:
                    leaks.append(f"{model}.{field} ({', '.join(calls)})")
        if leaks:
            self.fail(f"{len(leaks)} internal fields readable by a portal user:\n" + "\n".join(leaks))

        # the back office still reads every one of them
        self.authenticate(self.user_collector.login, self.user_collector.login)
        refused = []
        for model in MODELS:
            for field in self._ar_our_fields(model):
                if (model, field) in ADMIN_FIELDS:
                    continue
                calls = self._ar_readable(model, self.records[model], field)
                if calls != ["read", "search_read"]:
                    refused.append(f"{model}.{field} (answered: {', '.join(calls) or 'none'})")
        if refused:
            self.fail(f"{len(refused)} fields a collector cannot read:\n" + "\n".join(refused))
        ok, result = self._ar_call("res.partner", "read", [self.customer.ids, ["ar_at_risk_reason", "ar_credit_hold"]])
        self.assertTrue(ok, result)
        self.assertEqual(result[0]["ar_at_risk_reason"], f"{self.inv_overdue.name} is 106 days overdue")
        self.assertTrue(result[0]["ar_credit_hold"])
