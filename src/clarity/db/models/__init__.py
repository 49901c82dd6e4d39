"""Every ORM table, one module per aggregate. Importing this package registers them all."""

from clarity.db.models.audit import AuditEvent
from clarity.db.models.monitoring import (
    AlertRule,
    IdempotencyRecord,
    MetricSample,
    Recording,
    RecordingEvent,
    WaveformChunk,
)
from clarity.db.models.patients import CareAssignment, Patient
from clarity.db.models.reports import Report
from clarity.db.models.users import ApiKey, AuthSession, User

__all__ = [
    "AlertRule",
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "CareAssignment",
    "IdempotencyRecord",
    "MetricSample",
    "Patient",
    "Recording",
    "RecordingEvent",
    "Report",
    "User",
    "WaveformChunk",
]
