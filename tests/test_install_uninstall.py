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


# ar_collections and its cash application: test_base_alone_then_its_cash_application; credit
# control alone: test_credit_alone_with_its_delivery_bridge
@pytest.mark.parametrize("module", [module for module in OURS
                                    if module not in ("ar_collections", "ar_collections_cash", "ar_collections_credit")])
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


CASH = "ar_collections_cash"


def cash_application(db):
    """What a database shows of the cash application: its models, menus, columns and matcher."""
    return {
        "models": sorted(row[0] for row in psql(
            db, "SELECT model FROM ir_model WHERE model LIKE 'ar.cash.match%' OR model LIKE 'ar.remittance%'")),
        "menus": psql(db, "SELECT id FROM ir_ui_menu WHERE name->>'en_US' IN "
                          "('Cash application', 'Exceptions queue', 'Match log', 'Remittance advices')"),
        "columns": psql(db, "SELECT table_name, column_name FROM information_schema.columns WHERE "
                            "(table_name = 'res_company' AND column_name LIKE 'ar_cash%') OR "
                            "(table_name = 'account_bank_statement_line' AND column_name LIKE 'ar_%')"),
        "crons": psql(db, "SELECT id FROM ir_cron WHERE cron_name LIKE '%match incoming payments%'"),
    }


def test_base_alone_then_its_cash_application(scratch_db):
    """ar_collections alone has no cash application (the cash add-on is not installed with it);
    installing ar_collections_cash afterwards brings it whole; uninstalling ar_collections takes
    both away cleanly."""
    run_odoo(scratch_db, "-i", "ar_collections", "--stop-after-init")
    assert_installed_and_working(scratch_db, {"ar_collections"})
    states = module_states(scratch_db)
    assert all(states.get(other) != "installed" for other in set(OURS) - {"ar_collections"}), states
    alone = cash_application(scratch_db)
    assert alone["models"] == [], "ar_collections alone defines cash models"
    assert alone["menus"] == [], "ar_collections alone shows cash menus"
    assert alone["columns"] == [], f"ar_collections alone adds cash columns: {alone['columns']}"
    assert alone["crons"] == [], "ar_collections alone schedules the matcher"
    assert states.get(CASH) == "uninstalled", "ar_collections_cash is installed with ar_collections"

    run_odoo(scratch_db, "-i", CASH, "--stop-after-init")
    assert_installed_and_working(scratch_db, {"ar_collections", CASH})
    states = module_states(scratch_db)
    assert all(states.get(other) != "installed" for other in set(OURS) - {"ar_collections", CASH}), states
    assert cash_application(scratch_db)["models"] == [
        "ar.cash.match", "ar.cash.match.line", "ar.cash.match.report", "ar.cash.match.split",
        "ar.cash.match.split.line", "ar.remittance", "ar.remittance.import", "ar.remittance.line"]
    # its menus hang under ar_collections' Collections menu
    assert psql(scratch_db, f"""
        SELECT parent.name
          FROM ir_ui_menu menu JOIN ir_model_data d ON d.res_id = menu.id AND d.model = 'ir.ui.menu'
          JOIN ir_model_data parent ON parent.res_id = menu.parent_id AND parent.model = 'ir.ui.menu'
         WHERE d.module = '{CASH}' AND d.name = 'menu_ar_cash_application'
           AND parent.module = 'ar_collections'""") == [["menu_ar_collections"]]
    assert psql(scratch_db, f"""SELECT c.interval_number, c.interval_type, c.active FROM ir_cron c
                                 JOIN ir_model_data d ON d.res_id = c.id AND d.model = 'ir.cron'
                                WHERE d.module = '{CASH}' AND d.name = 'ir_cron_ar_cash_match'""") \
        == [["30", "minutes", "t"]]
    assert psql(scratch_db, "SELECT ar_cash_auto_confidence, ar_cash_pause_confidence FROM res_company "
                            "ORDER BY id LIMIT 1") == [["90", "70"]]

    # uninstalling the base add-on takes its dependents with it
    uninstall(scratch_db, "ar_collections")
    assert_clean(scratch_db, ["ar_collections", CASH])
