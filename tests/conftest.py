"""Databases shared by the cross-add-on tests that drive real Odoo processes.

Each template is the one setup/test.sh built before the tests (tests/templates.py), or built here
on first use when the tests run without it.
"""

import pytest

from . import templates
from .odoo_process import copy_of, drop_db, scratch_name


def _template(key, build):
    """The template ``key``: setup/test.sh's, or one built by ``build(name)`` and dropped after."""
    name = templates.env_name(key)
    if name:
        yield name
        return
    name = scratch_name(f"ar_tpl_{key}")
    build(name)
    yield name
    drop_db(name)


@pytest.fixture(scope="session")
def deps_db():
    """A database with only the add-ons' dependencies installed (a template)."""
    yield from _template("deps", templates.build_deps)


@pytest.fixture(scope="session")
def ar_db_template(deps_db):
    """A database with our main add-ons installed and no data (a template)."""
    yield from _template("ours", lambda name: templates.build_ours(name, deps_db))


@pytest.fixture(scope="session")
def book_db_template(ar_db_template):
    """Our add-ons with the dunning process tests' book of 400 invoices (a template)."""
    yield from _template("book", lambda name: templates.build_book(name, ar_db_template))


@pytest.fixture
def book_db(book_db_template):
    with copy_of(book_db_template, "ar_book") as name:
        yield name


@pytest.fixture(scope="session")
def lean_db():
    """Credit control and the portal installed together in a database with neither Sales nor Stripe
    (what an Invoicing-only company gets from Apps); shared by the tests that read it."""
    yield from _template("lean", templates.build_lean)


@pytest.fixture
def scratch_db(deps_db):
    with copy_of(deps_db, "ar_inst") as name:
        yield name


@pytest.fixture
def ar_db(ar_db_template):
    with copy_of(ar_db_template, "ar_proc") as name:
        yield name


def _addons_as_of(key, commit, addons, tmp_path_factory):
    """The add-ons ``addons`` as of ``commit``: setup/test.sh's extraction, or one made here."""
    built = templates.env_name(key)
    if built:
        return templates.Path(built)
    return templates.extract_addons(commit, addons, tmp_path_factory.mktemp(key))


@pytest.fixture(scope="session")
def old_addons(tmp_path_factory):
    """The add-ons as of OLD_COMMIT, extracted from git."""
    return _addons_as_of("old_addons", templates.OLD_COMMIT, templates.OLD_ADDONS, tmp_path_factory)


@pytest.fixture(scope="session")
def old_db_template(deps_db, old_addons):
    """A database with OLD_ADDONS installed by the code of OLD_COMMIT (a template)."""
    yield from _template("old", lambda name: templates.build_old(name, deps_db, old_addons))


@pytest.fixture(scope="session")
def previous_addons(tmp_path_factory):
    """The add-ons as of the commit before the Sales split of credit control, extracted from git."""
    return _addons_as_of("previous_addons", templates.PREVIOUS_COMMIT, templates.PREVIOUS_ADDONS, tmp_path_factory)


@pytest.fixture(scope="session")
def sale_split_template(deps_db, previous_addons):
    """Credit control of the commit before the Sales split, with an order held and a quotation
    waiting for its release (a template)."""
    yield from _template("sale_split", lambda name: templates.build_sale_split(name, deps_db, previous_addons))
