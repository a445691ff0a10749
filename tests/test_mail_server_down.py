"""The mail server is down when reminders leave the queue, in real Odoo processes talking
SMTP to a server on loopback: first nothing listens, then it drops every connection, then
it is back. Reminders wait and are retried; the log says failed, then sent; each reminder
reaches the server exactly once."""

import socket
import socketserver
import threading
from email import message_from_bytes

import pytest

from odoo.addons.ar_collections.tests.run_summary import record

from .odoo_process import odoo_shell, psql

POPULATE = """
from odoo.addons.ar_collections.tools.demo_book import generate_ar_book
generate_ar_book(env, invoices=80, customers=12, seed=5, months=4)
env["ir.mail_server"].create({{
    "name": "Loopback SMTP", "smtp_host": "127.0.0.1", "smtp_port": {port},
    "smtp_encryption": "none", "sequence": 1,
}})
Run = env["ar.dunning.run"]
Run._ar_get_run(env.company, trigger="cron")
for _i in range(200):
    Run._cron_dunning_run(batch_size=50)
    env.cr.commit()
    if not Run.search_count([("state", "=", "running")]):
        break
Message = env["ar.dunning.message"]
for _i in range(200):
    Message._cron_dispatch(batch_size=50)
    env.cr.commit()
    if not Message.search_count([("state", "=", "queued"), ("dispatch_date", "=", False)]):
        break
"""

# What the scheduler does every few minutes: retry what is due, then empty the mail queue.
SEND_ROUND = """
env.cr.execute("UPDATE ar_dunning_message SET retry_date = now() - interval '1 second' WHERE retry_date IS NOT NULL")
env.cr.commit()
env["ar.dunning.message"]._cron_retry_mail()
env.cr.commit()
env["mail.mail"].process_email_queue()
env.cr.commit()
"""


class FakeSMTPServer(socketserver.ThreadingTCPServer):
    """A minimal SMTP server: ``mode`` "up" accepts and records messages, "drop" closes
    every connection at once (a server that crashes or a firewall that resets)."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), SMTPHandler)
        self.mode = "up"
        self.messages = []
        self.connections = 0
        self.dropped = 0


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server = self.server
        server.connections += 1
        if server.mode == "drop":
            server.dropped += 1
            return
        self.reply("220 loopback ESMTP")
        data, lines = False, []
        while line := self.rfile.readline():
            if data:
                if line.rstrip(b"\r\n") == b".":
                    server.messages.append(b"".join(lines))
                    data, lines = False, []
                    self.reply("250 2.0.0 queued")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-loopback")
                self.reply("250 8BITMIME")
            elif verb == b"DATA":
                data = True
                self.reply("354 end with .")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self.reply("250 OK")


@pytest.fixture
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def email_reminders(db):
    return dict(psql(db, """
        SELECT state, count(*) FROM ar_dunning_message WHERE channel = 'email' GROUP BY state
    """))


def email_log_states(db):
    return dict(psql(db, """
        SELECT l.state, count(*) FROM ar_dunning_log l JOIN ar_dunning_message m ON m.id = l.message_id
        WHERE m.channel = 'email' GROUP BY l.state
    """))


def test_reminders_wait_for_the_mail_server(ar_db, free_port):
    odoo_shell(ar_db, POPULATE.format(port=free_port))
    queued = email_reminders(ar_db)
    assert set(queued) == {"queued"}, queued
    total = int(queued["queued"])
    assert total >= 5, f"the book produced only {total} email reminders"

    # 1. Nothing listens on the port: connection refused.
    odoo_shell(ar_db, SEND_ROUND)
    assert email_reminders(ar_db) == {"failed": str(total)}
    assert email_log_states(ar_db).keys() == {"failed"}
    [[attempts, with_retry]] = psql(ar_db, """
        SELECT min(mail_attempts), count(retry_date) FROM ar_dunning_message WHERE channel = 'email'
    """)
    assert (attempts, with_retry) == ("1", str(total)), "each failure is counted and a retry planned"

    server = FakeSMTPServer(free_port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # 2. The server accepts connections and drops them at once.
        server.mode = "drop"
        odoo_shell(ar_db, SEND_ROUND)
        assert server.connections >= 1
        assert server.messages == []
        assert email_reminders(ar_db) == {"failed": str(total)}
        [[attempts]] = psql(ar_db, "SELECT min(mail_attempts) FROM ar_dunning_message WHERE channel = 'email'")
        assert attempts == "2"

        # 3. Back up: every reminder goes out, once.
        server.mode = "up"
        odoo_shell(ar_db, SEND_ROUND)
        assert email_reminders(ar_db) == {"sent": str(total)}
        assert email_log_states(ar_db).keys() == {"sent"}
        ids = [message_from_bytes(raw)["Message-Id"] for raw in server.messages]
        assert len(ids) == total, f"{len(ids)} emails received for {total} reminders"
        assert len(set(ids)) == total, "an email reached the server twice"

        # 4. More rounds of the scheduler send nothing again.
        odoo_shell(ar_db, SEND_ROUND)
        assert len(server.messages) == total
        # faults: one refused connection per reminder, then every connection dropped
        record("mail server down (SMTP on loopback)", faults=total + server.dropped,
               messages=total, duplicates=len(ids) - len(set(ids)))
    finally:
        server.shutdown()
        server.server_close()
