"""Terminology the FHIR export uses: LOINC, ISO/IEEE 11073-10101 (MDC), UCUM, SNOMED CT, HL7.

Every table here says where its codes come from, so a reviewer can check them one by one.

References
----------
LOINC, Regenstrief Institute, class EKG.MEAS (https://loinc.org).
ISO/IEEE 11073-10101:2020 Point-of-care medical device communication, nomenclature; partition 2
(SCADA), ``MDC_ECG_ELEC_POTL`` = 256 with the lead numbers of ISO/IEEE 11073-10102 (the numbers
DICOM CID 3001 also uses as ``MDC 2:N``). Context-free code = partition × 65536 + term code.
UCUM, The Unified Code for Units of Measure (https://ucum.org).
HL7 FHIR R4 code systems ``observation-category`` and ``v2-0074``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LOINC = "http://loinc.org"
MDC = "urn:iso:std:iso:11073:10101"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
CLARITY_URN = "urn:clarity"
"""Root of Clarity's own identifier namespaces and local code systems."""
MEASUREMENT_SOURCE = f"{CLARITY_URN}:codesystem:measurement-source"
CLARITY_METRIC = f"{CLARITY_URN}:codesystem:metric"
HEART_RATE_PROFILE = "http://hl7.org/fhir/StructureDefinition/heartrate"

_MDC_PARTITION_SCADA = 2
_MDC_ECG_ELEC_POTL = 256
# ISO/IEEE 11073-10102 lead numbers (DICOM CID 3001 "MDC 2:N")
_LEAD_NUMBERS: dict[str, int] = {
    "I": 1, "II": 2, "V1": 3, "V2": 4, "V3": 5, "V4": 6, "V5": 7, "V6": 8, "V7": 9,
    "V3R": 11, "V4R": 12, "V5R": 13, "X": 16, "Y": 17, "Z": 18,
    "III": 61, "aVR": 62, "aVL": 63, "aVF": 64, "V8": 66, "V9": 67,
}  # fmt: skip


def coding(system: str, code: str, display: str) -> dict[str, str]:
    """A FHIR ``Coding``."""
    return {"system": system, "code": code, "display": display}


def concept(text: str, *codings: dict[str, str]) -> dict[str, Any]:
    """A FHIR ``CodeableConcept`` with its human text (codings may be empty)."""
    return {"coding": list(codings), "text": text} if codings else {"text": text}


def mdc_code(term: int) -> str:
    """The context-free MDC code of an SCADA-partition term (e.g. 256 → ``"131328"``)."""
    return str(_MDC_PARTITION_SCADA * 65536 + term)


ECG_WAVEFORM = coding(MDC, mdc_code(_MDC_ECG_ELEC_POTL), "MDC_ECG_ELEC_POTL")


def lead_concept(lead: str) -> dict[str, Any]:
    """``MDC_ECG_ELEC_POTL_<lead>`` for a known lead; text only for any other channel name."""
    number = _LEAD_NUMBERS.get(lead)
    if number is None:
        return concept(f"ECG channel {lead}")
    reference_id = f"MDC_ECG_ELEC_POTL_{lead.upper()}"
    return concept(f"Lead {lead}", coding(MDC, mdc_code(_MDC_ECG_ELEC_POTL + number), reference_id))


@dataclass(frozen=True)
class MetricCode:
    """How one metric is coded: the code, its UCUM unit and the observation category."""

    system: str
    code: str
    display: str
    ucum: str | None
    unit: str
    category: str = "procedure"
    profile: str | None = None

    def concept(self) -> dict[str, Any]:
        return concept(self.display, coding(self.system, self.code, self.display))


def _ekg(code: str, display: str, ucum: str, unit: str) -> MetricCode:
    return MetricCode(LOINC, code, display, ucum, unit)


HEART_RATE = MetricCode(
    LOINC, "8867-4", "Heart rate", "/min", "beats/minute", "vital-signs", HEART_RATE_PROFILE
)
_PR = _ekg("8625-6", "P-R interval", "ms", "ms")
_QRS = _ekg("8633-0", "QRS duration", "ms", "ms")
_QT = _ekg("8634-8", "Q-T interval", "ms", "ms")
_QTC = _ekg("8636-3", "Q-T interval corrected", "ms", "ms")
_RR = _ekg("8637-1", "R-R interval by EKG", "ms", "ms")
_P_AXIS = _ekg("8626-4", "P wave axis", "deg", "degrees")
_QRS_AXIS = _ekg("8632-2", "QRS axis", "deg", "degrees")
_T_AXIS = _ekg("8638-9", "T wave axis", "deg", "degrees")
_SDNN = _ekg("80404-7", "R-R interval.standard deviation (Heart rate variability)", "ms", "ms")


def _local(code: str, display: str, ucum: str | None, unit: str) -> MetricCode:
    return MetricCode(CLARITY_METRIC, code, display, ucum, unit)


# Metric names as devices (seed 002) and the server send them → code. Names not listed are not
# exported: without a known meaning and unit a number is not an observation.
METRICS: dict[str, MetricCode] = {
    **dict.fromkeys(("heart_rate", "hr", "heart_rate_bpm"), HEART_RATE),
    **dict.fromkeys(("pr_interval", "pr_interval_ms", "pr_ms"), _PR),
    **dict.fromkeys(("qrs_duration", "qrs_duration_ms", "qrs_ms"), _QRS),
    **dict.fromkeys(("qt_interval", "qt_interval_ms", "qt_ms"), _QT),
    **dict.fromkeys(("qtc_interval", "qtc_interval_ms", "qtc_ms", "qtc"), _QTC),
    **dict.fromkeys(("rr_interval", "rr_interval_ms", "rr_ms"), _RR),
    **dict.fromkeys(("p_axis", "p_axis_deg"), _P_AXIS),
    **dict.fromkeys(("qrs_axis", "qrs_axis_deg"), _QRS_AXIS),
    **dict.fromkeys(("t_axis", "t_axis_deg"), _T_AXIS),
    **dict.fromkeys(("sdnn", "sdnn_ms", "hrv_sdnn_ms"), _SDNN),
    # The device's "hrv" does not say which statistic it is, so it gets no LOINC code.
    "hrv": _local("hrv", "Heart rate variability (statistic not stated)", "ms", "ms"),
    "rmssd_ms": _local("rmssd", "RMSSD of successive R-R intervals", "ms", "ms"),
    # Seed 002: "ST Segment (normalized units)": a device-specific scale, no UCUM unit.
    "st_segment": _local("st-segment", "ST segment level (device units)", None, "device units"),
}

HEART_RHYTHM = coding(LOINC, "8884-9", "Heart rate rhythm")
ECG_STUDY = coding(LOINC, "11524-6", "EKG study")
ELECTROCARDIAC = coding(DIAGNOSTIC_SERVICE, "EC", "Electrocardiac")

# Arrhythmia names devices and the server's analysis send → SNOMED CT (most as in the PhysioNet/
# CinC 2020 12-lead challenge label map; VT 25569003, VF 71908006 and tachycardia 3424008 are the
# SNOMED CT concepts of those names). Unknown names (a pause, a ventricular run) keep their text.
_RHYTHMS: dict[str, tuple[str, str]] = {
    "af": ("164889003", "Atrial fibrillation"),
    "afib": ("164889003", "Atrial fibrillation"),
    "atrial_fibrillation": ("164889003", "Atrial fibrillation"),
    "afl": ("164890007", "Atrial flutter"),
    "atrial_flutter": ("164890007", "Atrial flutter"),
    "pac": ("284470004", "Premature atrial contraction"),
    "pvc": ("427172004", "Premature ventricular contraction"),
    "bradycardia": ("426627000", "Bradycardia"),
    "sinus_bradycardia": ("426177001", "Sinus bradycardia"),
    "sinus_tachycardia": ("427084000", "Sinus tachycardia"),
    "svt": ("426761007", "Supraventricular tachycardia"),
    "sinus_arrhythmia": ("427393009", "Sinus arrhythmia"),
    "first_degree_av_block": ("270492004", "First degree atrioventricular block"),
    "tachycardia": ("3424008", "Tachycardia"),
    "vt": ("25569003", "Ventricular tachycardia"),
    "ventricular_tachycardia": ("25569003", "Ventricular tachycardia"),
    "vf": ("71908006", "Ventricular fibrillation"),
    "ventricular_fibrillation": ("71908006", "Ventricular fibrillation"),
}


def rhythm_concept(kind: str, text: str | None) -> dict[str, Any]:
    """The finding a device named (``"PVC"``, ``"AFib"``…), SNOMED-coded when known."""
    key = kind.strip().lower().replace(" ", "_").replace("-", "_")
    found = _RHYTHMS.get(key)
    label = text or kind
    if found is None:
        return concept(label)
    return concept(label, coding(SNOMED, found[0], found[1]))


def category(code: str) -> dict[str, Any]:
    """An ``observation-category`` concept (``vital-signs``, ``procedure``)."""
    display = {"vital-signs": "Vital Signs", "procedure": "Procedure"}[code]
    return concept(display, coding(OBSERVATION_CATEGORY, code, display))


SOURCE_METHODS: dict[str, dict[str, Any]] = {
    "device": concept(
        "Measured by the recording device",
        coding(MEASUREMENT_SOURCE, "device", "Measured by the recording device"),
    ),
    "server": concept(
        "Computed by Clarity from the waveform",
        coding(MEASUREMENT_SOURCE, "server", "Computed by Clarity from the waveform"),
    ),
}


def quantity(value: float, metric: MetricCode) -> dict[str, Any]:
    """A ``Quantity`` in the metric's unit (UCUM-coded when the unit has a UCUM code)."""
    if metric.ucum is None:
        return {"value": value, "unit": metric.unit}
    return {"value": value, "unit": metric.unit, "system": UCUM, "code": metric.ucum}


def millivolt_origin() -> dict[str, Any]:
    """The zero of ``SampledData``: 0 mV."""
    return {"value": 0, "unit": "mV", "system": UCUM, "code": "mV"}
