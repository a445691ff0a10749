{
    "name": "AR Collections: test channel",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "summary": "A dunning channel added from outside ar_collections: reminders posted to a webhook",
    "author": "AR Collections",
    "maintainers": ["ar-collections"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["ar_collections"],
}
