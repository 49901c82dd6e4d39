"""Clarity's device client: the seed 002 ``BackendAPI`` calls, offline-first with an on-disk outbox."""

from clarity.client.api import ClarityClient, new_session_id
from clarity.client.courier import ClientError, FlushReport, OfflineError
from clarity.client.delivery import Backoff
from clarity.client.outbox import DeadLetter, Outbox

__all__ = [
    "Backoff",
    "ClarityClient",
    "ClientError",
    "DeadLetter",
    "FlushReport",
    "OfflineError",
    "Outbox",
    "new_session_id",
]
