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
    local want
    want=$(sha1sum "$ROOT/setup/oca-peers.txt" | cut -d' ' -f1)
    if [ "$(cat "$OCA_PEERS/.ar-peers.sha" 2>/dev/null)" != "$want" ]; then
        log "installing OCA's statement import add-ons from PyPI into $OCA_PEERS"
        rm -rf "$OCA_PEERS"
        pip_install --no-deps --target "$OCA_PEERS" -r "$ROOT/setup/oca-peers.txt"
        echo "$want" > "$OCA_PEERS/.ar-peers.sha"
    fi
}
