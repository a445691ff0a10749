#!/usr/bin/env bash
# Measure cash matching against a known truth, next to a naive baseline (issues 9 and 19).
#   setup/cashmatch.sh [--lines N] [--invoices M] [--seed S] [--templates A|B] [--book-seed K]
#                      [--rebuild] [--json FILE] [--rescore]
#   setup/cashmatch.sh --holdout [...]   the second run: another book (book seed 4242), other
#                                        lines (seed 7) written from the hold-out templates (B)
# Default: 10,000 incoming bank lines against a book of about 50,000 open invoices, in databases
# named ar_cashmatch_* (AR_CASHMATCH_DB sets the prefix). Prints the tables and writes them as JSON
# (default .odoo/cashmatch/results.json; --holdout: results-holdout.json). The seed, the book and
# the generated lines are kept and reused; --rebuild builds them again. Each run matches a fresh
# copy of the generated lines. Labels come as banks send them (SEPA, MT940, Dutch /TRTP/, ACH,
# Fedwire, UK, CAMT) and some lines pay an already paid invoice again: none may be applied.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB="${AR_CASHMATCH_DB:-ar_cashmatch}"
CONF="$STATE_DIR/cashmatch.conf"
extra=()
if [ "${1:-}" = "--holdout" ]; then
    shift
    extra=(--seed 7 --book-seed 4242 --templates B --json "$STATE_DIR/cashmatch/results-holdout.json")
fi

prepare_machine
cd "$ROOT"
write_odoo_conf "$CONF" "$DB" "workers = 0" "max_cron_threads = 0"
export PATH="$VENV/bin:$PATH"
exec "$VENV/bin/python" "$ROOT/setup/cash_match_eval.py" -c "$CONF" -d "$DB" "${extra[@]}" "$@"
