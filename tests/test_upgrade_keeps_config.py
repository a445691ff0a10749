"""An upgrade of the add-ons keeps what an admin configured.

An admin switches the scheduled actions on and reschedules them, rewords templates, renames and
moves dunning levels and changes settings; `-u` of the add-ons with the working tree's code must
leave all of it alone: on a database created by the last released code (3c7411a, whose cron data
was updatable) and on one created by the current code (the next upgrade).
"""

from pathlib import Path

import pytest

from .odoo_process import ROOT, copy_of, odoo_shell, run_odoo, shell_json
from .templates import OLD_ADDONS

# The add-ons as OLD_COMMIT had them, and those split out of them since (their records moved there).
ADDONS = OLD_ADDONS
SPLIT = ("ar_collections_cash", "ar_collections_portal_stripe")
MODULES = ADDONS + SPLIT
NEXTCALL = "2031-01-02 09:15:00"
MARKER = "AR-CONFIG:"

# A record by its xml id's name, in whichever of our modules holds it (some moved to a split add-on).
REF = f"""
def ref(name):
    for module in {list(MODULES)!r}:
        record = env.ref(f'{{module}}.{{name}}', raise_if_not_found=False)
        if record:
            return record
    raise ValueError(name)
"""

# What the admin does, in `odoo shell`: every scheduled action of ours on and rescheduled, reworded
# templates, a renamed policy and level with other days, a sequence, an activity type, settings.
EDIT = REF + f"""
crons = env['ir.model.data'].search([('module', 'in', {list(MODULES)!r}), ('model', '=', 'ir.cron')])
for cron in env['ir.cron'].with_context(active_test=False).browse(crons.mapped('res_id')):
    cron.write({{'active': True, 'interval_number': 3, 'interval_type': 'weeks', 'nextcall': {NEXTCALL!r}}})
for name in ('mail_template_dunning_reminder', 'mail_template_autopay_hard_decline'):
    ref(name).write({{'subject': 'Our subject', 'body_html': '<p>Our own wording</p>'}})
env.ref('ar_collections.sms_template_dunning_reminder').body = 'Our SMS wording'
policy = env.company.ar_dunning_policy_id
policy.name = 'Our policy'
level = policy.level_ids.sorted('offset_days')[-1]
level.write({{'name': 'Our last word', 'offset_days': level.offset_days + 11}})
if 'jump_to_reached' in policy._fields:  # the code of the last release has no escalation settings
    policy.write({{'jump_to_reached': True, 'spacing_days': 12, 'entry_level_id': level.id}})
env.ref('ar_collections_credit.seq_ar_credit_release').write({{'prefix': 'OURS/', 'padding': 7}})
env.ref('ar_collections_credit.mail_activity_type_credit_review').write({{'name': 'Our review', 'delay_count': 9}})
env['res.config.settings'].create({{'ar_reply_pause_days': 9, 'ar_plan_reminder_days': 6}}).execute()
env['ir.config_parameter'].set_param('ar_collections.admin_note', 'kept')
env.cr.commit()
"""

# The configuration as one flat dict, printed as JSON after MARKER.
READ = REF + f"""
import json
config = {{}}
crons = env['ir.model.data'].search([('module', 'in', {list(MODULES)!r}), ('model', '=', 'ir.cron')])
for data in crons:
    cron = env['ir.cron'].with_context(active_test=False).browse(data.res_id)
    for name in ('active', 'interval_number', 'interval_type', 'nextcall'):
        config[f'{{data.name}}.{{name}}'] = str(cron[name])
for xmlid, names in (
    ('mail_template_dunning_reminder', ('subject', 'body_html')),
    ('mail_template_autopay_hard_decline', ('subject', 'body_html')),
    ('sms_template_dunning_reminder', ('body',)),
    ('seq_ar_credit_release', ('prefix', 'padding')),
    ('mail_activity_type_credit_review', ('name', 'delay_count')),
):
    record = ref(xmlid)
    for name in names:
        config[f'{{xmlid}}.{{name}}'] = str(record[name])
policy = env.company.ar_dunning_policy_id
config['policy'] = policy.name
for level in policy.level_ids.sorted('id'):
    config[f'level {{level.id}}'] = f'{{level.name}} {{level.offset_days:+d}}'
for name in ('jump_to_reached', 'spacing_days', 'entry_level_id'):
    if name in policy._fields:
        config[f'policy.{{name}}'] = str(policy[name])
config['company.ar_reply_pause_days'] = str(env.company.ar_reply_pause_days)
config['company.ar_plan_reminder_days'] = str(env.company.ar_plan_reminder_days)
config['admin_note'] = env['ir.config_parameter'].get_param('ar_collections.admin_note')
import odoo.addons.ar_collections
print({MARKER!r} + json.dumps({{'code': odoo.addons.ar_collections.__path__[0], 'config': config}}))
"""


def read_config(db, addons_dir=None):
    """The configuration of ``db``, read by the code in ``addons_dir`` (default: the working tree)."""
    read = shell_json(db, READ, MARKER, addons_dir=addons_dir)
    assert Path(read["code"]).parent == Path(addons_dir or ROOT), f"read by the add-ons in {read['code']}"
    return read["config"]


def assert_edited(config):
    """The admin's edits took (so that the comparison after the upgrade means something)."""
    crons = {key: value for key, value in config.items() if key.startswith("ir_cron_")}
    assert len(crons) >= 4 * 17, f"expected the 17 scheduled actions, read {len(crons) // 4}"
    for key, value in crons.items():
        expected = {"active": "True", "interval_number": "3", "interval_type": "weeks", "nextcall": NEXTCALL}
        assert value == expected[key.rsplit(".", 1)[1]], f"{key} = {value}"
    assert config["policy"] == "Our policy"
    assert config.get("policy.spacing_days", "12") == "12", "the policy's escalation settings took"
    assert any(value.startswith("Our last word") for key, value in config.items() if key.startswith("level "))
    assert config["company.ar_reply_pause_days"] == "9"
    assert config["admin_note"] == "kept"
    assert "Our own wording" in config["mail_template_dunning_reminder.body_html"]


def upgrade_and_compare(db, before):
    run_odoo(db, "-u", ",".join(ADDONS), "--stop-after-init")  # the split add-ons come in through migrations
    after = read_config(db)
    lost = [f"{key}: {before[key]!r} -> {after.get(key)!r}" for key in before if after.get(key) != before[key]]
    assert not lost, f"{len(lost)} settings lost on upgrade:\n" + "\n".join(lost)


@pytest.fixture
def old_db(old_db_template):
    """A database with the add-ons installed by the code of OLD_COMMIT."""
    with copy_of(old_db_template, "ar_upg") as name:
        yield name


# What the upgrade brings to the reminders of the last release's database (issue 23).
READ_REMINDERS = REF + f"""
import json
policy = env.company.ar_dunning_policy_id
levels = {{level.offset_days: level for level in policy.level_ids}}
print({MARKER!r} + json.dumps({{
    'jump_to_reached': policy.jump_to_reached,
    'final_body': ref('mail_template_dunning_final').body_html,
    'second_template': levels[7].mail_template_id.get_external_id()[levels[7].mail_template_id.id],
}}))
"""


def test_upgrade_from_last_release_keeps_admin_config(old_db, old_addons):
    odoo_shell(old_db, EDIT, addons_dir=old_addons)
    before = read_config(old_db, addons_dir=old_addons)
    assert_edited(before)
    upgrade_and_compare(old_db, before)
    reminders = shell_json(old_db, READ_REMINDERS, MARKER)
    # the first run after the upgrade starts never-reminded invoices at the entry level, as after a
    # new install: no final notice as a first contact (the go-live jump is the admin's choice)
    assert reminders["jump_to_reached"] is False
    # the final notice nobody reworded no longer announces a hold its level does not put
    assert "suspend" not in reminders["final_body"], reminders["final_body"]
    # the admin reworded the first reminder: the second level keeps that wording
    assert reminders["second_template"] == "ar_collections.mail_template_dunning_reminder"


def test_next_upgrade_keeps_admin_config(ar_db):
    odoo_shell(ar_db, EDIT)
    before = read_config(ar_db)
    assert_edited(before)
    upgrade_and_compare(ar_db, before)
