"""Use cases: take the record and plain values (an instant, a filter), return JSON-ready views.

The command line renders these views for people or prints them as JSON; the API (later) serves
them. Views are plain dicts of str, numbers, bools, lists and None; times are ISO 8601 UTC text.
"""
