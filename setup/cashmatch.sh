#!/usr/bin/env bash
# Measure cash matching against a known truth, next to a naive baseline (issue 9).
#   setup/cashmatch.sh [--lines N] [--invoices M] [--seed S] [--rebuild] [--json FILE] [--rescore]
# Default: 10,000 incoming bank lines against a book of about 50,000 open invoices, in databases
# named ar_cashmatch_* (AR_CASHMATCH_DB sets the prefix). Prints the tables and writes them as JSON
# (default .odoo/cashmatch/results.json). The seed, the book and the generated lines are kept and
# reused; --rebuild builds them again. Each run matches a fresh copy of the generated lines.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB="${AR_CASHMATCH_DB:-ar_cashmatch}"
CONF="$STATE_DIR/cashmatch.conf"

prepare_machine
cd "$ROOT"
write_odoo_conf "$CONF" "$DB" "workers = 0" "max_cron_threads = 0"
export PATH="$VENV/bin:$PATH"
exec "$VENV/bin/python" "$ROOT/setup/cash_match_eval.py" -c "$CONF" -d "$DB" "$@"
