"""What the back-office hostile-input catalogues share: try one hostile input as one request
would, check it was refused with the expected error and wrote nothing, undo whatever it
wrote, and report the totals to the run summary.

A test class mixes ``ArHostileCatalogue`` in before its Odoo test case, sets
``catalogue_source`` (its line in the run summary) and ``catalogue_results`` (a list shared
by its tests), and implements ``_read_counts(env)``: what a hostile input must not change.
"""
import io
import json
import zipfile
from datetime import date

from odoo.addons.ar_collections.tests.run_summary import record

# Hostile values every catalogue tries, and what a refusal of them says or shows.
SCRIPT = "<script>alert('ar')</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert("
NAN = float("nan")
INF = float("inf")
NOT_A_NUMBER = "must be a number"
FAR_FUTURE = date(9999, 12, 31)


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("invoice.pdf", b"%PDF-1.4 inside a zip")
    return buffer.getvalue()


# Evidence files: what they really contain (their first bytes, as Odoo's mimetype guesser reads them)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 20
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + \
    b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
ZIP = _zip()
# Evidence that is not what its name says, or a program: (label, file name, content).
MISNAMED_FILES = [
    (".exe renamed .pdf", "invoice.pdf", EXE),
    ("PDF content named .exe", "tool.exe", PDF),
    ("PDF named .pdf.exe", "invoice.pdf.exe", PDF),
    (".exe renamed .PDF in capitals", "INVOICE.PDF", EXE),
    ("Linux program renamed .txt", "notes.txt", ELF),
    ("PNG content named .pdf", "photo.pdf", PNG),
    ("JPEG content named .png", "photo.png", JPEG),
    ("GIF content named .jpg", "photo.jpg", GIF),
    ("ZIP archive named .pdf", "statement.pdf", ZIP),
    ("ZIP archive named .csv", "export.csv", ZIP),
]


def same(before, after):
    """Equal, NaN included: a NaN written by mistake must show as a change, not hide one."""
    return json.dumps(before, default=str, sort_keys=True) == json.dumps(after, default=str, sort_keys=True)


class ArHostileCatalogue:
    catalogue_source = None
    catalogue_results = None  # (label, accepted-bad) of every input tried, in order

    @classmethod
    def tearDownClass(cls):
        bad = [label for label, accepted_bad in cls.catalogue_results if accepted_bad]
        record(cls.catalogue_source, inputs=len(cls.catalogue_results), accepted_bad=len(bad))
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.failures = []

    def _resolve(self, value):
        return value(self) if callable(value) else value

    def _counts(self):
        """What a hostile input must not change; records are compared with their values.

        The cache is emptied before and after: the input is then read as a new request reads
        it, with the access checks of its user (a value cached here would skip them).
        """
        self.env.flush_all()
        self.env.invalidate_all()
        try:
            return self._read_counts(self.env(context={"active_test": False}, su=True))
        finally:
            self.env.invalidate_all()

    def _read_counts(self, env):
        raise NotImplementedError

    def _record(self, label, ok, detail):
        self.catalogue_results.append((label, not ok))
        if not ok:
            self.failures.append(f"{label}: {detail}")

    def _attack(self, label, send, error, message):
        """Run ``send`` as one request would (its writes undone when it fails); record a
        failure unless it raised ``error`` saying ``message`` and changed nothing. Whatever
        it wrote is undone afterwards: a case accepted by mistake must not change how the
        next ones are answered."""
        savepoint = self.env.cr.savepoint()
        raised = None
        try:
            before = self._counts()
            try:
                with self.env.cr.savepoint():
                    send()
            except Exception as exc:  # what was raised is checked below
                raised = exc
            after = self._counts()
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        ok = isinstance(raised, error) and message in str(raised) and same(before, after)
        changed = [key for key in before if not same(before[key], after[key])]
        self._record(label, ok, f"raised {type(raised).__name__}: {str(raised)[:200]!r}; "
                                f"changed: {changed or 'nothing'}")

    def _rpc(self, model, method, args, kwargs=None):
        """A JSON-RPC call of the web client; the response's JSON."""
        self.env.flush_all()
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}),
            headers={"Content-Type": "application/json"})
        return response.json()

    def _rpc_attack(self, label, login, model, method, args, error, message, kwargs=None):
        """``_attack`` through the web client's JSON-RPC as ``login``: the answer must be the
        error ``error`` (its class name's end) saying ``message``, and nothing written."""
        self.authenticate(login, login)
        savepoint = self.env.cr.savepoint()
        try:
            before = self._counts()
            answer = self._rpc(model, method, args, kwargs)
            after = self._counts()
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        data = (answer.get("error") or {}).get("data") or {}
        ok = data.get("name", "").endswith(error) and message in data.get("message", "") and same(before, after)
        changed = [key for key in before if not same(before[key], after[key])]
        self._record(f"JSON-RPC: {label}", ok, f"answer {data.get('name')}: {data.get('message', answer)!r:.200}; "
                                               f"changed: {changed or 'nothing'}")

    def _http_attack(self, label, send, status, message):
        """``_attack`` for a request an outside service sends to a controller (e.g. Slack's):
        ``send()`` returns the HTTP response, which must have ``status`` and say ``message``,
        and nothing may be written."""
        self.env.flush_all()
        savepoint = self.env.cr.savepoint()
        try:
            before = self._counts()
            response = send()
            after = self._counts()
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        ok = response.status_code == status and message in response.text and same(before, after)
        changed = [key for key in before if not same(before[key], after[key])]
        self._record(label, ok, f"answer {response.status_code}: {response.text[:200]!r}; "
                                f"changed: {changed or 'nothing'}")

    def _assert_no_failures(self):
        self.assertFalse(self.failures, "hostile inputs accepted:\n" + "\n".join(self.failures))

    def _assert_catalogue_complete(self, cases):
        """Every label of ``cases`` was tried by the tests of the class (call it last)."""
        if not self.catalogue_results:
            self.skipTest("the catalogue's tests did not run in this process")
        tried = [label for label, _accepted_bad in self.catalogue_results]
        self.assertEqual(len(cases), len(set(cases)), "labels are unique")
        self.assertEqual(set(tried) ^ set(cases), set())
