/** @odoo-module */

import { registry } from "@web/core/registry";

// A customer opens the link of a reminder email (no login), pays everything overdue by card
// through Stripe's payment element, and lands back on a statement with nothing overdue.
// The reminder and the fake Stripe (API and Stripe.js) are prepared by test_portal_tour.py.
registry.category("web_tour.tours").add("ar_portal_pay_overdue_tour", {
    steps: () => [
        {
            content: "The statement shows the overdue invoices",
            trigger: ".o_ar_statement .o_ar_statement_line.table-danger",
        },
        {
            content: "Pay everything overdue",
            trigger: "a.o_ar_pay_overdue",
            run: "click",
        },
        {
            content: "The payment page lists the invoices paid",
            trigger: ".o_ar_statement_pay .o_ar_pay_invoice",
        },
        {
            content: "Pay by card",
            trigger: 'input[name="o_payment_radio"][data-payment-method-code="card"]',
            run: "click",
        },
        {
            content: "Stripe's card element is shown",
            trigger: "input.o_ar_fake_stripe_card",
            run: "edit pm_card_visa",
        },
        {
            content: "Pay",
            trigger: 'button[name="o_payment_submit_button"]:enabled',
            run: "click",
        },
        {
            content: "Back on the statement: nothing is overdue any more",
            trigger: ".o_ar_statement:not(:has(.o_ar_statement_line.table-danger))",
            expectUnloadPage: false,
        },
    ],
});
