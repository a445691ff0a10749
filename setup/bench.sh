#!/usr/bin/env bash
# Benchmark AR Collections against OCA's modules on one receivables book.
#   setup/bench.sh [--invoices N] [--rebuild] [--json FILE]
# Default: 100,000 invoices over 10,000 customers, in the database ar_bench (AR_BENCH_DB).
# Prints a table and writes it as JSON (default .odoo/bench/results.json).
# The seed (install + demo book, a few minutes) is kept in <db>_seed_<n> and copied for each run;
# --rebuild builds it again.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB="${AR_BENCH_DB:-ar_bench}"
CONF="$STATE_DIR/bench.conf"
PEERS="$STATE_DIR/bench/peers"

prepare_machine
cd "$ROOT"

# The peers, without dependencies in a folder of their own, then their add-ons on the path.
install_pip_addons "$ROOT/setup/bench-peers.txt" "$PEERS"
AR_EXTRA_ADDONS="$PEERS/odoo/addons" write_odoo_conf "$CONF" "$DB" "workers = 0" "max_cron_threads = 0"
export AR_BENCH_PEERS="$PEERS/odoo/addons" PATH="$VENV/bin:$PATH"
exec "$VENV/bin/python" "$ROOT/setup/bench.py" -c "$CONF" -d "$DB" "$@"
