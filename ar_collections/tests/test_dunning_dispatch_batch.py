import re
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.mail.models.mail_thread import MailThread

from .common import ArCollectionsCommon

# The statement link's signed token carries its expiry, in seconds from now.
STATEMENT_TOKEN = re.compile(r"(/my/statement\?access_token=)[\w-]+")
# Fields that differ between any two posts: ids, times, the random Message-Id.
UNIQUE_FIELDS = {"id", "create_date", "write_date", "date", "read_date", "message_id", "mail_message_id",
                 "mail_mail_id"}


class _Undo(Exception):
    """Raised to roll back a savepoint of the test."""


@tagged("post_install", "-at_install")
class TestDunningDispatchBatch(ArCollectionsCommon):
    """The email reminders of a dispatch batch are posted together (``_ar_message_post_many``):
    the chatter messages, queued emails, notifications and attachments are those that
    ``message_post`` makes for each reminder posted alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyers = cls.env["res.partner"].create([
            {"name": f"Post Buyer {i}", "is_company": True, "email": f"ap@postbuyer{i}.example.com"}
            for i in range(4)])
        # The second buyer's invoice goes to its accounts payable contact: the email's recipient.
        cls.payables = cls.env["res.partner"].create({
            "name": "Paula Payables", "parent_id": cls.buyers[1].id, "email": "paula@postbuyer1.example.com"})
        cls.buyer_invoices = [cls._ar_invoice(cls.payables if i == 1 else buyer, 100.0 * (i + 1), days_overdue=20)
                              for i, buyer in enumerate(cls.buyers)]
        subtype = cls.env.ref("ar_collections.mt_dunning_reminder")
        # The third buyer is followed by a collector notified in Odoo (inbox), the fourth by an
        # outside accountant notified by email.
        cls.user_collector.notification_type = "inbox"
        cls.buyers[2].message_subscribe(partner_ids=cls.user_collector.partner_id.ids, subtype_ids=subtype.ids)
        cls.accountant = cls.env["res.partner"].create({"name": "Ada Accountant", "email": "ada@acc.example.com"})
        cls.buyers[3].message_subscribe(partner_ids=cls.accountant.ids, subtype_ids=subtype.ids)

    def _queued_emails(self):
        self._ar_run()
        messages = self.env["ar.dunning.message"]._ar_claim_queued(10000)
        return messages.filtered(lambda msg: msg.channel == "email" and msg.partner_id in self.buyers)

    def _values(self, records, skip=()):
        """The stored values of ``records`` that do not differ between two posts, by record (their
        one2many records, the emails and notifications of a message, are compared by themselves)."""
        names = [name for name, field in records._fields.items()
                 if field.store and field.type != "one2many" and name not in UNIQUE_FIELDS and name not in skip]
        rows = []
        for row in records.read(names):
            for name, value in row.items():
                if isinstance(value, str):
                    value = STATEMENT_TOKEN.sub(r"\1-", value)
                    value = re.sub(r"<[^<>@\s]+@[^<>\s]+>", "<message-id>", value)  # references
                row[name] = value
            row.pop("id")
            rows.append(row)
        return rows

    @staticmethod
    def _counting_posts(posts):
        """Patch message_post to append each record it posts on to ``posts``."""
        original_post = MailThread.message_post

        def counting_post(record, **kwargs):
            posts.append(record)
            return original_post(record, **kwargs)

        return patch.object(MailThread, "message_post", counting_post)

    def _left_behind(self, reminders):
        """What posting ``reminders`` left in the database, by customer."""
        result = {}
        for reminder in reminders:
            posted = reminder.mail_message_id.sudo()
            self.assertTrue(posted, "one chatter message per reminder")
            mails = self.env["mail.mail"].sudo().search([("mail_message_id", "=", posted.id)], order="id")
            notifications = self.env["mail.notification"].sudo().search(
                [("mail_message_id", "=", posted.id)], order="res_partner_id, notification_type")
            result[reminder.partner_id] = {
                "reminder": self._values(reminder, skip={"dispatch_date"}),
                "message": self._values(posted, skip={"attachment_ids"}),
                "mails": self._values(mails),
                "notifications": [(values, bool(notification.mail_mail_id)) for values, notification in zip(
                    self._values(notifications), notifications, strict=True)],
                "attachments": self._values(posted.attachment_ids.sorted("name"), skip={"access_token"}),
                "followers": reminder.partner_id.message_partner_ids,
            }
        return result

    def test_batch_posts_what_message_post_makes(self):
        self.maxDiff = None
        emails = self._queued_emails()
        self.assertEqual(len(emails), 4)
        emails.level_id.attach_invoices = True
        Message = self.env.registry["ar.dunning.message"]
        # Posted alone (message_post), as when the batch fails; then undone.
        with self.assertRaises(_Undo), self.env.cr.savepoint():
            with patch.object(Message, "_ar_post_emails", side_effect=ValueError("post alone")):
                emails._ar_dispatch()
            alone = self._left_behind(emails)
            raise _Undo()
        self.assertFalse(emails.mail_message_id, "undone")
        posts = []
        with self._counting_posts(posts):
            emails._ar_dispatch()
        self.assertFalse(posts, "posted together, not by message_post one by one")
        together = self._left_behind(emails)
        for buyer in self.buyers:
            for kind in ("reminder", "message", "mails", "notifications", "attachments", "followers"):
                self.assertEqual(together[buyer][kind], alone[buyer][kind], f"{buyer.name}: {kind}")
        # what each customer's reminder left: checked above against message_post; here what it is
        self.assertEqual(together[self.buyers[1]]["message"][0]["partner_ids"], self.payables.ids)
        self.assertEqual(len(together[self.buyers[0]]["attachments"]), 1, "the invoice attached")
        inbox = [values for values, _mail in together[self.buyers[2]]["notifications"]
                 if values["notification_type"] == "inbox"]
        self.assertEqual([values["res_partner_id"][0] for values in inbox], self.user_collector.partner_id.ids)
        emailed = {values["res_partner_id"][0] for values, has_mail in together[self.buyers[3]]["notifications"]
                   if has_mail}
        self.assertEqual(emailed, {self.buyers[3].id, self.accountant.id})
        self.assertEqual(set(emails.mapped("state")), {"queued"})

    def test_second_reminder_of_a_customer_posted_after_the_first(self):
        """Two email reminders to one customer in a batch: the first is posted with the batch, the
        second by message_post after it (on a threaded document, its parent is the first)."""
        emails = self._queued_emails()
        first = emails.filtered(lambda msg: msg.partner_id == self.buyers[0])
        second = first.copy({"run_id": first.run_id.id})
        later_invoice = self._ar_invoice(self.buyers[0], 50.0, days_overdue=20)
        self.env["ar.dunning.log"].create({
            "message_id": second.id, "invoice_id": later_invoice.id, "partner_id": self.buyers[0].id,
            "company_id": self.company.id, "level_id": second.level_id.id, "channel": "email"})
        posts = []
        with self._counting_posts(posts):
            (emails | second)._ar_dispatch()
        self.assertEqual(posts, [self.buyers[0]], "the second reminder alone, by message_post")
        self.assertEqual(len((emails | second).mail_message_id), 5)
        self.assertLess(first.mail_message_id.id, second.mail_message_id.id)
        self.assertIn(later_invoice.name, second.mail_message_id.sudo().body)
        self.assertNotIn(later_invoice.name, first.mail_message_id.sudo().body)
