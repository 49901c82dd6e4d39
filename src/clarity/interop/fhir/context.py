"""Shared state of one bundle build: stable ``urn:uuid`` names and the common references."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clarity.interop.fhir.codes import CLARITY_URN, SOURCE_METHODS
from clarity.interop.fhir.records import Source
from clarity.kit.time import isoformat_z

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, CLARITY_URN)


def identifier_system(kind: str) -> str:
    """The namespace of Clarity's own ids of one kind (``patient``, ``recording``, ``event``)."""
    return f"{CLARITY_URN}:id:{kind}"


def identifier(kind: str, value: str) -> dict[str, str]:
    """A FHIR ``Identifier`` for one of Clarity's ids."""
    return {"system": identifier_system(kind), "value": value}


def instant(value: datetime) -> str:
    """A FHIR ``instant``/``dateTime`` (aware UTC, ``Z``)."""
    return isoformat_z(value)


def period(start: datetime, end: datetime | None) -> dict[str, str]:
    """A FHIR ``Period``; an open end while the session is still recording."""
    return {"start": instant(start), "end": instant(end)} if end else {"start": instant(start)}


@dataclass(frozen=True)
class BuildContext:
    """What every resource of one session's bundle shares.

    Each resource's ``fullUrl`` is a UUID derived from the recording id and the resource's role
    (``patient``, ``metric/device/8867-4``…), so exporting the same session twice names its
    resources the same way and a receiver can recognise what it already has.
    """

    recording_id: str
    generated_at: datetime
    observation_status: str
    has_patient: bool
    has_waveform: bool

    def full_url(self, key: str) -> str:
        return f"urn:uuid:{self.resource_id(key)}"

    def resource_id(self, key: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.recording_id}/{key}"))

    def reference(self, key: str, display: str | None = None) -> dict[str, str]:
        ref = {"reference": self.full_url(key)}
        return ref | {"display": display} if display else ref

    def subject(self) -> dict[str, Any]:
        """``{"subject": Reference(Patient)}`` to merge into a resource, or nothing."""
        return {"subject": self.reference("patient")} if self.has_patient else {}

    def measured_by(self, source: Source) -> dict[str, Any]:
        """``method`` and ``device`` saying who produced a value: the recorder or Clarity."""
        device = "device/recorder" if source == "device" else "device/clarity"
        return {"method": SOURCE_METHODS[source], "device": self.reference(device)}
