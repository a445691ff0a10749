#!/usr/bin/env bash
# The add-ons' tests under Odoo's own test runner, as OCA's CI runs them: a fresh database
# without demo data, `odoo -i <add-ons> --test-enable --stop-after-init`, limited by test tags
# to our add-ons (each add-on's tests/; the process tests of tests/ are pytest-only).
#   setup/odoo_runner.sh             every add-on of the checkout
#   setup/odoo_runner.sh ADDON...    only these (their dependencies are installed, not tested)
# Environment: AR_RUNNER_DB (database, default ar_runner), AR_RUNNER_PORT (HTTP port of the
# browser tests, default 8169), AR_RUNNER_LOG (log file, default .odoo/odoo_runner.log),
# AR_RUNNER_JOBS (default 2: two databases side by side, logs .1 and .2; 1: one database),
# AR_RUNNER_KEEP=1 keeps the database afterwards, AR_RUNNER_DEMO=1 installs with demo data (as
# OCA's CI does; the add-ons' demo tests then run instead of skipping).
# Prints Odoo's result line ("N failed, M error(s) of T tests ...") and exits non-zero on any
# failed or erroring test or a module that fails to install (AR_RUNNER_STRICT_LOG=1: also on an
# ERROR/CRITICAL log line, as OCA's checklog-odoo).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNNER_DB="${AR_RUNNER_DB:-ar_runner}"
RUNNER_PORT="${AR_RUNNER_PORT:-8169}"
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
# Two databases side by side (one per core) unless AR_RUNNER_JOBS=1: the add-ons are split in two
# groups of about as many tests (each group installs what it needs, tests only its own add-ons).
JOBS="${AR_RUNNER_JOBS:-2}"
if [ "$JOBS" -gt 1 ] && [ ${#addons[@]} -gt 1 ]; then
    mapfile -t groups < <("$VENV/bin/python" - "${addons[@]}" <<'PY'
import pathlib
import re
import sys

def tests(addon):
    return sum(len(re.findall(r"^\s*def test_", path.read_text(), re.M))
               for path in pathlib.Path(addon, "tests").glob("**/*.py"))

bins = [[0, []], [0, []]]
for addon in sorted(sys.argv[1:], key=tests, reverse=True):
    smaller = min(bins, key=lambda b: b[0])
    smaller[0] += tests(addon)
    smaller[1].append(addon)
for _count, group in bins:
    print(" ".join(group))
PY
    )
else
    groups=("${addons[*]}")
fi

demo=(--without-demo=all)
[ "${AR_RUNNER_DEMO:-0}" = 1 ] && demo=()
mkdir -p "$(dirname "$LOG")"

# run_group N ADDON...: Odoo's runner on database RUNNER_DB_N (or RUNNER_DB alone), log LOG.N
run_group() {
    local n="$1"; shift
    local db="$RUNNER_DB" log_file="$LOG" port="$RUNNER_PORT"
    if [ ${#groups[@]} -gt 1 ]; then
        db="${RUNNER_DB}_$n"; log_file="$LOG.$n"; port=$((RUNNER_PORT + 10 * (n - 1)))
    fi
    local conf="$STATE_DIR/$db.conf" addon_list test_tags
    addon_list=$(IFS=,; echo "$*")
    test_tags=$(printf '/%s,' "$@"); test_tags="${test_tags%,}"
    write_odoo_conf "$conf" "$db" "http_port = $port" "gevent_port = $((port + 1))"
    drop_db "$db"
    rm -rf "$STATE_DIR/data/filestore/$db"
    : > "$log_file"  # Odoo appends to its log file
    log "Odoo's test runner on $db: $addon_list (log: $log_file)"
    local rc=0
    odoo_bin -c "$conf" -d "$db" -i "$addon_list" "${demo[@]}" --test-enable \
        --test-tags "$test_tags" --stop-after-init --workers=0 --max-cron-threads=0 \
        --log-level=info --logfile="$log_file" || rc=$?
    echo "$rc" > "$log_file.rc"
    if [ "${AR_RUNNER_KEEP:-0}" != 1 ]; then
        drop_db "$db"
        rm -rf "$STATE_DIR/data/filestore/$db"
    fi
}

start=$SECONDS
pids=()
logs=()
for i in "${!groups[@]}"; do
    read -r -a group <<<"${groups[$i]}"
    run_group $((i + 1)) "${group[@]}" &
    pids+=($!)
    if [ ${#groups[@]} -gt 1 ]; then logs+=("$LOG.$((i + 1))"); else logs+=("$LOG"); fi
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

# Each group's result line, then their sum; what went wrong, with the test named in the line
# before the traceback.
rc=0
failed=0; errors=0; total=0; log_errors=0; missing=0
for file in "${logs[@]}"; do
    grep -E '^(FAIL|ERROR): | (ERROR|CRITICAL) ' "$file" | cut -c1-400 >&2 || true
    [ "$(cat "$file.rc" 2>/dev/null || echo 1)" = 0 ] || rc=1
    line=$(grep -E 'failed, [0-9]+ error\(s\) of [0-9]+ tests when loading' "$file" | tail -n1 \
           | sed -E 's/^.* (INFO|WARNING|ERROR) [^ ]+ [^ ]+: //')
    echo "$file: ${line:-no result line (the add-ons did not install?)}"
    if [[ "$line" =~ ^([0-9]+)\ failed,\ ([0-9]+)\ error\(s\)\ of\ ([0-9]+)\ tests ]]; then
        failed=$((failed + BASH_REMATCH[1])); errors=$((errors + BASH_REMATCH[2])); total=$((total + BASH_REMATCH[3]))
    else
        missing=1
    fi
    log_errors=$((log_errors + $(grep -cE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$file" || true)))
    rm -f "$file.rc"
done
result="$failed failed, $errors error(s) of $total tests"
echo "$result"
log "Odoo's runner: exit $rc, $log_errors ERROR/CRITICAL log lines, $((SECONDS - start)) s"

# Green: Odoo's exit code and a result line with tests run and none failed in every group; with
# AR_RUNNER_STRICT_LOG=1 also no ERROR logged (as OCA's checklog-odoo).
[ "${AR_RUNNER_STRICT_LOG:-0}" = 1 ] && [ "$log_errors" != 0 ] && exit 1
[ "$rc" = 0 ] && [ "$missing" = 0 ] && [ "$failed" = 0 ] && [ "$errors" = 0 ] && [ "$total" -gt 0 ]
