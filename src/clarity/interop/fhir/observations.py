"""Measurements and arrhythmia events as FHIR ``Observation``s.

A session streams a metric many times; the export gives one ``Observation`` per metric and per
source (device, server): the median of the session's values over ``effectivePeriod`` (the first
to the last value), or the single value at ``effectiveDateTime``. The median is what resting-ECG
machines report for a measurement (a representative beat), and one outlier reading cannot move
it. ``method`` and ``device`` say who produced the value: the recorder, or Clarity's analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from clarity.interop.fhir.codes import (
    HEART_RATE,
    HEART_RHYTHM,
    METRICS,
    MetricCode,
    category,
    concept,
    quantity,
    rhythm_concept,
)
from clarity.interop.fhir.context import BuildContext, identifier, instant, period
from clarity.interop.fhir.records import ArrhythmiaEvent, MetricPoint, Source
from clarity.interop.fhir.waveform import WAVEFORM_KEY


@dataclass
class _Series:
    metric: MetricCode
    source: Source
    start: datetime
    end: datetime
    values: list[float] = field(default_factory=list)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _collect(points: tuple[MetricPoint, ...]) -> list[_Series]:
    """Known metrics grouped by (source, code), in first-seen order; aliases count once."""
    series: dict[tuple[Source, str], _Series] = {}
    for point in points:
        seen: set[str] = set()
        for name, raw in point.values.items():
            metric, value = METRICS.get(name), _number(raw)
            if metric is None or value is None or metric.code in seen:
                continue
            seen.add(metric.code)
            end = point.end or point.start
            found = series.setdefault(
                (point.source, metric.code), _Series(metric, point.source, point.start, end)
            )
            found.start, found.end = min(found.start, point.start), max(found.end, end)
            found.values.append(value)
    return list(series.values())


def metric_key(source: Source, metric: MetricCode) -> str:
    """The bundle key of a metric's observation (stable across exports)."""
    return f"observation/metric/{source}/{metric.code}"


def metric_entries(
    ctx: BuildContext, points: tuple[MetricPoint, ...]
) -> list[tuple[str, dict[str, Any]]]:
    """(key, Observation) for every known metric of every source."""
    return [(metric_key(s.source, s.metric), _metric(ctx, s)) for s in _collect(points)]


def _metric(ctx: BuildContext, series: _Series) -> dict[str, Any]:
    metric, n = series.metric, len(series.values)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ctx.resource_id(metric_key(series.source, metric)),
        "status": ctx.observation_status,
        "category": [category(metric.category)],
        "code": metric.concept(),
        **ctx.subject(),
        **_effective(series),
        "valueQuantity": quantity(round(median(series.values), 4), metric),
        **ctx.measured_by(series.source),
    }
    if metric.profile and ctx.has_patient:
        resource["meta"] = {"profile": [metric.profile]}
    if n > 1:
        resource["note"] = [{"text": f"Median of {n} values reported during the session."}]
    if series.source == "server" and ctx.has_waveform:
        resource["derivedFrom"] = [ctx.reference(WAVEFORM_KEY)]
    return resource


def _effective(series: _Series) -> dict[str, Any]:
    if series.start == series.end:
        return {"effectiveDateTime": instant(series.start)}
    return {"effectivePeriod": period(series.start, series.end)}


def event_entries(
    ctx: BuildContext, events: tuple[ArrhythmiaEvent, ...]
) -> list[tuple[str, dict[str, Any]]]:
    """(key, Observation) for every arrhythmia event: LOINC 8884-9 with the finding as value."""
    return [(f"observation/event/{e.id}", _event(ctx, e)) for e in events]


def _event(ctx: BuildContext, event: ArrhythmiaEvent) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ctx.resource_id(f"observation/event/{event.id}"),
        "identifier": [identifier("event", event.id)],
        "status": ctx.observation_status,
        "category": [category("procedure")],
        "code": concept("Heart rhythm", HEART_RHYTHM),
        **ctx.subject(),
        **_event_time(event),
        "valueCodeableConcept": rhythm_concept(event.kind, event.description),
        **ctx.measured_by(event.source),
    }
    if event.heart_rate_bpm is not None and math.isfinite(event.heart_rate_bpm):
        resource["component"] = [
            {
                "code": HEART_RATE.concept(),
                "valueQuantity": quantity(event.heart_rate_bpm, HEART_RATE),
            }
        ]
    details = [f"{label}: {value}" for label, value in _details(event) if value]
    if details:
        resource["note"] = [{"text": "; ".join(details)}]
    return resource


def _event_time(event: ArrhythmiaEvent) -> dict[str, Any]:
    if event.end is None or event.end <= event.timestamp:
        return {"effectiveDateTime": instant(event.timestamp)}
    return {"effectivePeriod": period(event.timestamp, event.end)}


def _details(event: ArrhythmiaEvent) -> tuple[tuple[str, str | None], ...]:
    return (("type", event.kind), ("severity", event.severity), ("lead", event.lead))
