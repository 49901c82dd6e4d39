"""PURE FHIR R4 builder: a device session's facts in, a ``Bundle`` as a JSON-ready dict out.

No database, web or settings code here: ``clarity.interop.service`` gathers the facts (with
access checks) and calls ``build_bundle``. See ``bundle`` for the bundle's layout, ``codes`` for
every code used, ``waveform`` for how samples travel (inline ``SampledData`` or a link).
"""

from clarity.interop.fhir.bundle import FHIR_MEDIA_TYPE, build_bundle, conclusion_of
from clarity.interop.fhir.records import (
    ArrhythmiaEvent,
    DeviceFacts,
    DownloadLink,
    InlineWaveform,
    LinkedWaveform,
    MetricPoint,
    PatientFacts,
    ReportFile,
    SessionRecord,
    Source,
)
from clarity.interop.fhir.waveform import sampled_data

__all__ = [
    "FHIR_MEDIA_TYPE",
    "ArrhythmiaEvent",
    "DeviceFacts",
    "DownloadLink",
    "InlineWaveform",
    "LinkedWaveform",
    "MetricPoint",
    "PatientFacts",
    "ReportFile",
    "SessionRecord",
    "Source",
    "build_bundle",
    "conclusion_of",
    "sampled_data",
]
