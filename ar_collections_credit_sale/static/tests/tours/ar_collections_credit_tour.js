/** @odoo-module */

import { registry } from "@web/core/registry";

// A salesperson opens a quotation the credit check will refuse, reads why, and asks the
// Credit Managers for a release. The quotation and customer are created by the Python test.
registry.category("web_tour.tours").add("ar_collections_credit_release_tour", {
    steps: () => [
        {
            content: "The quotation says why it will be refused, with the figures",
            trigger: '.alert-danger:contains("over its credit limit of")',
        },
        {
            content: "Ask for a credit release",
            trigger: 'button[name="action_ar_request_credit_release"]',
            run: "click",
        },
        {
            content: "The request is prefilled with the customer",
            trigger: '.o_field_widget[name="partner_id"] input:value("Tour Credit Customer")',
        },
        {
            content: "Say why",
            trigger: '.o_field_widget[name="reason"] textarea',
            run: "edit Framework contract signed; they pay by transfer before delivery.",
        },
        {
            content: "Save the request",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Send it to the Credit Managers",
            trigger: 'button[name="action_request"]',
            run: "click",
        },
        {
            content: "The request is waiting for approval",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Requested")',
        },
    ],
});
