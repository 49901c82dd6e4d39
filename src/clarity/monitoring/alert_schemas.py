"""Per-patient alert thresholds over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

HeartRate = Annotated[float, Field(ge=20, le=300, description="beats per minute")]


class AlertRulesUpdate(BaseModel):
    """The whole rule set: a threshold left out (or null) raises no alert of its kind."""

    model_config = ConfigDict(extra="forbid")

    hr_low_bpm: HeartRate | None = Field(None, description="alert when a 10 s heart rate is below")
    hr_high_bpm: HeartRate | None = Field(None, description="alert when a 10 s heart rate is above")
    pause_s: float | None = Field(
        None, ge=1.0, le=20.0, description="alert on an RR interval at least this long (s)"
    )
    atrial_fibrillation: bool = Field(False, description="alert when AF (≥ 30 s) is detected")
    ventricular_run_beats: int | None = Field(
        None, ge=3, le=100, description="alert on a run of at least this many ventricular beats"
    )
    note: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _low_below_high(self) -> AlertRulesUpdate:
        if (
            self.hr_low_bpm is not None
            and self.hr_high_bpm is not None
            and self.hr_low_bpm >= self.hr_high_bpm
        ):
            raise ValueError("hr_low_bpm must be below hr_high_bpm")
        return self


class AlertRulesRead(AlertRulesUpdate):
    model_config = ConfigDict(extra="ignore")

    patient_id: str
    configured: bool = Field(description="false: no rules were set, no alert is raised")
    updated_at: datetime | None = None
    updated_by_id: str | None = None
