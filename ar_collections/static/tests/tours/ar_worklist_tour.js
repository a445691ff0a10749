/** @odoo-module */

import { registry } from "@web/core/registry";

// A collector opens the worklist, calls the customer on top (the largest expected loss,
// created by the Python test), gets the voicemail and logs it in two clicks.
registry.category("web_tour.tours").add("ar_collections_worklist_tour", {
    url: "/odoo/action-ar_collections.action_ar_worklist",
    steps: () => [
        {
            content: "The customer with the largest expected loss is on top",
            trigger: '.o_list_view .o_data_row:first-child .o_data_cell[name="partner_id"]:contains("Tour Worklist Customer")',
        },
        {
            content: "Log a call on the top row",
            trigger: '.o_list_view .o_data_row:first-child button[name="action_log_call"]',
            run: "click",
        },
        {
            content: "Pick the outcome: voicemail",
            trigger: '.modal .o_field_widget[name="outcome"] input[data-value="voicemail"]',
            run: "click",
        },
        {
            content: "Confirm",
            trigger: '.modal button[name="action_confirm"]',
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The next action of the row is the call again",
            trigger: '.o_list_view .o_data_row:first-child .o_data_cell[name="next_activity_summary"]:contains("Call again")',
        },
    ],
});
