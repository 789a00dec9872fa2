"""GDPR: export everything about a person, and erase them by pseudonymisation.

Erasure keeps every row (grades, progress, attempts, events), so class aggregates and analytics stay
valid, but replaces what identifies the person: the users row's email, name, password and preferences,
device details of their sessions and events, and the same values wherever the audit trail recorded them
(also in archived Parquet files).
"""

from platform_core.gdpr.erase import ErasureReport, GdprError, erase_person
from platform_core.gdpr.export import export_person, write_export

__all__ = ["ErasureReport", "GdprError", "erase_person", "export_person", "write_export"]
