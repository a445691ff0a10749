# The matcher (cash_matching) is imported by the models; the demo generator (demo_cash) only by
# the scripts and tests that use it, by name.
