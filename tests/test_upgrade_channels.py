"""The upgrade to 18.0.2.0.0 turns each dunning level's channel Booleans into channel lines.

An admin of a database created by the last release (3c7411a, Booleans) ticks various
combinations of channels on the default policy's levels and on a policy of their own; after
`-u` with the working tree's code every level sends by the same channels in the same order,
and a dunning run on the same day queues the same reminders as before the upgrade once the admin
ticks the go-live jump (without it, invoices never reminded start at the entry level).
"""

import pytest

from .odoo_process import copy_of, odoo_shell, run_odoo, shell_json
from .templates import OLD_ADDONS as ADDONS

MARKER = "AR-CHANNELS:"

# What the admin ticks, per level (policy name, offset): every Boolean combination a level
# of the old form could hold that the old code accepted, on the default policy and a new one.
COMBINATIONS = {
    ("Standard reminders", -7): ("email",),
    ("Standard reminders", 0): ("sms",),
    ("Standard reminders", 3): ("email", "sms", "letter", "phone"),
    ("Standard reminders", 7): ("letter", "phone"),
    ("Standard reminders", 14): ("phone",),
    ("Standard reminders", 30): ("email", "letter"),
    ("Key accounts", 5): ("sms", "phone"),
    ("Key accounts", 10): ("letter",),
    ("Key accounts", 20): ("email", "sms", "phone"),
}

# A seeded book, the admin's channel choices (through the old form's fields), key accounts on
# their own policy. Run with the old code.
SETUP = f"""
from odoo.addons.ar_collections.tools.demo_book import generate_ar_book
generate_ar_book(env, invoices=300, customers=30, seed=5, months=4)
combinations = {COMBINATIONS!r}
company = env.company
standard = company.ar_dunning_policy_id
reminder = env.ref('ar_collections.mail_template_dunning_reminder')
sms = env.ref('ar_collections.sms_template_dunning_reminder')
key = env['ar.dunning.policy'].create({{'name': 'Key accounts', 'company_id': company.id, 'level_ids': [
    (0, 0, {{'name': f'Key {{offset}}', 'offset_days': offset, 'mail_template_id': reminder.id,
             'sms_template_id': sms.id}})
    for (policy, offset) in combinations if policy == 'Key accounts']}})
for (policy, offset), channels in combinations.items():
    level = (standard if policy == 'Standard reminders' else key).level_ids.filtered(
        lambda lvl, o=offset: lvl.offset_days == o)
    level.write({{f'channel_{{name}}': name in channels for name in ('email', 'sms', 'letter', 'phone')}}
                | {{'sms_template_id': sms.id}})
customers = env['account.move'].search([('move_type', '=', 'out_invoice')]).commercial_partner_id.sorted('id')
customers[::3].with_company(company).write({{'ar_dunning_policy_id': key.id}})
env.cr.commit()
"""

# Each level's channels, and the reminders a run queues today (rolled back): read by either code.
READ = f"""
import json
levels = {{f'{{level.policy_id.name}} {{level.offset_days:+d}}': level._get_channels()
          for level in env['ar.dunning.level'].search([])}}
run = env['ar.dunning.run']._ar_get_run(env.company, trigger='cron', new=True)
while run.state == 'running':
    run._ar_process_batch(50)
reminders = sorted(
    [m.partner_id.name, m.channel, m.level_id.policy_id.name, m.level_id.offset_days, sorted(m.invoice_ids.mapped('name'))]
    for m in run.message_ids)
env.cr.rollback()
print({MARKER!r} + json.dumps({{'levels': levels, 'reminders': reminders}}))
"""


# After the upgrade, never-reminded invoices start at the policy's entry level (issue 23); the old
# code sent each invoice the level it had reached, which the admin keeps by ticking the go-live jump.
JUMP = """
env['ar.dunning.policy'].search([]).write({'jump_to_reached': True})
env.flush_all()
"""


def read(db, addons_dir=None, before=""):
    return shell_json(db, before + READ, MARKER, addons_dir=addons_dir)


@pytest.fixture
def old_channels_db(old_db_template, old_addons):
    """A database of the add-ons as of OLD_COMMIT; returns (name, old add-ons dir)."""
    with copy_of(old_db_template, "ar_upg_chan") as name:
        yield name, old_addons


def test_upgrade_keeps_level_channels_and_reminders(old_channels_db):
    db, old_addons = old_channels_db
    odoo_shell(db, SETUP, addons_dir=old_addons)
    before = read(db, addons_dir=old_addons)
    expected = {f"{policy} {offset:+d}": list(channels) for (policy, offset), channels in COMBINATIONS.items()}
    assert before["levels"] == expected, "the admin's channel choices took on the old code"
    channels_queued = {reminder[1] for reminder in before["reminders"]}
    assert channels_queued == {"email", "sms", "letter", "phone"}, f"the book reaches every channel: {channels_queued}"
    assert len(before["reminders"]) > 20

    run_odoo(db, "-u", ",".join(ADDONS), "--stop-after-init")
    after = read(db)
    assert after["levels"] == before["levels"], "a level's channels changed on upgrade"
    # the entry level: the first one after the due date (the policies' default)
    entry = {policy: min(offset for (name, offset) in COMBINATIONS if name == policy and offset > 0)
             for policy, _offset in COMBINATIONS}
    assert after["reminders"]
    above = [reminder for reminder in after["reminders"] if reminder[3] > entry[reminder[2]]]
    assert not above, f"without the jump a first run after the upgrade sends no level above the entry: {above[:3]}"
    assert any(reminder[3] > entry[reminder[2]] for reminder in before["reminders"]), "the book reaches higher levels"
    jumped = read(db, before=JUMP)
    assert jumped["reminders"] == before["reminders"], "with the jump a run queues other reminders after the upgrade"
