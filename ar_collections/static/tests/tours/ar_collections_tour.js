/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// An accountant finds an overdue invoice through the Collections menu and sees its
// Collections tab. The invoice (TOUR-OVERDUE customer) is created by the Python test.
registry.category("web_tour.tours").add("ar_collections_overdue_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the Collections menu",
            trigger: '.o_menu_sections [data-menu-xmlid="ar_collections.menu_ar_collections"]',
            run: "click",
        },
        {
            content: "Open Overdue Invoices",
            trigger: '.o-dropdown-item[data-menu-xmlid="ar_collections.menu_ar_overdue_invoices"]',
            run: "click",
        },
        {
            content: "The overdue invoice is listed",
            trigger: '.o_list_view .o_data_row:contains("Tour Overdue Customer") .o_data_cell[name="partner_id"]',
            run: "click",
        },
        {
            content: "Open the Collections tab of the invoice",
            trigger: '.o_notebook .nav-link[name="ar_collections"]',
            run: "click",
        },
        {
            content: "Days overdue is shown",
            trigger: '.o_field_widget[name="ar_days_overdue"]:contains("12")',
        },
    ],
});

// A collector records a dispute from the invoice; the invoice then shows that reminders are paused.
registry.category("web_tour.tours").add("ar_collections_dispute_tour", {
    steps: () => [
        {
            content: "Open the Collections tab of the invoice",
            trigger: '.o_notebook .nav-link[name="ar_collections"]',
            run: "click",
        },
        {
            content: "Record a dispute",
            trigger: 'button[name="action_ar_open_dispute"]',
            run: "click",
        },
        {
            content: "Choose the reason",
            trigger: '.modal .o_field_widget[name="reason"] select',
            run: 'select "not_received"',
        },
        {
            content: "Describe it",
            trigger: '.modal .o_field_widget[name="description"] textarea',
            run: "edit The goods never arrived at our warehouse.",
        },
        {
            content: "Save the dispute",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Reload the invoice to see the pause",
            trigger: ".o_form_view",
            run() {
                window.location.reload();
            },
            expectUnloadPage: true,
        },
        {
            content: "Open the Collections tab again",
            trigger: '.o_notebook .nav-link[name="ar_collections"]',
            run: "click",
        },
        {
            content: "Reminders are paused because of the dispute",
            trigger: '.o_field_widget[name="ar_pause_reason"]:contains("Disputed: Not received")',
        },
    ],
});
