#!/usr/bin/env bash
# Backtest the pay-date and risk predictions on the two seeded books of the README, in one command.
#   setup/backtest.sh [--rebuild]
# Builds (once; --rebuild: again) ar_backtest_demo (the demo book: 1,500 invoices, 60 customers,
# seed 42) and ar_backtest_large (4,000 invoices, 150 customers, seed 7) with ar_collections alone,
# then runs setup/backtest.py on each: pay-date MAE and bias with and without censoring against
# "pays on the due date", the same for the invoices already overdue (given how late they are,
# against the rule before), and the risk's AUC and calibration tables (before and after
# calibration) against "more than 30 days overdue". Books are generated relative to today, so
# the figures move a little from day to day.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REBUILD=0
[ "${1:-}" = "--rebuild" ] && REBUILD=1
prepare_machine
cd "$ROOT"
export PATH="$VENV/bin:$PATH"
for book in "demo 1500 60 42" "large 4000 150 7"; do
    read -r name invoices customers seed <<<"$book"
    db="ar_backtest_$name"
    conf="$STATE_DIR/$db.conf"
    write_odoo_conf "$conf" "$db" "workers = 0" "max_cron_threads = 0"
    if [ "$REBUILD" = 1 ] || ! db_exists "$db"; then
        drop_db "$db"
        log "backtest: building $db ($invoices invoices, $customers customers, seed $seed)"
        odoo_bin -c "$conf" -d "$db" -i ar_collections --without-demo=all --stop-after-init --log-level=warn
        "$VENV/bin/python" setup/demo_book.py -c "$conf" -d "$db" --invoices "$invoices" \
            --customers "$customers" --seed "$seed" >/dev/null
    fi
    log "backtest: $db"
    "$VENV/bin/python" setup/backtest.py -c "$conf" -d "$db"
done
