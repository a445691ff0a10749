#!/usr/bin/env bash
# Install what is missing, build a fresh test database, lint, and run every test.
#   setup/test.sh            lint + all tests (add-on tests, cross-add-on, browser)
#   setup/test.sh --slow     also the slow reliability tests (10-trial kill test on a large book)
#   setup/test.sh --odoo-runner   also the add-ons' tests under Odoo's own runner (setup/odoo_runner.sh)
#   setup/test.sh --odoo-suites   also Odoo's suites of the modules we extend, with and without
#                                 our add-ons (setup/odoo_suites.sh)
#   setup/test.sh [pytest args...]   extra arguments go to pytest (e.g. -k portal)
# Exit code is non-zero on any lint error or test failure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$ROOT/setup/oca_peers.sh"

ADDONS=(ar_collections ar_collections_cash ar_collections_credit ar_collections_credit_sale ar_collections_slack
        ar_collections_credit_slack ar_collections_credit_stock ar_collections_portal ar_collections_portal_stripe)
# Installed in the test database only: proves a channel is added in three files.
TEST_ADDONS=(test_ar_collections_channel)
# Odoo modules the tests also need: the payment QR code on reminder letters
ODOO_TEST_MODULES=(account_qr_code_sepa)
TEST_DB="${AR_TEST_DB:-ar_test}"
# Two pytest workers, one per core (AR_TEST_WORKERS=0: one process, e.g. to debug)
WORKERS="${AR_TEST_WORKERS:-2}"
CONF="$STATE_DIR/test.conf"

ODOO_RUNNER=0
ODOO_SUITES=0
PYTEST_ARGS=()
for arg in "$@"; do
    case "$arg" in
        --odoo-runner) ODOO_RUNNER=1 ;;
        --odoo-suites) ODOO_SUITES=1 ;;
        *) PYTEST_ARGS+=("$arg") ;;
    esac
done

prepare_machine
cd "$ROOT"

# Lint runs in the background from the start; its report comes after the tests.
log "lint (Python 3.11 syntax, ruff, pylint-odoo, generated readmes) in the background"
LINT_LOG="$(mktemp)"
(
    set -e
    echo "lint: Python 3.11 syntax"
    "$VENV/bin/python" -m compileall -q "${ADDONS[@]}" "${TEST_ADDONS[@]}" tests setup conftest.py >/dev/null
    echo "lint: ruff"
    "$VENV/bin/ruff" check --no-cache "${ADDONS[@]}" "${TEST_ADDONS[@]}" tests setup conftest.py
    echo "lint: pylint-odoo"
    "$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "${ADDONS[@]}" "${TEST_ADDONS[@]}"
    echo "lint: README.rst and static/description/index.html generated from readme/"
    "$VENV/bin/python" "$ROOT/setup/gen_readme.py" --check
    echo "lint: done at +${SECONDS}s"
) > "$LINT_LOG" 2>&1 &
LINT_PID=$!
trap 'kill "$LINT_PID" 2>/dev/null || true' EXIT

log "fresh test database $TEST_DB (with OCA's CAMT statement import, from PyPI)"
install_oca_peers
AR_EXTRA_ADDONS="$OCA_PEERS_ADDONS" write_odoo_conf "$CONF" "$TEST_DB"
# The process tests' template databases (tests/templates.py) are built meanwhile, in the background:
# both pytest workers then copy the same ones.
TEMPLATES_ENV="$STATE_DIR/templates.env"
TEMPLATES_LOG="$(mktemp)"
rm -rf "$STATE_DIR/templates"
mkdir -p "$STATE_DIR/templates"
(AR_ODOO_CONF="$CONF" "$VENV/bin/python" -m tests.templates "${TEST_DB}_tpl" "$STATE_DIR/templates" \
    > "$TEMPLATES_ENV" 2> "$TEMPLATES_LOG" && echo "templates: done at +${SECONDS}s" >> "$TEMPLATES_LOG") &
TEMPLATES_PID=$!
trap 'kill "$LINT_PID" "$TEMPLATES_PID" 2>/dev/null || true' EXIT
drop_db "$TEST_DB"
odoo_bin -c "$CONF" -d "$TEST_DB" \
    -i "$(IFS=,; echo "${ADDONS[*]} ${TEST_ADDONS[*]} ${ODOO_TEST_MODULES[*]} $OCA_PEERS_MODULES" | tr ' ' ,)" \
    --without-demo=all --stop-after-init --log-level=warn

drop_templates() {
    local name
    for name in $(sed -n 's/^AR_TEMPLATE_[A-Z_]*=\([a-z0-9_]*\)$/\1/p' "$TEMPLATES_ENV"); do drop_db "$name"; done
}

log "+${SECONDS}s tests (pytest-odoo, $WORKERS workers)"
export ODOO_RC="$CONF" AR_ODOO_CONF="$CONF"
# pytest-odoo gives each xdist worker its own copy of the test database (createdb/dropdb)
export PGHOST="$PG_HOST" PGPORT="$PG_PORT" PGUSER="$PG_USER" PGPASSWORD="$PG_PASSWORD"
status=0
# The templates are still being built: the process tests wait for theirs (tests/templates.py), and
# the workers take add-on classes until all are there. The .pot check is one of the tests.
export AR_TEMPLATES_ENV="$TEMPLATES_ENV" AR_TEMPLATES_PID="$TEMPLATES_PID"
"$VENV/bin/python" -m pytest -p no:cacheprovider --odoo-http -n "$WORKERS" --durations=25 \
    "${ADDONS[@]}" "${TEST_ADDONS[@]}" tests ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"} || status=$?
log "+${SECONDS}s tests finished"

templates_status=0
wait "$TEMPLATES_PID" || templates_status=$?
if [ "$templates_status" != 0 ]; then
    cat "$TEMPLATES_LOG" >&2
    log "ERROR: the process tests' template databases could not be built (above)"
    status=1
else
    tail -n1 "$TEMPLATES_LOG" >&2
fi
rm -f "$TEMPLATES_LOG"
drop_templates

lint_status=0
wait "$LINT_PID" || lint_status=$?
cat "$LINT_LOG" >&2
rm -f "$LINT_LOG"
if [ "$lint_status" != 0 ]; then
    log "ERROR: lint failed (above)"
    status=1
fi
if [ "$ODOO_RUNNER" = 1 ]; then
    log "Odoo's own test runner on the add-ons' tests"
    "$ROOT/setup/odoo_runner.sh" || status=1
fi
if [ "$ODOO_SUITES" = 1 ]; then
    log "Odoo's suites of the modules we extend, with and without our add-ons"
    "$ROOT/setup/odoo_suites.sh" || status=1
fi
exit $status
