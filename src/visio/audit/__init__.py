"""The audit trail: who did what, when and from where, for security officers."""

from visio.audit.trail import AuditEvent, AuditTrail, Origin

__all__ = ["AuditEvent", "AuditTrail", "Origin"]
