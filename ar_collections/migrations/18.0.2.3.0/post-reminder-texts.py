"""Databases created before 18.0.2.1.0 keep the reminder texts they were installed with (the
templates are ``noupdate``): the second reminder repeats the first one's template and the final
notice says deliveries are suspended, whether or not the level puts the customer on hold (the
statement says so itself when it does). Bring the defaults nobody reworded to the current texts:

- the final notice's paragraph, where it is still the installed one (an admin's wording is kept);
- the levels still named "Second reminder" that use the first reminder's template, as installed,
  get the second reminder's template, so that the two reminders no longer read the same (if an
  admin reworded the first reminder, both levels keep that wording).

Policies keep their ``jump_to_reached`` (off unless an admin ticked it): an invoice never
reminded starts at the entry level, those reminded before climb on from the level they had.
"""

from odoo import SUPERUSER_ID, api

OLD_FINAL = (
    "This is our final notice. The invoices below are seriously overdue. Unless payment is received within "
    "7 days, we will suspend further deliveries and may pass the matter to a collection agency. Please "
    "contact us immediately if you dispute any of these amounts."
)
OLD_FIRST = (
    "According to our records the invoices below are past their due date. Perhaps this has escaped your "
    "attention: please arrange payment at your earliest convenience. If you have already paid, please "
    "disregard this message."
)
NEW_FINAL = (
    "This is our final notice. The overdue invoices below must be paid within 7 days; otherwise we may pass "
    "the matter to a collection agency. Please contact us immediately if you dispute any of these amounts."
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"lang": "en_US", "active_test": False})
    final = env.ref("ar_collections.mail_template_dunning_final", raise_if_not_found=False)
    if final and OLD_FINAL in (final.body_html or ""):
        # in English; the other languages are filled from the catalogues after this script
        final.body_html = final.body_html.replace(OLD_FINAL, NEW_FINAL)
    first = env.ref("ar_collections.mail_template_dunning_reminder", raise_if_not_found=False)
    second = env.ref("ar_collections.mail_template_dunning_second", raise_if_not_found=False)
    if first and second and OLD_FIRST in (first.body_html or ""):
        env["ar.dunning.level"].search([
            ("name", "=", "Second reminder"), ("mail_template_id", "=", first.id),
        ]).mail_template_id = second
