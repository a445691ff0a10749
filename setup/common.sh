#!/usr/bin/env bash
# Shared install steps for setup/run.sh, setup/test.sh and setup/bench.sh.
# Sourced, not executed. Idempotent: every step checks before it acts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo/18.0}"
VENV="${AR_VENV:-$ROOT/.venv}"
STATE_DIR="$ROOT/.odoo"
PG_USER="${AR_PG_USER:-odoo}"
PG_PASSWORD="${AR_PG_PASSWORD:-odoo}"
PG_HOST="${AR_PG_HOST:-127.0.0.1}"
PG_PORT="${AR_PG_PORT:-5432}"
PYTHON="${AR_PYTHON:-python3.11}"
APT_PACKAGES=(postgresql libldap2-dev libsasl2-dev libpq-dev wkhtmltopdf chromium fonts-dejavu-core gettext)

log() { printf '\033[1m[ar]\033[0m %s\n' "$*" >&2; }
die() { printf '[ar] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_apt_packages() {
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_odoo_source() {
    if [ -e "$ODOO_SRC/odoo/release.py" ]; then return 0; fi
    if [ "${ODOO_CLONE:-0}" = 1 ]; then
        log "cloning Odoo 18.0 into $ODOO_SRC (ODOO_CLONE=1)"
        as_root mkdir -p "$(dirname "$ODOO_SRC")"
        git clone --quiet --depth 1 --branch 18.0 https://github.com/odoo/odoo.git "$ODOO_SRC" \
            || die "could not clone Odoo 18.0; put an Odoo 18.0 Community source tree at $ODOO_SRC (set ODOO_SRC) so that $ODOO_SRC/odoo/release.py exists"
        return 0
    fi
    die "Odoo 18.0 source not found: put an Odoo 18.0 Community source tree at $ODOO_SRC (or set ODOO_SRC) so that $ODOO_SRC/odoo/release.py exists, or set ODOO_CLONE=1 to clone it"
}

ensure_postgres() {
    local cluster
    cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2" "$4}')
    [ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters); install Debian's postgresql package"
    set -- $cluster
    if [ "$3" != online ]; then
        log "starting PostgreSQL $1/$2"
        as_root pg_ctlcluster "$1" "$2" start
    fi
    if ! PGPASSWORD="$PG_PASSWORD" psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        log "creating PostgreSQL role $PG_USER"
        as_root su postgres -c "psql -q -v ON_ERROR_STOP=1 -d postgres" <<SQL
DO \$\$BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE "$PG_USER" LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE "$PG_USER" LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END\$\$;
SQL
    fi
}

# pip install into the venv; hides the per-package warnings about missing local
# index folders that some machines' pip configuration produces, keeps everything else.
pip_install() {
    local out status=0
    out=$(PIP_CONSTRAINT="$ROOT/setup/constraints.txt" "$VENV/bin/pip" install -q "$@" 2>&1) || status=$?
    printf '%s\n' "$out" | grep -v -e "is ignored: it is neither a file nor a directory" -e '^$' >&2 || true
    return $status
}

# OCA add-ons (benchmark peers, integrations) from PyPI: they declare "odoo" as a dependency,
# which pip cannot satisfy, so they go --no-deps into a folder of their own for the addons path;
# reinstalled when the requirements file changes.
install_pip_addons() {
    local reqs="$1" target="$2" want
    want=$(sha1sum "$reqs" | cut -d' ' -f1)
    if [ "$(cat "$target/.ar-peers.sha" 2>/dev/null)" != "$want" ]; then
        log "installing $(basename "$reqs") from PyPI into $target"
        rm -rf "$target"
        pip_install --no-deps --target "$target" -r "$reqs"
        echo "$want" > "$target/.ar-peers.sha"
    fi
}

# The environment built for one set of requirements is kept under AR_VENV_CACHE_DIR and .venv links
# to it, so that another clone of the same code (CI's clean clone, a worktree) reuses it instead of
# downloading and building every package again. AR_VENV_CACHE=0, an explicit AR_VENV or a .venv
# that is a real folder build in place as before.
VENV_CACHE_DIR="${AR_VENV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ar-collections}"

requirements_sha() {
    { cat "$ODOO_SRC/requirements.txt" "$ROOT/requirements.txt" "$ROOT/requirements-test.txt" \
        "$ROOT/setup/constraints.txt"; } | sha1sum | cut -d' ' -f1
}

ensure_venv() {
    local want cached
    command -v "$PYTHON" >/dev/null || PYTHON=python3
    want=$(requirements_sha)
    if [ "$(cat "$VENV/.ar-requirements.sha" 2>/dev/null)" = "$want" ] && [ -x "$VENV/bin/python" ]; then
        return 0
    fi
    if [ "${AR_VENV_CACHE:-1}" = 1 ] && [ -z "${AR_VENV:-}" ] && { [ -L "$VENV" ] || [ ! -e "$VENV" ]; }; then
        # keyed by the Odoo source too: the environment points at it
        cached="$VENV_CACHE_DIR/venv-$(echo "$want $ODOO_SRC $PYTHON" | sha1sum | cut -c1-16)"
        mkdir -p "$VENV_CACHE_DIR"
        # one build per requirements set, even when two clones start at once
        (
            flock 9
            if [ "$(cat "$cached/.ar-requirements.sha" 2>/dev/null)" != "$want" ]; then
                rm -rf "$cached"
                build_venv "$cached" "$want"
            fi
        ) 9>"$cached.lock"
        ln -sfn "$cached" "$VENV"
        return 0
    fi
    build_venv "$VENV" "$want"
}

# build_venv DIR SHA: Odoo's requirements and ours in a new environment at DIR.
build_venv() {
    local dir="$1" want="$2" site
    log "building Python environment in $dir (Odoo's requirements + ours)"
    [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
    # Some of Odoo's pinned sdists (e.g. psycopg2, python-ldap) need setuptools<70 to build;
    # PIP_CONSTRAINT also reaches pip's isolated build environments.
    VENV="$dir" pip_install --upgrade "pip<25" wheel "setuptools<70"
    VENV="$dir" pip_install -r "$ODOO_SRC/requirements.txt" -r "$ROOT/requirements.txt" -r "$ROOT/requirements-test.txt"
    # Make `import odoo` resolve to $ODOO_SRC without copying Odoo into the venv.
    site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$ODOO_SRC" > "$site/ar_odoo_src.pth"
    echo "$want" > "$dir/.ar-requirements.sha"
}

# write_odoo_conf FILE DBNAME [extra "key = value" lines...]
write_odoo_conf() {
    local file="$1" db="$2"; shift 2
    mkdir -p "$(dirname "$file")" "$STATE_DIR/data"
    {
        echo "[options]"
        echo "addons_path = $(odoo_addons_path)"
        echo "data_dir = $STATE_DIR/data"
        echo "db_host = $PG_HOST"
        echo "db_port = $PG_PORT"
        echo "db_user = $PG_USER"
        echo "db_password = $PG_PASSWORD"
        echo "db_name = $db"
        echo "dbfilter = ^$db\$"
        echo "list_db = False"
        echo "admin_passwd = ${AR_ADMIN_PASSWD:-admin}"
        local line
        for line in "$@"; do echo "$line"; done
    } > "$file"
}

# Both layouts: the release tarball (addons under odoo/addons) and a git checkout (also addons/).
odoo_addons_path() {
    local path="$ODOO_SRC/odoo/addons"
    [ -d "$ODOO_SRC/addons" ] && path="$ODOO_SRC/addons,$path"
    echo "$path,$ROOT${AR_EXTRA_ADDONS:+,$AR_EXTRA_ADDONS}"
}

# Run Odoo's CLI from $ODOO_SRC; TZ=UTC as odoo-bin sets it.
odoo_bin() { TZ=UTC "$VENV/bin/python" -m odoo "$@"; }

db_exists() {
    PGPASSWORD="$PG_PASSWORD" psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}

drop_db() {
    PGPASSWORD="$PG_PASSWORD" dropdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" --if-exists --force "$1"
}

prepare_machine() {
    ensure_odoo_source
    ensure_apt_packages
    ensure_postgres
    ensure_venv
}
