# Demo and benchmark generators live here; nothing is imported at server start: the
# scripts and tests that use them import them by name.
