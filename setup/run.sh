#!/usr/bin/env bash
# Install what is missing, create the demo database (once), and start Odoo with
# the AR Collections add-ons and a realistic receivables book.
#   setup/run.sh                  foreground server on http://localhost:8069
# Environment: ODOO_SRC (Odoo 18.0 source, default /opt/odoo/18.0), AR_DB (default ar_demo),
# AR_HTTP_PORT (default 8069), AR_HTTP_INTERFACE (default 127.0.0.1),
# AR_DEMO_INVOICES / AR_DEMO_CUSTOMERS (size of the demo book, default 1500 / 60).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB="${AR_DB:-ar_demo}"
PORT="${AR_HTTP_PORT:-8069}"
INTERFACE="${AR_HTTP_INTERFACE:-127.0.0.1}"
ADDONS="ar_collections,ar_collections_cash,ar_collections_credit,ar_collections_credit_sale,ar_collections_credit_stock,ar_collections_portal,ar_collections_slack"
# ar_collections_portal_stripe installs itself with payment_stripe (not needed for the demo).
CONF="$STATE_DIR/run.conf"

prepare_machine
cd "$ROOT"
write_odoo_conf "$CONF" "$DB" "http_port = $PORT" "http_interface = $INTERFACE" "proxy_mode = False"

if db_exists "$DB"; then
    log "database $DB exists: updating the add-ons"
    # -i as well: an add-on split out since the database was made (ar_collections_cash) comes in
    odoo_bin -c "$CONF" -d "$DB" -i "$ADDONS" -u "$ADDONS" --stop-after-init --log-level=warn
else
    log "creating database $DB with the AR Collections add-ons"
    odoo_bin -c "$CONF" -d "$DB" -i "$ADDONS" --without-demo=all --stop-after-init --log-level=warn
fi
# The generator refuses to run twice on one database, so this is a no-op on reruns.
"$VENV/bin/python" "$ROOT/setup/demo_book.py" -c "$CONF" -d "$DB" \
    --invoices "${AR_DEMO_INVOICES:-1500}" --customers "${AR_DEMO_CUSTOMERS:-60}"

cat >&2 <<MSG

  AR Collections is starting on http://localhost:$PORT
  Log in with:  admin / admin
  Then open Invoicing > Collections (overdue invoices, customers to chase)
  or Invoicing > Customers > Invoices for the demo receivables book.

MSG
exec env TZ=UTC "$VENV/bin/python" -m odoo -c "$CONF" -d "$DB" --log-level=info
