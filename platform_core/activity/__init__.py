"""Learner activity: what the player (or the simulator) writes, and how it becomes progress.

Pure core: ``events`` (envelope and per-type models), ``segments`` (interval union, coverage,
``PlaybackTracker``) and ``xapi`` (xAPI 1.0.3 / Video Profile mapping). Database services: ``sessions``
(cross-device sync), ``progress``/``fold``/``lessons`` (watched segments and completion), ``ingest``
(idempotent batch ingest with quarantine) and ``xapi_io`` (export and import).
"""
