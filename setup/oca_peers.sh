#!/usr/bin/env bash
# OCA add-ons our add-ons integrate with, installed from PyPI next to ours (not into the venv).
#   source setup/common.sh; source setup/oca_peers.sh
#   install_oca_peers                  # -> $OCA_PEERS_ADDONS (a folder for the addons path)
#   AR_EXTRA_ADDONS="$OCA_PEERS_ADDONS" write_odoo_conf ...
#   odoo_bin ... -i "...,$OCA_PEERS_MODULES"
# Like setup/bench.sh's peers: they declare "odoo" as a dependency, which pip cannot satisfy,
# so they go --no-deps into a folder of their own; reinstalled when setup/oca-peers.txt changes.
OCA_PEERS="$STATE_DIR/oca_peers"
OCA_PEERS_ADDONS="$OCA_PEERS/odoo/addons"
# What the test database installs of them (the CAMT import brings the file and base imports).
OCA_PEERS_MODULES="account_statement_import_camt"

install_oca_peers() {
    install_pip_addons "$ROOT/setup/oca-peers.txt" "$OCA_PEERS"
}
