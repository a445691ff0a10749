{
    "name": "AR Collections: Credit Releases in Slack",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Credit release requests announced in Slack, approved or declined there by a Credit Manager "
    "other than the requester",
    "author": "AR Collections",
    "license": "LGPL-3",
    "maintainers": ["ar-collections"],
    "development_status": "Beta",
    "depends": ["ar_collections_slack", "ar_collections_credit"],
    "auto_install": True,
}
