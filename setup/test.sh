#!/usr/bin/env bash
# Install what is missing, build a fresh test database, lint, and run every test.
#   setup/test.sh            lint + all tests (add-on tests, cross-add-on, browser)
#   setup/test.sh --slow     also the slow reliability tests (10-trial kill test on a large book)
#   setup/test.sh [pytest args...]   extra arguments go to pytest (e.g. -k portal)
# Exit code is non-zero on any lint error or test failure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ADDONS=(ar_collections ar_collections_cash ar_collections_credit ar_collections_credit_stock ar_collections_portal
        ar_collections_portal_stripe)
# Installed in the test database only: proves a channel is added in three files.
TEST_ADDONS=(test_ar_collections_channel)
TEST_DB="${AR_TEST_DB:-ar_test}"
CONF="$STATE_DIR/test.conf"

prepare_machine
cd "$ROOT"

log "lint: Python 3.11 syntax"
"$VENV/bin/python" -m compileall -q "${ADDONS[@]}" "${TEST_ADDONS[@]}" tests setup conftest.py >/dev/null

log "lint: ruff"
"$VENV/bin/ruff" check --no-cache "${ADDONS[@]}" "${TEST_ADDONS[@]}" tests setup conftest.py

log "lint: pylint-odoo"
"$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "${ADDONS[@]}" "${TEST_ADDONS[@]}"

log "fresh test database $TEST_DB"
write_odoo_conf "$CONF" "$TEST_DB"
drop_db "$TEST_DB"
odoo_bin -c "$CONF" -d "$TEST_DB" -i "$(IFS=,; echo "${ADDONS[*]} ${TEST_ADDONS[*]}" | tr ' ' ,)" \
    --without-demo=all --stop-after-init --log-level=warn

log "tests (pytest-odoo)"
export ODOO_RC="$CONF" AR_ODOO_CONF="$CONF"
status=0
"$VENV/bin/python" -m pytest -p no:cacheprovider --odoo-http "${ADDONS[@]}" "${TEST_ADDONS[@]}" tests "$@" || status=$?
exit $status
