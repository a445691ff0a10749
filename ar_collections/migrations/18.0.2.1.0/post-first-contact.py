"""18.0.2.1.0 starts an invoice's reminders at the policy's entry level and climbs one level per run
(``jump_to_reached`` off by default). A policy that existed before keeps what it did: it jumps to the
level reached, so an upgrade changes no reminder an admin expects; unticking *Jump to the level
reached* on the policy turns the new rule on."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE ar_dunning_policy SET jump_to_reached = TRUE WHERE jump_to_reached IS NOT TRUE")
