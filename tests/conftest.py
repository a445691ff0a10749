"""Databases shared by the cross-add-on tests that drive real Odoo processes."""

import pytest

from .odoo_process import create_db, drop_db, run_odoo, scratch_name

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
