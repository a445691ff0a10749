"""The add-ons install and uninstall cleanly, together and one by one.

Each scenario runs real Odoo processes on a copy of a database that has only the add-ons'
dependencies installed (all together: of the template made by installing them all on such a
copy, tests/templates.py), then checks PostgreSQL directly for leftovers.
"""

import pytest

from .odoo_process import odoo_shell, psql, run_odoo
from .templates import OURS

OUR_COLUMNS = {
    "res_partner": ("ar_dunning_policy_id", "ar_collector_id", "ar_no_chase", "ar_credit_hold"),
    "account_move": ("ar_dunning_policy_id", "ar_no_chase", "ar_no_chase_reason"),
    "res_company": ("ar_dunning_policy_id", "ar_reply_pause_days"),
}


def module_states(db):
    rows = psql(db, "SELECT name, state FROM ir_module_module WHERE name LIKE 'ar_collections%'")
    return dict(rows)


def uninstall(db, *modules):
    odoo_shell(db, (
        f"env['ir.module.module'].search([('name', 'in', {list(modules)!r})]).button_immediate_uninstall()\n"
        "env.cr.commit()\n"
    ))


def assert_installed_and_working(db, modules):
    states = module_states(db)
    for module in modules:
        assert states.get(module) == "installed", f"{module} not installed: {states}"
    # the install hook gave the company its default policy with six levels
    rows = psql(db, """
        SELECT count(l.id) FROM res_company c
        JOIN ar_dunning_policy p ON p.id = c.ar_dunning_policy_id
        JOIN ar_dunning_level l ON l.policy_id = p.id
    """)
    assert rows == [["6"]], f"default policy levels: {rows}"


def assert_clean(db, removed):
    states = module_states(db)
    for module in removed:
        assert states.get(module) == "uninstalled", f"{module} still {states.get(module)}"
    leftovers = psql(db, f"""
        SELECT module, model, count(*) FROM ir_model_data
        WHERE module IN {tuple(removed) + ('',)!r} GROUP BY module, model
    """)
    assert not leftovers, f"records of uninstalled modules remain: {leftovers}"
    if "ar_collections" in removed:
        tables = psql(db, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'ar\\_%'")
        assert not tables, f"tables remain: {tables}"
        for table, columns in OUR_COLUMNS.items():
            rows = psql(db, f"""
                SELECT column_name FROM information_schema.columns
                WHERE table_name = '{table}' AND column_name IN {columns!r}
            """)
            assert not rows, f"columns remain on {table}: {rows}"
        indexes = psql(db, "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ar\\_%'")
        assert not indexes, f"indexes remain: {indexes}"
        models = psql(db, "SELECT model FROM ir_model WHERE model LIKE 'ar.%'")
        assert not models, f"models remain: {models}"
        menus = psql(db, "SELECT id FROM ir_ui_menu WHERE name->>'en_US' = 'Collections'")
        assert not menus, "the Collections menu remains"
    if "ar_collections_credit" in removed:
        rows = psql(db, "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = 'res_partner' AND column_name LIKE 'ar\\_credit%'")
        assert not rows, f"credit columns remain: {rows}"


def test_all_together_then_one_by_one(ar_db):
    """``ar_db`` is a copy of the template built by ``-i`` of all of them on the dependencies."""
    assert_installed_and_working(ar_db, OURS)
    uninstall(ar_db, "ar_collections_credit")
    assert_clean(ar_db, ["ar_collections_credit", "ar_collections_credit_stock"])
    assert module_states(ar_db)["ar_collections_portal"] == "installed"
    uninstall(ar_db, "ar_collections_portal")
    assert_clean(ar_db, ["ar_collections_credit", "ar_collections_portal"])
    assert module_states(ar_db)["ar_collections"] == "installed"
    uninstall(ar_db, "ar_collections")
    assert_clean(ar_db, list(OURS))


# Credit control alone: test_credit_alone_with_its_delivery_bridge
@pytest.mark.parametrize("module", [module for module in OURS if module != "ar_collections_credit"])
def test_each_alone(scratch_db, module):
    run_odoo(scratch_db, "-i", module, "--stop-after-init")
    expected = {module, "ar_collections"}
    assert_installed_and_working(scratch_db, expected)
    others = set(OURS) - expected
    states = module_states(scratch_db)
    assert all(states.get(other) != "installed" for other in others), states
    # uninstalling the base add-on takes its dependents with it
    uninstall(scratch_db, "ar_collections")
    assert_clean(scratch_db, sorted(expected))


def test_credit_alone_with_its_delivery_bridge(scratch_db):
    """Credit control alone; with Inventory (sale_stock) present, the delivery bridge installs
    itself with it, and leaves with it."""
    run_odoo(scratch_db, "-i", "ar_collections_credit", "--stop-after-init")
    assert_installed_and_working(scratch_db, {"ar_collections_credit", "ar_collections"})
    states = module_states(scratch_db)
    assert states.get("ar_collections_credit_stock") == "installed", states
    assert all(states.get(other) != "installed" for other in set(OURS) - {"ar_collections_credit", "ar_collections"})
    uninstall(scratch_db, "ar_collections_credit")
    assert_clean(scratch_db, ["ar_collections_credit", "ar_collections_credit_stock"])
    assert module_states(scratch_db)["ar_collections"] == "installed"
    uninstall(scratch_db, "ar_collections")
    assert_clean(scratch_db, ["ar_collections", "ar_collections_credit", "ar_collections_credit_stock"])
