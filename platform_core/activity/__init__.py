"""Learner activity: what the player (or the simulator) writes, and how it becomes progress.

Pure core: ``events`` (envelope and per-type models) and ``event_parsing`` (validating raw events),
``segments`` (interval union, coverage, ``PlaybackTracker``), ``xapi`` (xAPI 1.0.3 / Video Profile
mapping), ``xapi_import`` (statements back into events) and ``xapi_checks`` (Video Profile rules).
Database services: ``sessions`` (cross-device sync), ``progress``/``fold``/``lessons`` (watched segments
and completion), ``ingest`` (idempotent batch ingest with quarantine) and ``xapi_io`` (export and
import).
"""
