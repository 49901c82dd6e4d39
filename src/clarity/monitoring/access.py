"""Which recording a path names, and whether the caller may read it or write to it.

A path may name a recording by the server's id (``rec_…``) or by the client's session id. The
client's id is unique per owner, so it names the caller's own session first; staff may use it
for a patient's session when it is unambiguous among those they can see. A recording the caller
may not see answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from clarity.auth.principal import Principal
from clarity.db.models import Recording
from clarity.errors import Conflict, NotFound
from clarity.monitoring import repository
from clarity.monitoring.targets import TargetCache, UploadTarget
from clarity.patients import service as patients

_NOT_FOUND = "session not found"


def can_read(db: Session, principal: Principal, recording: Recording) -> bool:
    if recording.owner_id == principal.user_id or principal.is_admin:
        return True
    if principal.is_clinician and recording.patient_id:
        return patients.can_see_patient(db, principal, recording.patient_id)
    return False


def readable_recording(db: Session, principal: Principal, ref: str) -> Recording:
    """The recording ``ref`` names, if the caller may read it; else ``NotFound``."""
    by_id = repository.get_recording(db, ref) if ref.startswith("rec_") else None
    if by_id is not None and can_read(db, principal, by_id):
        return by_id
    own = repository.find_owned_session(db, principal.user_id, ref)
    if own is not None:
        return own
    if principal.is_admin or principal.is_clinician:
        visible = [
            r
            for r in repository.find_sessions_by_client_id(db, ref, limit=20)
            if can_read(db, principal, r)
        ]
        if len(visible) > 1:
            raise Conflict("several sessions have this id; use the server id (rec_...) instead")
        if visible:
            return visible[0]
    raise NotFound(_NOT_FOUND)


def writable_recording(db: Session, principal: Principal, ref: str) -> Recording:
    """The caller's own recording ``ref`` names (only a session's owner writes to it)."""
    recording = repository.get_recording(db, ref) if ref.startswith("rec_") else None
    if recording is None or recording.owner_id != principal.user_id:
        recording = repository.find_owned_session(db, principal.user_id, ref)
    if recording is None:
        raise NotFound(_NOT_FOUND)
    return recording


def upload_target(db: Session, cache: TargetCache, principal: Principal, ref: str) -> UploadTarget:
    """``writable_recording`` as uploads need it, remembered per owner once its contract is set."""
    cached = cache.get(principal.user_id, ref)
    if cached is not None:
        return cached
    target = UploadTarget.of(writable_recording(db, principal, ref))
    cache.put(principal.user_id, ref, target)
    return target
