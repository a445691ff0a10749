from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import ArCollectionsCommon
from .hostile_catalogue import GIF, JPEG, MISNAMED_FILES, PDF, PNG, ZIP, ArHostileCatalogue

# Evidence a collector may attach: documents whose content is what their name says, or whose
# name promises nothing in particular.
GOOD_FILES = [
    ("delivery-note.pdf", PDF, "application/pdf"),
    ("crate.png", PNG, "image/png"),
    ("crate.JPG", JPEG, "image/jpeg"),
    ("crate.gif", GIF, "image/gif"),
    ("emails.zip", ZIP, "application/zip"),
    ("notes.txt", "Réception le 3 mai, deux caisses abîmées.".encode(), "text/plain"),
    ("notes", b"no extension, plain text", "text/plain"),
    ("excel-export.csv", "Nom;Montant\r\nCaisse abîmée;12,50 €\r\n".encode("cp1252"), "text/plain"),
]


@tagged("post_install", "-at_install")
class TestDisputeRouting(ArHostileCatalogue, ArCollectionsCommon):
    """Disputes as collaboration: routing rules by reason, their teams follow, fallbacks,
    assignment, the board and analysis views, and the evidence attached in the back office
    (its type read from its content by odoo.tools.mimetypes: a program, or a file whose
    content is not what its name says, is refused with a clear message and nothing linked)."""

    catalogue_source = "dispute evidence (back office)"
    catalogue_results = []

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catalogue_results = []
        company_ctx = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        groups = "base.group_user,ar_collections.group_ar_collections_user"
        cls.account_manager = new_test_user(cls.env, "ar_account_manager", groups=groups, name="Alan Account",
                                            **company_ctx)
        cls.logistics_a = new_test_user(cls.env, "ar_logistics_a", groups=groups, name="Lea Logistics",
                                        **company_ctx)
        cls.logistics_b = new_test_user(cls.env, "ar_logistics_b", groups=groups, name="Luc Logistics",
                                        **company_ctx)
        # a salesperson without Collections rights may not own a dispute
        cls.salesperson = new_test_user(cls.env, "ar_salesperson", groups="base.group_user", name="Sam Sales",
                                        **company_ctx)
        cls.env.ref("ar_collections.ar_dispute_routing_rule_delivery").member_ids = [
            Command.set((cls.logistics_a | cls.logistics_b | cls.salesperson).ids)]
        cls.customer.user_id = cls.account_manager
        cls.customer.with_company(cls.company).ar_collector_id = cls.user_collector

    def _dispute(self, invoices, reason, user=None, sudo=False):
        Dispute = self.env["ar.dispute"].with_user(user or self.user_ar_manager)
        return (Dispute.sudo() if sudo else Dispute).create({
            "partner_id": invoices.commercial_partner_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "reason": reason,
        })

    def _foreign_user(self):
        """A collections user of another company only."""
        other_company = self.env["res.company"].search([("id", "!=", self.company.id)], limit=1)
        return new_test_user(self.env, "ar_foreign", groups="base.group_user,ar_collections.group_ar_collections_user",
                             company_id=other_company.id, company_ids=[Command.set(other_company.ids)])

    def _followers(self, dispute):
        return dispute.message_partner_ids & (self.account_manager | self.logistics_a | self.logistics_b
                                              | self.salesperson | self.user_collector).partner_id

    def test_pricing_goes_to_the_account_manager(self):
        dispute = self._dispute(self.inv_overdue, "pricing")
        self.assertEqual(dispute.user_id, self.account_manager)
        self.assertEqual(dispute.routing_rule_id, self.env.ref("ar_collections.ar_dispute_routing_rule_pricing"))
        self.assertEqual(self._followers(dispute), self.account_manager.partner_id, "the owner follows it")

    def test_delivery_goes_to_the_least_busy_logistics_member_and_the_team_follows(self):
        first = self._dispute(self.inv_overdue, "not_received")
        self.assertEqual(first.user_id, self.logistics_a, "no open dispute each: the first member")
        second = self._dispute(self.inv_partial, "not_received")
        self.assertEqual(second.user_id, self.logistics_b, "Lea has one open dispute already")
        self.assertEqual(self._followers(second), (self.logistics_a | self.logistics_b).partner_id,
                         "the team follows, without its member who has no Collections rights")
        first.action_reject()
        self.assertEqual(self._dispute(self.inv_other, "not_received").user_id, self.logistics_a,
                         "a resolved dispute keeps no one busy")

    def test_fallbacks_collector_then_recording_user(self):
        self.customer.user_id = self.salesperson
        self.assertEqual(self._dispute(self.inv_overdue, "pricing").user_id, self.user_collector,
                         "an account manager without Collections rights: the customer's collector")
        self.assertEqual(self._dispute(self.inv_partial, "quality").user_id, self.user_collector,
                         "the Sales team has no member yet: the collector")
        self.assertEqual(self._dispute(self.inv_other, "pricing").user_id, self.user_ar_manager,
                         "a customer without account manager nor collector: whoever records it")

    def test_portal_dispute_is_routed_in_create(self):
        # the portal creates as superuser on behalf of a portal user: routed all the same
        dispute = self._dispute(self.inv_overdue, "pricing", user=self.portal_user, sudo=True)
        self.assertEqual(dispute.user_id, self.account_manager)
        other = self._dispute(self.inv_other, "duplicate", user=self.portal_user, sudo=True)
        self.assertEqual(other.user_id, self.company._ar_escalation_user(),
                         "no rule, no collector, a portal user records it: the collections manager")

    def test_company_rule_before_shared_rule_and_explicit_owner_kept(self):
        self.env["ar.dispute.routing.rule"].create({
            "name": "Key accounts", "reason": "pricing", "owner_type": "team", "sequence": 99,
            "company_id": self.company.id, "member_ids": [Command.set(self.logistics_b.ids)],
        })
        self.assertEqual(self._dispute(self.inv_overdue, "pricing").user_id, self.logistics_b)
        self.assertEqual(self.env["ar.dispute.routing.rule"].with_user(self._foreign_user()).search_count(
            [("name", "=", "Key accounts")]), 0, "another company's users do not see its rules")
        dispute = self.env["ar.dispute"].with_user(self.user_ar_manager).create({
            "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
            "reason": "pricing", "user_id": self.user_collector.id,
        })
        self.assertEqual(dispute.user_id, self.user_collector, "an owner chosen by hand is kept")
        self.assertEqual(self._followers(dispute), (self.user_collector | self.logistics_b).partner_id)

    def test_action_assign(self):
        dispute = self._dispute(self.inv_overdue, "pricing")
        dispute.with_user(self.user_collector).action_assign(self.logistics_a)
        self.assertEqual(dispute.user_id, self.logistics_a)
        self.assertIn(self.logistics_a.partner_id, dispute.message_partner_ids)
        self.assertIn("Assigned to Lea Logistics by Colin Collector", dispute.message_ids[0].body)
        foreign = self._foreign_user()
        for user in (self.portal_user, self.salesperson, foreign):
            with self.assertRaisesRegex(UserError, "cannot own disputes"):
                dispute.action_assign(user)
        self.assertEqual(dispute.user_id, self.logistics_a, "a refused assignment writes nothing")
        with self.assertRaises(AccessError):  # assigning is writing: the Collections rights it needs
            dispute.with_user(self.salesperson).action_assign(self.logistics_b)

    def test_owner_chosen_by_hand_may_own_disputes(self):
        """An owner typed in the form or sent through JSON-RPC is checked as an assignment is:
        a portal user, a user without Collections rights or of another company is refused."""
        self.evidence_dispute = self._evidence_dispute()
        dispute = self.evidence_dispute.with_user(self.user_collector)
        for label, user in [("portal user", self.portal_user), ("salesperson", self.salesperson),
                            ("user of another company", self._foreign_user())]:
            self._attack(f"dispute owner: {label}", lambda u=user: dispute.write({"user_id": u.id}),
                         UserError, "cannot own disputes of")
            self._attack(f"dispute owner at creation: {label}", lambda u=user: dispute.create({
                "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
                "reason": "other", "user_id": u.id}), UserError, "cannot own disputes of")
        self._assert_no_failures()
        dispute.write({"user_id": self.logistics_a.id})
        self.assertEqual(dispute.user_id, self.logistics_a)

    def test_routing_rules_need_internal_members(self):
        with self.assertRaisesRegex(ValidationError, "only internal users"):
            self.env["ar.dispute.routing.rule"].create({
                "name": "Outsiders", "reason": "other", "member_ids": [Command.set(self.portal_user.ids)]})

    def test_views(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("ar_collections.action_ar_dispute")
        self.assertEqual(action["view_mode"].split(",")[:1], ["kanban"], "the stage board opens first")
        views = self.env["ar.dispute"].with_user(self.user_collector).get_views(
            [(False, "kanban"), (False, "graph"), (False, "pivot")])["views"]
        kanban = views["kanban"]["arch"]
        self.assertIn('default_group_by="stage"', kanban)
        for field in ("user_id", "amount", "sla_deadline", "sla_breached"):
            self.assertIn(f'name="{field}"', kanban)
        self.assertIn('name="reason"', views["graph"]["arch"])
        self.assertIn('name="stage"', views["pivot"]["arch"])
        # the board shows the open stages even when empty, a closed one when it holds disputes
        self._dispute(self.inv_other, "duplicate").action_cancel()
        groups = self.env["ar.dispute"].read_group([("partner_id", "=", self.other_customer.id)], ["stage"],
                                                   ["stage"])
        self.assertEqual([group["stage"] for group in groups], ["new", "review", "cancelled"])

    # ------------------------------------------------------------------
    # Evidence
    # ------------------------------------------------------------------

    def _read_counts(self, env):
        dispute = env["ar.dispute"].browse(self.evidence_dispute.id)
        return {"evidence": sorted(dispute.attachment_ids.ids), "stage": dispute.stage, "owner": dispute.user_id.id,
                "disputes": env["ar.dispute"].search_count([])}

    def _evidence_dispute(self):
        return self.env["ar.dispute"].with_user(self.user_collector).create({
            "partner_id": self.other_customer.id, "invoice_ids": [Command.set(self.inv_other.ids)],
            "reason": "quality"})

    def _upload(self, name, content):
        """A file as the form's upload widget creates it, in the collector's name."""
        return self.env["ir.attachment"].with_user(self.user_collector).create({
            "name": name, "raw": content, "res_model": "ar.dispute", "res_id": self.evidence_dispute.id})

    def test_misnamed_files_and_programs_are_refused(self):
        self.evidence_dispute = self._evidence_dispute()
        dispute = self.evidence_dispute.with_user(self.user_collector)
        for label, name, content in MISNAMED_FILES:
            attachment = self._upload(name, content)
            expected = "is a program" if content.startswith((b"MZ", b"\x7fELF")) or name.lower().endswith(".exe") \
                else "is not what its name says"
            self._attack(f"evidence: {label}", lambda a=attachment: dispute.write(
                {"attachment_ids": [Command.link(a.id)]}), ValidationError, f"{name} {expected}")
            # at creation too
            self._attack(f"evidence at creation: {label}", lambda a=attachment: dispute.create({
                "partner_id": self.customer.id, "invoice_ids": [Command.set(self.inv_partial.ids)],
                "reason": "other", "attachment_ids": [Command.set(a.ids)]}), ValidationError, name)
        self._assert_no_failures()

    def test_good_files_are_linked(self):
        self.evidence_dispute = self._evidence_dispute()
        dispute = self.evidence_dispute.with_user(self.user_collector)
        for name, content, mimetype in GOOD_FILES:
            self.assertEqual(self.env["ar.dispute"]._ar_check_evidence(name, content), mimetype, name)
            dispute.attachment_ids = [Command.link(self._upload(name, content).id)]
        self.assertEqual(len(dispute.attachment_ids), len(GOOD_FILES))
