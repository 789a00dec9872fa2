"""Learner activity, pure core: event envelope validation, watched-segment arithmetic and xAPI mapping.

Submodules: ``events`` (pydantic models, ``parse_event``, ``validate_batch``), ``segments`` (interval
union, coverage, ``PlaybackTracker``) and ``xapi`` (xAPI 1.0.3 / Video Profile statements). Nothing here
touches the database; the ingest service builds on these.
"""
