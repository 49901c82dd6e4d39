"""The ECG itself: an ``Observation`` with one ``SampledData`` per lead, or a link for long ones.

A short recording travels inline: one ``component`` per lead, coded ``MDC_ECG_ELEC_POTL_<lead>``,
whose ``valueSampledData`` holds the samples exactly as stored (integer counts with
``factor`` = 1 / gain, or the very floats sent with ``factor`` 1), ``origin`` 0 mV and ``period``
1000 / fs ms. A gap in the stream is ``E`` (FHIR's "no value here").

A long recording would make a bundle of hundreds of megabytes, so its ``Observation`` carries no
samples: its ``derivedFrom`` points to a ``DocumentReference`` whose ``content`` lists the
downloads of the same samples (one ``Attachment`` per format). ``DocumentReference`` is FHIR R4's
index of content held elsewhere, with one ``content`` per format; R4's ``Observation`` cannot
hold an ``Attachment`` itself (R5 adds that).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from clarity.interop.fhir.codes import (
    ECG_STUDY,
    ECG_WAVEFORM,
    category,
    concept,
    lead_concept,
    millivolt_origin,
)
from clarity.interop.fhir.context import BuildContext, instant, period
from clarity.interop.fhir.records import InlineWaveform, LinkedWaveform

WAVEFORM_KEY = "observation/waveform"
DOCUMENT_KEY = "document/waveform"


def sampled_data(row: npt.NDArray[np.generic], fs: float, gain: float) -> dict[str, Any]:
    """One lead as FHIR R4 ``SampledData``: value = origin + factor × data, in mV.

    Parameters
    ----------
    row : samples of one lead: integer counts, or float mV (NaN for a gap).
    fs : sampling frequency (Hz); ``period`` is the time between samples in ms.
    gain : counts per mV for integer ``row``; ignored for floats (factor 1).
    """
    integers = row.dtype.kind in "iu"
    return {
        "origin": millivolt_origin(),
        "period": 1000.0 / fs,
        "factor": 1.0 / gain if integers else 1.0,
        "dimensions": 1,
        "data": _data(row, integers=integers),
    }


def _data(row: npt.NDArray[np.generic], *, integers: bool) -> str:
    values = row.tolist()
    if integers:
        return " ".join(map(str, values))
    # repr is the shortest text that reads back to the same float
    return " ".join(repr(v) if math.isfinite(v) else "E" for v in values)


def waveform_entries(
    ctx: BuildContext, waveform: InlineWaveform | LinkedWaveform
) -> list[tuple[str, dict[str, Any]]]:
    """(key, resource) of the ECG ``Observation`` and, for a long recording, its document."""
    if isinstance(waveform, InlineWaveform):
        return [(WAVEFORM_KEY, _inline_observation(ctx, waveform))]
    return [
        (WAVEFORM_KEY, _linked_observation(ctx, waveform)),
        (DOCUMENT_KEY, _document(ctx, waveform)),
    ]


def _observation(
    ctx: BuildContext, waveform: InlineWaveform | LinkedWaveform, n_samples: int
) -> dict[str, Any]:
    end = waveform.start + timedelta(seconds=n_samples / waveform.fs)
    return {
        "resourceType": "Observation",
        "id": ctx.resource_id(WAVEFORM_KEY),
        "status": ctx.observation_status,
        "category": [category("procedure")],
        "code": concept(f"ECG waveform, {len(waveform.leads)} leads", ECG_WAVEFORM),
        **ctx.subject(),
        "effectivePeriod": period(waveform.start, end),
        "device": ctx.reference("device/recorder"),
    }


def _inline_observation(ctx: BuildContext, waveform: InlineWaveform) -> dict[str, Any]:
    components = [
        {
            "code": lead_concept(lead),
            "valueSampledData": sampled_data(waveform.values[i], waveform.fs, waveform.gain),
        }
        for i, lead in enumerate(waveform.leads)
    ]
    return _observation(ctx, waveform, waveform.n_samples) | {"component": components}


def _describe(waveform: LinkedWaveform) -> str:
    return (
        f"{len(waveform.leads)} leads ({', '.join(waveform.leads)}) × {waveform.n_samples} samples"
        f" at {waveform.fs:g} Hz"
    )


def _linked_observation(ctx: BuildContext, waveform: LinkedWaveform) -> dict[str, Any]:
    note = (
        f"{_describe(waveform)}: too long to include; the samples are in the DocumentReference"
        " this observation is derived from."
    )
    return _observation(ctx, waveform, waveform.n_samples) | {
        "derivedFrom": [ctx.reference(DOCUMENT_KEY)],
        "note": [{"text": note}],
    }


def _document(ctx: BuildContext, waveform: LinkedWaveform) -> dict[str, Any]:
    end = waveform.start + timedelta(seconds=waveform.n_samples / waveform.fs)
    return {
        "resourceType": "DocumentReference",
        "id": ctx.resource_id(DOCUMENT_KEY),
        "status": "current",
        "docStatus": "final" if ctx.observation_status == "final" else "preliminary",
        "type": concept("ECG waveform", ECG_STUDY),
        **ctx.subject(),
        "date": instant(ctx.generated_at),
        "description": f"ECG waveform: {_describe(waveform)}",
        "content": [
            {
                "attachment": {
                    "contentType": link.content_type,
                    "url": link.url,
                    "title": link.title,
                }
            }
            for link in waveform.links
        ],
        "context": {"period": period(waveform.start, end)},
    }
