"""Databases shared by the cross-add-on tests that drive real Odoo processes."""

import io
import subprocess
import tarfile

import pytest

from .odoo_process import ROOT, create_db, drop_db, psql, run_odoo, scratch_name

DEPENDENCIES = "account,mail,portal,sms,sale_management,sale_stock,account_payment,payment_stripe"
OURS = ("ar_collections", "ar_collections_cash", "ar_collections_credit", "ar_collections_portal")


@pytest.fixture(scope="session")
def deps_db():
    """A database with only the add-ons' dependencies installed (a template)."""
    name = scratch_name("ar_tpl_deps")
    create_db(name)
    run_odoo(name, "-i", DEPENDENCIES, "--without-demo=all", "--stop-after-init")
    yield name
    drop_db(name)


@pytest.fixture(scope="session")
def ar_db_template(deps_db):
    """A database with our three add-ons installed and no data (a template)."""
    name = scratch_name("ar_tpl_ours")
    create_db(name, template=deps_db)
    run_odoo(name, "-i", ",".join(OURS), "--stop-after-init")
    yield name
    drop_db(name)


@pytest.fixture
def scratch_db(deps_db):
    name = scratch_name("ar_inst")
    create_db(name, template=deps_db)
    yield name
    drop_db(name)


@pytest.fixture
def ar_db(ar_db_template):
    name = scratch_name("ar_proc")
    create_db(name, template=ar_db_template)
    yield name
    drop_db(name)


# The last release before the add-ons were split (cash application, Stripe bridge) and the
# dunning channels became lines: the upgrade tests start from a database made by its code.
OLD_COMMIT = "3c7411a"
OLD_ADDONS = ("ar_collections", "ar_collections_credit", "ar_collections_credit_stock", "ar_collections_portal")


@pytest.fixture(scope="session")
def old_addons(tmp_path_factory):
    """The add-ons as of OLD_COMMIT, extracted from git."""
    path = tmp_path_factory.mktemp("old_addons")
    archive = subprocess.run(["git", "archive", OLD_COMMIT, *OLD_ADDONS], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(path, filter="data")
    return path


@pytest.fixture(scope="session")
def old_db_template(deps_db, old_addons):
    """A database with OLD_ADDONS installed by the code of OLD_COMMIT (a template)."""
    name = scratch_name("ar_tpl_old")
    create_db(name, template=deps_db)
    # The dependencies' database listed the working tree's add-ons: those the old code does not
    # have (a bridge auto-installed with the old ones) cannot be installed with it.
    newer = sorted(path.parent.name for path in ROOT.glob("*/__manifest__.py") if path.parent.name not in OLD_ADDONS)
    psql(name, "UPDATE ir_module_module SET state = 'uninstallable' WHERE state = 'uninstalled' AND name IN ({})"
         .format(", ".join(f"'{module}'" for module in newer)))
    run_odoo(name, "-i", ",".join(OLD_ADDONS), "--stop-after-init", addons_dir=old_addons)
    yield name
    drop_db(name)
