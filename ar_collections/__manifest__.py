{
    "name": "AR Collections",
    "version": "18.0.2.0.0",
    "category": "Accounting/Accounting",
    "summary": "Automated dunning and collections for customer invoices: "
    "policies, reminder levels, collector workspace, AR analytics",
    "description": """
AR Collections
==============
Chase unpaid customer invoices without doing it by hand.

* Dunning policies with ordered reminder levels before and after the due date
  (email, SMS, letter, phone call activity), per company, overridable per
  customer and per invoice.
* "Do not chase" exclusions with a reason and an end date.
* A daily scheduled run that queues one reminder per customer and channel
  with every invoice due for it, jumping straight to the highest level
  reached, never sending a level twice, pausing customers who replied or are
  excluded, and checking again right before anything leaves the mail queue.
* "Run reminders now" with a preview, a reminder log on invoices and
  customers, escalation activities and credit-hold suggestions.
* A Collections menu in Invoicing/Accounting with overdue invoices and the
  customers to chase, and collector / manager access groups.
* Collector workspace: a worklist ranked by expected loss, two-click call
  outcomes, collector assignment; promises to pay detected kept or broken
  (broken ones escalate), payment plans with instalment reminders and
  adherence, disputes with amount, attachments, SLA and escalations, and a
  draft credit note on resolution.
* Analytics: aging as of any date, DSO (countback), CEI, % overdue, days to
  pay and beyond terms, overdue trend, a dashboard; pay-date prediction, a
  13-week cash-in forecast, an at-risk flag and a backtest command.
* A daily digest to the managers by email and to a Slack webhook.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["account", "mail", "portal", "sms"],
    "data": [
        "security/ar_collections_security.xml",
        "security/ir.model.access.csv",
        "data/mail_message_subtype_data.xml",
        "data/mail_template_data.xml",
        "data/sms_template_data.xml",
        "data/ar_collections_workspace_mail_data.xml",
        "data/ar_digest_mail_data.xml",
        "data/ir_cron_data.xml",
        "report/ar_dunning_reports.xml",
        "report/ar_dunning_letter_templates.xml",
        "report/ar_aging_report_views.xml",
        "views/ar_customer_kpi_views.xml",
        "views/ar_collections_dashboard_views.xml",
        "wizard/ar_aging_wizard_views.xml",
        "report/ar_cash_forecast_views.xml",
        "views/ar_dunning_templates.xml",
        "views/ar_dunning_policy_views.xml",
        "views/ar_dunning_level_views.xml",
        "views/ar_dunning_run_views.xml",
        "views/ar_dunning_message_views.xml",
        "views/ar_dunning_log_views.xml",
        "views/ar_dispute_views.xml",
        "views/ar_promise_views.xml",
        "views/ar_payment_plan_views.xml",
        "views/ar_digest_views.xml",
        "wizard/ar_dunning_preview_views.xml",
        "wizard/ar_call_outcome_views.xml",
        "wizard/ar_assign_collector_views.xml",
        "report/ar_worklist_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ar_collections/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "_post_init_hook",
    "uninstall_hook": "_uninstall_hook",
    "application": True,
    "installable": True,
}
