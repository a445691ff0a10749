"""Figures of the reliability tests, gathered for the summary printed at the end of a run.

A test calls ``record(...)`` with what it measured (trials, faults injected, messages
checked, duplicates found, hostile inputs tried, accepted-bad inputs found); the suite's
``conftest.py`` adds them up and prints one table. Outside such a run it does nothing.
"""
import json
import os

FIGURES = ("trials", "kills", "faults", "messages", "duplicates", "inputs", "accepted_bad")


def record(source, **figures):
    """Add ``figures`` (names from ``FIGURES``) measured by ``source`` to the run's summary."""
    unknown = set(figures) - set(FIGURES)
    if unknown:
        raise ValueError(f"unknown summary figures: {sorted(unknown)}")
    path = os.environ.get("AR_RUN_SUMMARY")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(json.dumps({"source": source, **figures}) + "\n")
