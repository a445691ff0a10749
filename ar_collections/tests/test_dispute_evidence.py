from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

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
]


@tagged("post_install", "-at_install")
class TestDisputeEvidence(ArHostileCatalogue, ArCollectionsCommon):
    """Evidence of a dispute attached in the back office: its type is read from its content
    (odoo.tools.mimetypes); a program, or a file whose content is not what its name says, is
    refused with a clear message and nothing is linked."""

    catalogue_source = "dispute evidence (back office)"
    catalogue_results = []

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catalogue_results = []
        cls.dispute = cls.env["ar.dispute"].with_user(cls.user_collector).create({
            "partner_id": cls.customer.id, "invoice_ids": [Command.set(cls.inv_overdue.ids)], "reason": "quality"})

    def _read_counts(self, env):
        dispute = env["ar.dispute"].browse(self.dispute.id)
        return {"evidence": sorted(dispute.attachment_ids.ids), "stage": dispute.stage,
                "disputes": env["ar.dispute"].search_count([])}

    def _upload(self, name, content):
        """A file as the form's upload widget creates it, in the collector's name."""
        return self.env["ir.attachment"].with_user(self.user_collector).create({
            "name": name, "raw": content, "res_model": "ar.dispute", "res_id": self.dispute.id})

    def test_misnamed_files_and_programs_are_refused(self):
        dispute = self.dispute.with_user(self.user_collector)
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
        dispute = self.dispute.with_user(self.user_collector)
        for name, content, mimetype in GOOD_FILES:
            self.assertEqual(self.env["ar.dispute"]._ar_check_evidence(name, content), mimetype, name)
            dispute.attachment_ids = [Command.link(self._upload(name, content).id)]
        self.assertEqual(len(dispute.attachment_ids), len(GOOD_FILES))
