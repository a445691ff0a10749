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
        },
    ],
});

// A logged-in customer saves a card through Stripe's element (Odoo's "Payment methods" page),
// then turns autopay on with it. The card id is known to the fake Stripe (test_portal_tour.py).
registry.category("web_tour.tours").add("ar_portal_save_card_autopay_tour", {
    steps: () => [
        {
            content: "Add a card",
            trigger: 'input[name="o_payment_radio"][data-payment-method-code="card"]',
            run: "click",
        },
        {
            content: "Type the card in Stripe's element",
            trigger: "input.o_ar_fake_stripe_card",
            run: "edit pm_card_ar_tour",
        },
        {
            content: "Save it",
            trigger: 'button[name="o_payment_submit_button"]:enabled',
            run: "click",
        },
        {
            content: "The saved card is listed",
            trigger: '[name="o_payment_option"]:has(input[data-payment-option-type="token"]):contains("1881")',
            run() {
                window.location.href = "/my/autopay";
            },
        },
        {
            content: "Use it for autopay",
            trigger: 'form[action="/my/autopay/enable"] button[type="submit"]',
            run: "click",
        },
        {
            content: "Autopay is on",
            trigger: '.o_ar_autopay_company .badge:contains("Autopay on")',
        },
    ],
});
