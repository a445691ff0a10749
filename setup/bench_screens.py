"""Screen speed: each Collections screen's default view opened through the calls the web
client makes (the menu's action, then web_search_read / web_read_group / read_group /
the client action's RPC), as an administrator, on the benchmark's book.

Used by ``bench.py --step screens``; ``measure_screens(env)`` runs in an Odoo process.
Each screen is loaded ``repeats`` times after one warm-up load; the ORM cache is emptied
before each load (a new request starts with an empty cache), the registry's caches are kept
(a running server has them). Figures: median and p95 in seconds, SQL queries of one load.
"""
import statistics
import time

from lxml import etree

SCREENS = (
    # (label, menu action xml id)
    ("Dashboard", "ar_collections.action_ar_collections_dashboard_client"),
    ("Worklist", "ar_collections.action_ar_worklist"),
    ("Aging pivot", "ar_collections.action_ar_aging_report"),
    ("Customer KPIs", "ar_collections.action_ar_customer_kpi"),
    ("Overdue trend", "ar_collections.action_ar_overdue_trend"),
    ("Cash-in forecast", "ar_collections.action_ar_cash_forecast"),
    ("Run reminders preview", "ar_collections.action_ar_dunning_preview"),
    ("Reminders", "ar_collections.action_ar_dunning_message"),
    ("Reminder log", "ar_collections.action_ar_dunning_log"),
    ("Disputes", "ar_collections.action_ar_dispute"),
    ("Promises", "ar_collections.action_ar_promise"),
    ("Overdue invoices", "ar_collections.action_ar_overdue_invoices"),
    ("Customers to chase", "ar_collections.action_ar_customers_to_chase"),
    ("Collector performance", "ar_collections.action_ar_collector_report"),
    ("Dunning effectiveness", "ar_collections.action_ar_dunning_effectiveness"),
)
# The screens that open on stored figures, and their "Refresh" (computing them again), measured
# too: (label, loader, loads); fewer loads, each takes seconds on the large book.
REFRESH_SUFFIX = ": Refresh"  # a button, not a screen opening: no target
REFRESHES = (
    ("Dashboard: Refresh", lambda env: len(env["ar.collections.dashboard"].retrieve_dashboard(refresh=True)["trend"]),
     5),
    ("Customer KPIs: Refresh", lambda env: len(env["ar.customer.kpi"].search(
        env["ar.customer.kpi"].action_refresh()["domain"], limit=LIMITS["list"])), 5),
)
LIMITS = {"list": 80, "kanban": 40}
TARGET_SECONDS = 1.0


def _spec(model, arch):
    """The web client's specification of the fields a list, kanban or form view shows
    (relational fields with their display name; sub-views' fields are left out)."""
    spec = {}
    for node in arch.iter("field"):
        if any(parent.tag in ("list", "kanban", "form") for parent in node.iterancestors() if parent is not arch):
            continue  # a field of an x2many's sub-view
        name = node.get("name")
        field = model._fields.get(name)
        if field is None:
            continue
        spec[name] = {"fields": {"display_name": {}}} if field.relational else {}
    return spec


def _search_defaults(env, action, context):
    """Domain and group-bys of the search view's filters the action turns on by default."""
    model = env[action["res_model"]]
    view_id = action.get("search_view_id") and action["search_view_id"][0]
    arch = etree.fromstring(model.get_views([(view_id, "search")])["views"]["search"]["arch"])
    domain, groupby = [], []
    from odoo.tools.safe_eval import datetime, dateutil, safe_eval  # pylint: disable=import-outside-toplevel

    eval_ctx = {"uid": env.uid, "context_today": datetime.date.today, "datetime": datetime,
                "relativedelta": dateutil.relativedelta.relativedelta}
    for node in arch.iter("filter"):
        if not context.get(f"search_default_{node.get('name')}"):
            continue
        if node.get("domain"):
            domain += safe_eval(node.get("domain"), eval_ctx)
        if node.get("context"):
            group = safe_eval(node.get("context"), eval_ctx).get("group_by")
            if group:
                groupby += group if isinstance(group, list) else [group]
        if node.get("date"):
            pass  # date filters (a period) by default: the whole history is no slower
    return domain, groupby


def _open_window(env, action):
    """Load the action's first view as the web client does; return the rows loaded."""
    from odoo.tools.safe_eval import safe_eval  # pylint: disable=import-outside-toplevel

    context = action.get("context") or {}
    if isinstance(context, str):
        context = safe_eval(context, {"uid": env.uid, "active_id": False})
    model = env[action["res_model"]].with_context(**{k: v for k, v in context.items()
                                                     if not k.startswith("search_default_")})
    domain = safe_eval(action.get("domain") or "[]", {"uid": env.uid}) if isinstance(
        action.get("domain"), str) else list(action.get("domain") or [])
    extra, groupby = _search_defaults(env, action, context)
    domain = domain + extra
    view_type = action["view_mode"].split(",")[0]
    view_id = next((view for view, mode in action.get("views") or [] if mode == view_type), False)
    views = model.get_views([(view_id, view_type)])
    arch = etree.fromstring(views["views"][view_type]["arch"])
    if view_type in ("list", "kanban") and not groupby:
        return model.web_search_read(domain, _spec(model, arch), limit=LIMITS[view_type], count_limit=10001)["length"]
    if view_type in ("list", "kanban"):
        return len(model.web_read_group(domain, [], groupby[:1], limit=LIMITS[view_type])["groups"])
    if view_type == "pivot":
        rows = [node.get("name") + (f":{node.get('interval')}" if node.get("interval") else "")
                for node in arch.iter("field") if node.get("type") == "row"][:1] or groupby[:1]
        cols = [node.get("name") + (f":{node.get('interval')}" if node.get("interval") else "")
                for node in arch.iter("field") if node.get("type") == "col"][:1]
        measures = [f"{node.get('name')}:{model._fields[node.get('name')].aggregator or 'sum'}"
                    for node in arch.iter("field") if node.get("type") == "measure"] or ["__count"]
        count = 0
        # the pivot reads the totals, then the row and column headers and the cells (once each)
        for groups in dict.fromkeys(tuple(groups) for groups in ([], rows, cols, rows + cols)):
            count += len(model.read_group(domain, measures, list(groups), lazy=False))
        return count
    if view_type == "graph":
        fields = list(arch.iter("field"))
        groups = groupby or [node.get("name") + (f":{node.get('interval')}" if node.get("interval") else "")
                             for node in fields if node.get("type") != "measure"]
        measures = [f"{node.get('name')}:sum" for node in fields if node.get("type") == "measure"] or ["__count"]
        return len(model.read_group(domain, measures, groups, lazy=False))
    raise ValueError(f"no loader for the {view_type} view")


def load_screen(env, xmlid):
    """One load of the screen the menu entry ``xmlid`` opens."""
    action = env.ref(xmlid)
    if action._name == "ir.actions.client":
        if action.tag == "ar_collections.dashboard":
            return len(env["ar.collections.dashboard"].retrieve_dashboard()["trend"])
        raise ValueError(f"no loader for the client action {action.tag}")
    if action._name == "ir.actions.server":
        result = action.with_context(active_model=action.model_name).run()
        if result.get("res_id"):  # a form (the run preview): the record as the form reads it
            model = env[result["res_model"]]
            arch = etree.fromstring(model.get_views([(False, "form")])["views"]["form"]["arch"])
            spec = _spec(model, arch)
            for name, field in model._fields.items():
                if name in spec and field.type == "one2many":
                    sub = env[field.comodel_name]
                    spec[name] = {"fields": {fname: ({"fields": {"display_name": {}}} if sub._fields[fname].relational
                                                     else {})
                                             for fname in sub._fields
                                             if not sub._fields[fname].type.endswith("2many")
                                             and fname not in ("create_uid", "write_uid")}}
            return len(model.browse(result["res_id"]).web_read(spec))
        return _open_window(env, {**result, "search_view_id": False})
    return _open_window(env, action.read()[0])


def store_nightly_risk(env):
    """What the nightly refresh of the predictions stores for the worklist (``ar.risk.rate``):
    a book grown by copying rows has none. Stored for every customer with an open invoice,
    as the refresh does batch by batch; returns the seconds it took."""
    from odoo import fields  # pylint: disable=import-outside-toplevel
    from odoo.tools import SQL  # pylint: disable=import-outside-toplevel

    started = time.perf_counter()
    partner_ids = [partner_id for [partner_id] in env.execute_query(SQL(
        "SELECT DISTINCT commercial_partner_id FROM account_move"
        " WHERE move_type = 'out_invoice' AND state = 'posted' AND payment_state IN ('not_paid', 'partial')"))]
    env["ar.risk.rate"]._ar_store(env["res.partner"].browse(partner_ids), fields.Date.context_today(env.user))
    return time.perf_counter() - started


def store_month_ends(env):
    """What the hourly refresh stores for the overdue trend (``ar.overdue.balance``): the past
    month ends of every company; returns the seconds it took."""
    started = time.perf_counter()
    env["ar.overdue.balance"]._ar_store(env["res.company"].search([]))
    return time.perf_counter() - started


def measure_screens(env, repeats=20, screens=SCREENS, refreshes=REFRESHES):
    """{label: {"median", "p95", "queries", "rows"}} of each screen, ``repeats`` loads each
    (each refresh its own number of loads), once the nightly risk and the trend's month ends are stored."""
    results = {}
    cr = env.cr
    if "ar.risk.rate" in env:
        store_nightly_risk(env)
    if "ar.overdue.balance" in env:
        store_month_ends(env)
    loads = [(label, lambda env, xmlid=xmlid: load_screen(env, xmlid), repeats)
             for label, xmlid in screens if env.ref(xmlid, raise_if_not_found=False)]
    loads += [refresh for refresh in refreshes
              if any(refresh[0] == label + REFRESH_SUFFIX for label, _xmlid in screens)]
    for label, load, count in loads:
        try:
            with cr.savepoint():
                env.invalidate_all()
                load(env)  # warm-up: views, assets of the registry, the figures a screen stores
                samples = []
                for _i in range(count):
                    env.invalidate_all()
                    cr.sql_log_count = 0
                    started = time.perf_counter()
                    rows = load(env)
                    samples.append(time.perf_counter() - started)
                    queries = cr.sql_log_count
        except Exception as error:  # pylint: disable=broad-exception-caught
            # one screen failing is a row of the table, not the end of the benchmark
            env.invalidate_all()
            results[label] = {"error": str(error).splitlines()[0][:120]}
            continue
        samples.sort()
        results[label] = {"median": statistics.median(samples),
                          "p95": samples[int(round(0.95 * (len(samples) - 1)))],
                          "queries": queries, "rows": rows}
    return results


def screens_table(results):
    """The screens as a text table: screen, median, p95, queries, under the target."""
    head = ("screen (default view, as admin)", "median", "p95", "queries", f"p95 < {TARGET_SECONDS:.0f} s")
    rows = [(label, f"{r['median'] * 1000:.0f} ms", f"{r['p95'] * 1000:.0f} ms", str(r["queries"]),
             "yes" if r["p95"] < TARGET_SECONDS else "-" if label.endswith(REFRESH_SUFFIX) else "NO")
            if "error" not in r
            else (label, "-", "-", "-", f"error: {r['error']}") for label, r in results.items()]
    widths = [max(len(str(row[i])) for row in (head, *rows)) for i in range(len(head))]
    lines = [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(head)),
             "-|-".join("-" * width for width in widths)]
    lines += [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(lines)
