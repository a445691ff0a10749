#!/usr/bin/env bash
# Odoo's own test suites of the modules our add-ons extend, run with our add-ons installed and
# compared with the same suites without them ("a good citizen in someone else's Odoo", issue 22).
#   setup/odoo_suites.sh                      run, print the table; non-zero on a failure the reference lacks
#   setup/odoo_suites.sh --fresh-reference    also rerun the reference even if a result is cached
# The reference (the same Odoo modules, none of ours) depends only on Odoo's source and this
# machine: each module's results are kept by a hash of its test files, committed in
# setup/odoo_suites_reference/ or cached under .odoo/odoo_suites/; only modules without one run it.
# A failure only with us is run a second time before it counts (a flaky test is reported as such).
# Environment: AR_SUITES_DB (database name prefix, default ar_suites), AR_SUITES_PORT (HTTP port
# of the run with our add-ons, default 8269; the reference uses the port + 2), AR_SUITES_ONLY (a
# space-separated subset of the suites, e.g. "sale sale_stock"), AR_SUITES_REUSE=1 (keep the
# databases of the previous run: only the suites run again).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ODOO_MODULES=(payment payment_stripe account_payment sale sale_stock stock account)
OURS=(ar_collections ar_collections_cash ar_collections_credit ar_collections_credit_sale ar_collections_credit_stock
      ar_collections_portal ar_collections_portal_stripe ar_collections_slack ar_collections_credit_slack)
ODOO_ADDONS="$ODOO_SRC/odoo/addons"
# module -> test paths (account: only its portal and mail tests, the parts our add-ons touch)
declare -A SUITES=(
    [payment]="$ODOO_ADDONS/payment/tests"
    [payment_stripe]="$ODOO_ADDONS/payment_stripe/tests"
    [account_payment]="$ODOO_ADDONS/account_payment/tests"
    [sale]="$ODOO_ADDONS/sale/tests"
    [sale_stock]="$ODOO_ADDONS/sale_stock/tests"
    [stock]="$ODOO_ADDONS/stock/tests"
    [account]="$ODOO_ADDONS/account/tests/test_portal_invoice.py $ODOO_ADDONS/account/tests/test_portal_attachment.py
               $ODOO_ADDONS/account/tests/test_account_move_send.py $ODOO_ADDONS/account/tests/test_mail_tracking_value.py"
)
FRESH_REFERENCE=0
[ "${1:-}" = --fresh-reference ] && FRESH_REFERENCE=1
if [ -n "${AR_SUITES_ONLY:-}" ]; then
    read -r -a RUN_MODULES <<<"$AR_SUITES_ONLY"
else
    RUN_MODULES=("${ODOO_MODULES[@]}")
fi
PREFIX="${AR_SUITES_DB:-ar_suites}"
PORT="${AR_SUITES_PORT:-8269}"
WORK="$STATE_DIR/odoo_suites"
STARTED=$SECONDS

prepare_machine
cd "$ROOT"
mkdir -p "$WORK"

# suite_paths MODULE...: the test paths of those modules' suites, one a line
suite_paths() {
    local module
    for module in "$@"; do echo ${SUITES[$module]}; done | tr ' ' '\n' | grep -v '^$'
}

# A module's reference key: Odoo's version, the modules of the databases and the module's test files.
reference_key() {
    { cat "$ODOO_SRC/odoo/release.py"; echo "${ODOO_MODULES[*]}";
      find ${SUITES[$1]} -name '*.py' -type f | sort | xargs sha256sum | sed "s|$ODOO_ADDONS/||"; } \
        | sha256sum | cut -c1-16
}

# The reference of a module: committed (setup/odoo_suites_reference/, this machine's results) or
# cached by an earlier run; empty when there is none.
reference_file() {
    local name
    name="$1-$(reference_key "$1").tsv"
    if [ "$FRESH_REFERENCE" = 0 ] && [ -s "$ROOT/setup/odoo_suites_reference/$name" ]; then
        echo "$ROOT/setup/odoo_suites_reference/$name"
    elif [ "$FRESH_REFERENCE" = 0 ] && [ -s "$WORK/reference-$name" ]; then
        echo "$WORK/reference-$name"
    fi
}

# build DB ADDONS: a fresh database with ADDONS (comma list) installed, no demo data
build() {
    local db="$1" addons="$2" conf="$WORK/$1.conf" port="$3"
    write_odoo_conf "$conf" "$db" "http_port = $port" "gevent_port = $((port + 1))"
    if [ "${AR_SUITES_REUSE:-0}" = 1 ] && db_exists "$db"; then return 0; fi
    drop_db "$db"
    rm -rf "$STATE_DIR/data/filestore/$db"
    odoo_bin -c "$conf" -d "$db" -i "$addons" --without-demo=all --stop-after-init --log-level=warn
}

# run DB NAME PATHS...: the suites on DB, junit report in $WORK/NAME.xml (SUITE_WORKERS: pytest's
# -n, each worker on its own copy of DB)
run_suites() {
    local db="$1" name="$2"; shift 2
    # pytest-odoo copies the database for its workers with PostgreSQL's own commands
    PGHOST="$PG_HOST" PGPORT="$PG_PORT" PGUSER="$PG_USER" PGPASSWORD="$PG_PASSWORD" \
        ODOO_RC="$WORK/$db.conf" "$VENV/bin/python" -m pytest -p no:cacheprovider -p no:randomly --odoo-http -q \
        ${SUITE_WORKERS:+-n "$SUITE_WORKERS"} --junitxml="$WORK/$name.xml" "$@" >"$WORK/$name.log" 2>&1 || true
    [ -s "$WORK/$name.xml" ] || die "no test report for $name: see $WORK/$name.log"
}

# failures NAME: "module<TAB>test id" of every failed or erroring test of the report, and the counts
report() {
    "$VENV/bin/python" - "$WORK/$1.xml" "$ODOO_ADDONS" <<'PY'
import sys
import xml.etree.ElementTree as ET
path, addons = sys.argv[1], sys.argv[2]
for case in ET.parse(path).iter("testcase"):
    # classname: odoo.addons.<module>.tests.<file>.<Class> (or the file path without .py)
    parts = case.get("classname", "").replace("/", ".").split(".")
    module = parts[parts.index("addons") + 1] if "addons" in parts else "?"
    state = "passed"
    for child in case:
        if child.tag in ("failure", "error"):
            state = "failed"
        elif child.tag == "skipped" and state == "passed":
            state = "skipped"
    print(f"{state}\t{module}\t{case.get('classname')}.{case.get('name')}")
PY
}

REF_DB="${PREFIX}_ref"
OURS_DB="${PREFIX}_ours"
REF_MODULES=()
for module in "${RUN_MODULES[@]}"; do
    [ -n "$(reference_file "$module")" ] || REF_MODULES+=("$module")
done

log "databases: $OURS_DB (Odoo modules + our add-ons)${REF_MODULES[*]:+, $REF_DB (Odoo modules only, for ${REF_MODULES[*]})}"
modules=$(IFS=,; echo "${ODOO_MODULES[*]}")
pids=()
build "$OURS_DB" "$modules,$(IFS=,; echo "${OURS[*]}")" "$PORT" &
pids+=($!)
if [ ${#REF_MODULES[@]} -gt 0 ]; then
    build "$REF_DB" "$modules" "$((PORT + 2))" &
    pids+=($!)
fi
for pid in "${pids[@]}"; do wait "$pid" || die "building a database failed"; done

log "suites: ${RUN_MODULES[*]}"
mapfile -t paths < <(suite_paths "${RUN_MODULES[@]}")
pids=()
# Alone (the references all kept), the run with our add-ons takes both cores.
[ ${#REF_MODULES[@]} -eq 0 ] && SUITE_WORKERS=2
SUITE_WORKERS="${SUITE_WORKERS:-}" run_suites "$OURS_DB" ours "${paths[@]}" &
pids+=($!)
if [ ${#REF_MODULES[@]} -gt 0 ]; then
    (
        mapfile -t ref_paths < <(suite_paths "${REF_MODULES[@]}")
        run_suites "$REF_DB" ref "${ref_paths[@]}"
        report ref >"$WORK/ref.tsv"
        for module in "${REF_MODULES[@]}"; do
            awk -F'\t' -v m="$module" '$2 == m' "$WORK/ref.tsv" >"$WORK/reference-$module-$(reference_key "$module").tsv"
        done
    ) &
    pids+=($!)
fi
for pid in "${pids[@]}"; do wait "$pid" || die "running the suites failed"; done
REF_CACHE="$WORK/reference.tsv"
for module in "${RUN_MODULES[@]}"; do
    if [ "$FRESH_REFERENCE" = 1 ]; then
        file="$WORK/reference-$module-$(reference_key "$module").tsv"  # just run
    else
        file=$(reference_file "$module")
    fi
    [ -s "$file" ] || die "no reference for $module"
    cat "$file"
done >"$REF_CACHE"
report ours >"$WORK/ours.tsv"

# A failure only with us runs a second time: it counts if it fails again.
mapfile -t suspects < <(comm -23 <(awk -F'\t' '$1 == "failed" {print $3}' "$WORK/ours.tsv" | sort -u) \
                                 <(awk -F'\t' '$1 == "failed" {print $3}' "$REF_CACHE" | sort -u))
declare -A FLAKY=()
if [ ${#suspects[@]} -gt 0 ]; then
    log "running again the ${#suspects[@]} test(s) that failed only with our add-ons"
    mapfile -t ids < <(printf '%s\n' "${suspects[@]}" | "$VENV/bin/python" -c '
import re, sys
for line in sys.stdin:
    dotted, name = line.strip().rsplit(".", 1)
    module_path, cls = dotted.rsplit(".", 1)
    # the dots of the module path only: the addons path has its own ("/opt/odoo/18.0")
    path = sys.argv[1] + "/" + module_path.removeprefix("odoo.addons.").replace(".", "/") + ".py"
    print(f"{path}::{cls}::{name}")' "$ODOO_ADDONS")
    run_suites "$OURS_DB" again "${ids[@]}"
    while IFS=$'\t' read -r state _module test; do
        [ "$state" = failed ] || FLAKY[$test]=1
    done < <(report again)
fi

status=0
printf '\n%-16s %6s %14s %16s %13s\n' suite tests "failures (us)" "failures (ref)" "new failures"
for module in "${RUN_MODULES[@]}"; do
    tests=$(awk -F'\t' -v m="$module" '$2 == m' "$WORK/ours.tsv" | wc -l)
    ours=$(awk -F'\t' -v m="$module" '$1 == "failed" && $2 == m' "$WORK/ours.tsv" | wc -l)
    ref=$(awk -F'\t' -v m="$module" '$1 == "failed" && $2 == m' "$REF_CACHE" | wc -l)
    new=0
    for test in "${suspects[@]}"; do
        awk -F'\t' -v m="$module" -v t="$test" '$2 == m && $3 == t {found = 1} END {exit !found}' "$WORK/ours.tsv" \
            && [ -z "${FLAKY[$test]:-}" ] && new=$((new + 1))
    done
    printf '%-16s %6s %14s %16s %13s\n' "$module" "$tests" "$ours" "$ref" "$new"
    [ "$new" = 0 ] || status=1
done
for test in "${suspects[@]}"; do
    if [ -n "${FLAKY[$test]:-}" ]; then echo "flaky (passed when run again): $test"; else echo "NEW FAILURE: $test"; fi
done
echo "logs: $WORK/ours.log, $WORK/ref.log (references: $WORK/reference-*.tsv; copy them to setup/odoo_suites_reference/ to keep them); $(( (SECONDS - STARTED) / 60 )) min"
exit $status
