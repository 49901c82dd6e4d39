"""Report shapes: seed 002's ``/reports/upload`` answer and a report's metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ReportMetadata(BaseModel):
    """The ``metadata`` form field: seed 002's ``report_generated`` event, or its ``report`` part."""

    model_config = ConfigDict(extra="allow")

    session_id: str | None = Field(None, max_length=100)
    patient_id: str | None = Field(None, max_length=40)
    filename: str | None = Field(None, max_length=255)
    conclusion: str | None = Field(None, max_length=10_000)
    report: dict[str, Any] | None = None


class ReportUploaded(BaseModel):
    status: Literal["success"] = "success"
    report_id: str
    url: str
    duplicate: bool = False


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    report_id: str = Field(validation_alias="id")
    owner_id: str
    patient_id: str | None
    recording_id: str | None
    source: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    conclusion: str | None
    metadata: dict[str, Any] | None = Field(validation_alias="metadata_json")
    created_at: datetime
    url: str | None = None
