"""Audit trail: data changes are recorded by database triggers; this package records application events
(logins, failed logins, administrative actions, configuration changes) and reads the log."""

from platform_core.audit.events import AuditAction, record_event

__all__ = ["AuditAction", "record_event"]
