{
    "name": "AR Collections: test channel",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "summary": "A dunning channel added from outside ar_collections: reminders posted to a webhook",
    "description": """
Proves the channel extension point of AR Collections' dunning engine: one
``selection_add`` on ``ar.dunning.level.channel`` and one ``_ar_dispatch_webhook``
on ``ar.dunning.message``; the levels, the runs, the log and the preview pick it up.
""",
    "author": "AR Collections",
    "website": "https://github.com/ar-collections/ar-collections",
    "license": "LGPL-3",
    "depends": ["ar_collections"],
    "data": [],
    "application": False,
    "installable": True,
}
