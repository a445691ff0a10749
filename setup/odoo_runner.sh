#!/usr/bin/env bash
# The add-ons' tests under Odoo's own test runner, as OCA's CI runs them: a fresh database
# without demo data, `odoo -i <add-ons> --test-enable --stop-after-init`, limited by test tags
# to our add-ons (each add-on's tests/; the process tests of tests/ are pytest-only).
#   setup/odoo_runner.sh             every add-on of the checkout
#   setup/odoo_runner.sh ADDON...    only these (their dependencies are installed, not tested)
# Environment: AR_RUNNER_DB (database, default ar_runner), AR_RUNNER_PORT (HTTP port of the
# browser tests, default 8169), AR_RUNNER_LOG (log file, default .odoo/odoo_runner.log),
# AR_RUNNER_KEEP=1 keeps the database afterwards, AR_RUNNER_DEMO=1 installs with demo data (as
# OCA's CI does; the add-ons' demo tests then run instead of skipping).
# Prints Odoo's result line ("N failed, M error(s) of T tests ...") and exits non-zero on any
# failed or erroring test or a module that fails to install (AR_RUNNER_STRICT_LOG=1: also on an
# ERROR/CRITICAL log line, as OCA's checklog-odoo).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNNER_DB="${AR_RUNNER_DB:-ar_runner}"
RUNNER_PORT="${AR_RUNNER_PORT:-8169}"
CONF="$STATE_DIR/$RUNNER_DB.conf"
LOG="${AR_RUNNER_LOG:-$STATE_DIR/odoo_runner.log}"

prepare_machine
cd "$ROOT"

if [ $# -gt 0 ]; then
    addons=("$@")
else
    # Every installable add-on of the checkout, the test-only ones included.
    mapfile -t addons < <("$VENV/bin/python" - <<'PY'
import ast
import pathlib

for manifest in sorted(pathlib.Path(".").glob("*/__manifest__.py")):
    if ast.literal_eval(manifest.read_text()).get("installable", True):
        print(manifest.parent.name)
PY
    )
fi
[ ${#addons[@]} -gt 0 ] || die "no add-on found in $ROOT"
addon_list=$(IFS=,; echo "${addons[*]}")
test_tags=$(printf '/%s,' "${addons[@]}"); test_tags="${test_tags%,}"

demo=(--without-demo=all)
[ "${AR_RUNNER_DEMO:-0}" = 1 ] && demo=()
write_odoo_conf "$CONF" "$RUNNER_DB" "http_port = $RUNNER_PORT" "gevent_port = $((RUNNER_PORT + 1))"
drop_db "$RUNNER_DB"
rm -rf "$STATE_DIR/data/filestore/$RUNNER_DB"
mkdir -p "$(dirname "$LOG")"
: > "$LOG"  # Odoo appends to its log file

log "Odoo's test runner on $RUNNER_DB: $addon_list (log: $LOG)"
start=$SECONDS
rc=0
odoo_bin -c "$CONF" -d "$RUNNER_DB" -i "$addon_list" "${demo[@]}" --test-enable \
    --test-tags "$test_tags" --stop-after-init --workers=0 --max-cron-threads=0 \
    --log-level=info --logfile="$LOG" || rc=$?

# What went wrong, with the test named in the line before the traceback.
grep -E '^(FAIL|ERROR): | (ERROR|CRITICAL) ' "$LOG" | cut -c1-400 >&2 || true
result=$(grep -E 'failed, [0-9]+ error\(s\) of [0-9]+ tests when loading' "$LOG" | tail -n1 \
         | sed -E 's/^.* (INFO|WARNING|ERROR) [^ ]+ [^ ]+: //')
log_errors=$(grep -cE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$LOG" || true)
echo "${result:-no result line (the add-ons did not install?)}"
log "Odoo's runner: exit $rc, $log_errors ERROR/CRITICAL log lines, $((SECONDS - start)) s"

if [ "${AR_RUNNER_KEEP:-0}" != 1 ]; then
    drop_db "$RUNNER_DB"
    rm -rf "$STATE_DIR/data/filestore/$RUNNER_DB"
fi
# Green: Odoo's exit code and its result line with tests run and none failed; with
# AR_RUNNER_STRICT_LOG=1 also no ERROR logged (as OCA's checklog-odoo).
[ "${AR_RUNNER_STRICT_LOG:-0}" = 1 ] && [ "$log_errors" != 0 ] && exit 1
[ "$rc" = 0 ] && [[ "$result" =~ ^0\ failed,\ 0\ error\(s\)\ of\ [1-9] ]]
