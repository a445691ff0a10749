"""Suite-wide guards for the pytest-odoo run.

Odoo's HttpCase raises SkipTest when Chrome or websocket-client is missing (and pytest-odoo
skips every HttpCase without --odoo-http), which
would make a run without a browser look green. Here such a skip fails the run,
and the number of browser tours that really ran is printed at the end.
"""

import json
import os
import tempfile

import pytest

BROWSER_SKIP_MARKERS = ("chrome", "websocket", "browser", "odoo-http")
_tours = {"started": 0, "passed": 0}
_browser_skips = []


@pytest.fixture(scope="session", autouse=True)
def ar_shared_test_company(load_registry):  # pylint: disable=redefined-outer-name,unused-argument
    """The company the add-on test classes start from, built once per test database."""
    import odoo  # pylint: disable=import-outside-toplevel

    from odoo.addons.ar_collections.tests.common import ensure_shared_company  # pylint: disable=import-outside-toplevel
    registry = odoo.modules.registry.Registry(odoo.tools.config["db_name"])
    if "ar.dunning.policy" not in registry:
        return
    with registry.cursor() as cr:
        ensure_shared_company(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}))


@pytest.fixture(scope="session", autouse=True)
def ar_no_filestore_gc_across_workers(request):
    """pytest-odoo gives each xdist worker a copy of the test database but one shared filestore.
    Odoo's TransactionCase collects the filestore after each class: every file listed for
    collection that its own database does not reference is deleted, those the other worker has
    just written included (a letter then reads empty). Odoo's runner, one process per database,
    keeps the collection."""
    if not _is_xdist_worker(request.config):
        yield
        return
    from odoo.tests.common import TransactionCase  # pylint: disable=import-outside-toplevel
    original = TransactionCase.__dict__["_gc_filestore"]
    TransactionCase._gc_filestore = classmethod(lambda cls: None)
    yield
    TransactionCase._gc_filestore = original


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the slow reliability tests (setup/test.sh --slow)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    # Deselected, not skipped: a skip would read as "could not run" in the summary.
    kept = [item for item in items if "slow" not in item.keywords]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if "slow" in item.keywords])
        items[:] = kept


def _is_xdist_worker(config):
    return hasattr(config, "workerinput")


def pytest_configure(config):
    # The reliability tests append their figures here (ar_collections/tests/run_summary.py); xdist
    # workers get the controller's file through their workerinput and write to it too.
    if _is_xdist_worker(config):
        os.environ["AR_RUN_SUMMARY"] = config.workerinput["ar_run_summary"]
        return
    handle, path = tempfile.mkstemp(prefix="ar_run_summary_", suffix=".jsonl")
    os.close(handle)
    os.environ["AR_RUN_SUMMARY"] = path


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["ar_run_summary"] = os.environ["AR_RUN_SUMMARY"]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Two workers (``-n 2``): each add-on test class goes whole to one worker (its set-up is
    paid once), and so does each process-test file of ``tests/``. setup/test.sh builds the process
    tests' template databases while the first tests run (tests/templates.py): until they are all
    built, the workers get add-on classes; then the process-test files, the longest units, so that
    the short classes left fill the end of both workers' runs."""
    from xdist.scheduler import LoadScopeScheduling  # pylint: disable=import-outside-toplevel

    from tests.templates import all_built  # pylint: disable=import-outside-toplevel

    class ArScheduling(LoadScopeScheduling):

        def _assign_work_unit(self, node):
            process_first = all_built()
            for scope in self.workqueue:
                if scope.startswith("tests/") == process_first:
                    self.workqueue.move_to_end(scope, last=False)
                    break
            super()._assign_work_unit(node)

    return ArScheduling(config, log)


def pytest_sessionstart(session):  # pylint: disable=unused-argument
    _start_tour_counter()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):  # pylint: disable=unused-argument
    """A worker's tour count, added to the run's."""
    counts = json.loads(getattr(node, "workeroutput", {}).get("ar_tours", "{}"))
    for key, value in counts.items():
        _tours[key] += value


def _start_tour_counter():
    try:
        from odoo.tests import common
    except ImportError:  # not an Odoo run (e.g. linting helpers only)
        return
    original = common.HttpCase.start_tour

    def start_tour(self, *args, **kwargs):
        _tours["started"] += 1
        result = original(self, *args, **kwargs)
        _tours["passed"] += 1
        return result

    common.HttpCase.start_tour = start_tour


def pytest_runtest_logreport(report):
    if report.skipped:
        reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
        if any(marker in reason.lower() for marker in BROWSER_SKIP_MARKERS):
            _browser_skips.append(f"{report.nodeid}: {reason}")


def _reliability_summary(terminalreporter):
    path = os.environ.get("AR_RUN_SUMMARY")
    if not path or not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as summary:
        rows = [json.loads(line) for line in summary if line.strip()]
    os.unlink(path)
    if not rows:
        return
    labels = {"trials": "kill trials", "kills": "workers killed", "faults": "faults injected",
              "messages": "messages checked", "duplicates": "duplicates found",
              "inputs": "hostile inputs tried", "accepted_bad": "accepted-bad inputs found"}
    totals = {key: sum(row.get(key, 0) for row in rows) for key in labels}
    terminalreporter.write_line("reliability summary: " + ", ".join(
        f"{label} {totals[key]}" for key, label in labels.items()))
    for row in rows:
        figures = ", ".join(f"{labels[key]} {row[key]}" for key in labels if key in row)
        terminalreporter.write_line(f"  {row['source']}: {figures}")


def pytest_terminal_summary(terminalreporter):
    if _is_xdist_worker(terminalreporter.config):
        return  # the controller prints the run's figures, the workers' included
    _reliability_summary(terminalreporter)
    terminalreporter.write_line(
        f"browser tours: {_tours['started']} started, {_tours['passed']} passed"
    )
    for line in _browser_skips:
        terminalreporter.write_line(f"BROWSER TEST COULD NOT RUN (counted as failure): {line}", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
    if _is_xdist_worker(session.config):
        session.config.workeroutput["ar_tours"] = json.dumps(_tours)
    if _browser_skips and session.exitstatus == 0:
        session.exitstatus = 1
