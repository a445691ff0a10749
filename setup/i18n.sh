#!/usr/bin/env bash
# Translation templates of the add-ons, exported by Odoo's own exporter.
#   setup/i18n.sh export [DB]   rewrite every i18n/<addon>.pot and merge it into the add-on's .po files
#   setup/i18n.sh check  [DB]   fail, listing the msgids, when the code's terms differ from the committed .pot
# DB (default: $AR_I18N_DB, else $AR_TEST_DB, else ar_test) must have the add-ons installed from this
# working tree, e.g. the test database setup/test.sh has just built. One Odoo process exports every
# add-on (a .tgz of <addon>/i18n/<addon>.pot); the header's dates are dropped, so an export of
# unchanged code rewrites identical files.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODE="${1:-}"
DB="${2:-${AR_I18N_DB:-${AR_TEST_DB:-ar_test}}}"
case "$MODE" in export|check) ;; *) die "usage: setup/i18n.sh export|check [DB]" ;; esac
cd "$ROOT"
for tool in msgfmt msgmerge msgattrib; do
    command -v "$tool" >/dev/null || die "$tool not found: install GNU gettext (apt-get install gettext)"
done
db_exists "$DB" || die "database $DB does not exist: build it with the add-ons installed (setup/test.sh does)"

# Every add-on of the repository installed in DB, except the test-only ones.
mapfile -t ADDONS < <(
    for manifest in */__manifest__.py; do
        addon="${manifest%%/*}"
        [[ "$addon" == test_* ]] || echo "$addon"
    done)
INSTALLED=$(PGPASSWORD="$PG_PASSWORD" psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$DB" -tAc \
    "SELECT name FROM ir_module_module WHERE state = 'installed'")
EXPORTED=()
for addon in "${ADDONS[@]}"; do
    if grep -qx "$addon" <<<"$INSTALLED"; then EXPORTED+=("$addon"); else log "i18n: $addon not installed in $DB, skipped"; fi
done
[ ${#EXPORTED[@]} -gt 0 ] || die "none of the add-ons is installed in $DB"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CONF="$STATE_DIR/i18n-$DB.conf"
write_odoo_conf "$CONF" "$DB"
log "i18n: exporting ${EXPORTED[*]} from $DB"
odoo_bin -c "$CONF" -d "$DB" --i18n-export="$TMP/pot.tgz" --modules="$(IFS=,; echo "${EXPORTED[*]}")" \
    --log-level=warn --stop-after-init
tar -xzf "$TMP/pot.tgz" -C "$TMP"

"$VENV/bin/python" - "$MODE" "$TMP" "$ROOT" "${EXPORTED[@]}" <<'PY'
import pathlib
import re
import shutil
import subprocess
import sys

import polib

mode, tmp, root, addons = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), sys.argv[4:]
# Dates change at every export: dropped, as OCA's templates do.
DATED = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.M)


def msgids(path):
    return {entry.msgid for entry in polib.pofile(str(path)) if not entry.obsolete}


failed = False
for addon in addons:
    new = tmp / addon / "i18n" / f"{addon}.pot"
    if not new.exists():  # an add-on without any term gets no template
        new.parent.mkdir(parents=True, exist_ok=True)
        new.write_text("")
    new.write_text(DATED.sub("", new.read_text()))
    pot = root / addon / "i18n" / f"{addon}.pot"
    if mode == "check":
        old = msgids(pot) if pot.exists() else set()
        current = msgids(new) if new.stat().st_size else set()
        missing, removed = sorted(current - old), sorted(old - current)
        if missing or removed:
            failed = True
            print(f"{addon}: i18n/{addon}.pot is out of date (run setup/i18n.sh export)")
            for msgid in missing:
                print(f"  missing: {msgid[:200]!r}")
            for msgid in removed:
                print(f"  removed: {msgid[:200]!r}")
        for po in sorted(pot.parent.glob("*.po")) if pot.parent.exists() else ():
            result = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(po)],
                                    capture_output=True, text=True, check=False)
            if result.returncode:
                failed = True
                print(f"{addon}: {po.name} is not a valid PO file:\n{result.stderr}")
        continue
    if not new.stat().st_size:
        continue
    pot.parent.mkdir(exist_ok=True)
    shutil.copyfile(new, pot)
    counts = [f"{len(msgids(pot))} terms"]
    for po in sorted(pot.parent.glob("*.po")):
        # Keep every translation of a term still there, add the new terms untranslated, drop the
        # removed ones; no fuzzy guesses (Odoo would load them as if they were right).
        subprocess.run(["msgmerge", "--quiet", "--update", "--backup=none", "--no-fuzzy-matching",
                        "--width=78", str(po), str(pot)], check=True)
        subprocess.run(["msgattrib", "--no-obsolete", "--width=78", "-o", str(po), str(po)], check=True)
        catalog = polib.pofile(str(po))
        counts.append(f"{po.stem} {len(catalog.translated_entries())}")
    print(f"{addon}: " + ", ".join(counts))
sys.exit(1 if failed else 0)
PY
