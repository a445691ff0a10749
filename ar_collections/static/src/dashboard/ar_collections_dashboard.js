import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { getColor } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { formatFloat, formatMonetary } from "@web/views/fields/formatters";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";

/**
 * The accountant's morning page: the company's receivable KPIs, aging, twelve-month trend
 * of overdue, DSO and CEI, top risks and cash-in forecast, from one call to
 * ``ar.collections.dashboard.retrieve_dashboard``; charts with Odoo's own Chart.js bundle.
 * The figures are those last computed (hourly cron), with their time and a "Refresh" button.
 */
export class ArCollectionsDashboard extends Component {
    static template = "ar_collections.Dashboard";
    static components = { Layout };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null, refreshing: false });
        this.canvases = {
            trend: useRef("trend"),
            aging: useRef("aging"),
            ratios: useRef("ratios"),
            forecast: useRef("forecast"),
        };
        this.charts = [];
        onWillStart(async () => {
            const [data] = await Promise.all([
                this.orm.call("ar.collections.dashboard", "retrieve_dashboard", []),
                loadBundle("web.chartjs_lib"),
            ]);
            this.state.data = data;
        });
        onMounted(() => this.renderCharts());
        onWillUnmount(() => this.charts.forEach((chart) => chart.destroy()));
    }

    get kpiCards() {
        const kpis = this.state.data.kpis;
        return [
            { key: "open", label: _t("Open receivable"), value: this.money(kpis.open_amount), action: "ar_collections.action_ar_aging_report" },
            { key: "overdue", label: _t("Overdue"), value: this.money(kpis.overdue_amount),
              sub: `${formatFloat(kpis.overdue_pct, { digits: [16, 1] })} %`, action: "ar_collections.action_ar_overdue_trend" },
            { key: "dso", label: _t("DSO"), value: `${formatFloat(kpis.dso, { digits: [16, 1] })} ${_t("days")}`,
              action: "ar_collections.action_ar_customer_kpi" },
            { key: "cei", label: _t("CEI"), value: `${formatFloat(kpis.cei, { digits: [16, 1] })} %`,
              action: "ar_collections.action_ar_customer_kpi" },
            { key: "days_to_pay", label: _t("Avg days to pay"), value: formatFloat(kpis.avg_days_to_pay, { digits: [16, 1] }),
              sub: `${formatFloat(kpis.avg_days_beyond_terms, { digits: [16, 1] })} ${_t("days beyond terms")}` },
            ...this.state.data.cards.map((card) => ({
                key: card.key,
                label: card.label,
                value: card.unit === "amount" ? this.money(card.value) :
                    `${formatFloat(card.value, { digits: [16, 1] })}${card.unit === "%" ? " %" : card.unit === "days" ? " " + _t("days") : ""}`,
                sub: card.help,
                action: card.action,
            })),
        ];
    }

    get riskColumns() {
        const rows = this.state.data.top_risks;
        return {
            atRisk: rows.some((row) => row.amount_at_risk !== undefined),
            days: rows.some((row) => row.oldest_days_overdue !== undefined),
            band: rows.some((row) => row.risk_label),
        };
    }

    get computedAt() {
        return formatDateTime(deserializeDateTime(this.state.data.computed_at));
    }

    async refresh() {
        this.state.refreshing = true;
        try {
            this.state.data = await this.orm.call("ar.collections.dashboard", "retrieve_dashboard", [], {
                as_of: this.state.data.as_of,
                refresh: true,
            });
        } finally {
            this.state.refreshing = false;
        }
        this.charts.forEach((chart) => chart.destroy());
        this.charts = [];
        this.renderCharts();
    }

    async openAsOf() {
        this.actionService.doAction(await this.orm.call("ar.collections.dashboard", "action_open_dashboard", []));
    }

    money(value) {
        return formatMonetary(value, { currencyId: this.state.data.currency_id, humanReadable: true });
    }

    openAction(xmlId) {
        if (xmlId) {
            this.actionService.doAction(xmlId);
        }
    }

    openCustomer(partnerId) {
        this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: partnerId,
            views: [[false, "form"]],
        });
    }

    renderCharts() {
        const data = this.state.data;
        const Chart = window.Chart;
        const color = (index) => getColor(index, "light", "odoo");
        const moneyTicks = { callback: (value) => this.money(value) };
        const make = (ref, config) => {
            if (this.canvases[ref].el) {
                config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
                this.charts.push(new Chart(this.canvases[ref].el, config));
            }
        };
        const months = data.trend.map((row) => row.label);
        make("trend", {
            type: "line",
            data: {
                labels: months,
                datasets: [
                    { label: _t("Open"), data: data.trend.map((row) => row.open_amount), borderColor: color(0), backgroundColor: color(0) },
                    { label: _t("Overdue"), data: data.trend.map((row) => row.overdue_amount), borderColor: color(1), backgroundColor: color(1) },
                ],
            },
            options: { scales: { y: { ticks: moneyTicks } } },
        });
        make("aging", {
            type: "bar",
            data: {
                labels: data.aging.map((row) => row.label),
                datasets: [{ label: _t("Open"), data: data.aging.map((row) => row.amount), backgroundColor: data.aging.map((row, index) => color(index + 2)) }],
            },
            options: { plugins: { legend: { display: false } }, scales: { y: { ticks: moneyTicks } } },
        });
        make("ratios", {
            type: "line",
            data: {
                labels: months,
                datasets: [
                    { label: _t("DSO (days)"), data: data.trend.map((row) => row.dso), yAxisID: "days", borderColor: color(3), backgroundColor: color(3) },
                    { label: _t("CEI (%)"), data: data.trend.map((row) => row.cei), yAxisID: "percent", borderColor: color(4), backgroundColor: color(4) },
                ],
            },
            options: { scales: { days: { position: "left", beginAtZero: true }, percent: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } },
        });
        make("forecast", {
            type: "bar",
            data: {
                labels: data.forecast.map((row) => row.label),
                datasets: [{ label: _t("Expected cash-in"), data: data.forecast.map((row) => row.amount), backgroundColor: color(5) }],
            },
            options: { plugins: { legend: { display: false } }, scales: { y: { ticks: moneyTicks } } },
        });
    }
}

registry.category("actions").add("ar_collections.dashboard", ArCollectionsDashboard);
