"""Counting what the devices sent and what the server acknowledged; the printed summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from clarity.simulate.uplink import Ack

LATE_AFTER_S = 1.0  # a chunk sent this long after its time means the device fell behind


@dataclass
class Recorder:
    """Mutable tallies while the simulation runs (one event loop: no locks needed)."""

    n_leads: int
    chunks_sent: int = 0
    chunks_acked: int = 0
    samples_sent: int = 0
    samples_acked: int = 0
    bytes_sent: int = 0
    rejected: Counter[int] = field(default_factory=Counter)
    failed: int = 0
    late: int = 0
    max_lag_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, ack: Ack, n_samples: int, lag_s: float) -> None:
        """Count one chunk of ``n_samples`` per lead, sent ``lag_s`` after its scheduled time."""
        self.chunks_sent += 1
        self.samples_sent += n_samples
        self.bytes_sent += ack.n_bytes
        self.max_lag_s = max(self.max_lag_s, lag_s)
        self.late += lag_s > LATE_AFTER_S
        if ack.ok:
            self.chunks_acked += 1
            self.samples_acked += n_samples
            self.latencies_s.append(ack.latency_s)
        elif ack.status_code is None:
            self.failed += 1
        else:
            self.rejected[ack.status_code] += 1
        if ack.error and len(self.errors) < 5:
            self.errors.append(ack.error)


@dataclass(frozen=True)
class Verification:
    """Read-back checks: sessions whose stored sample count matches, and bit-exact sessions."""

    counted: int = 0
    counts_match: int = 0
    compared: int = 0
    exact: int = 0

    @property
    def ok(self) -> bool:
        return self.counts_match == self.counted and self.exact == self.compared


@dataclass(frozen=True)
class Summary:
    """The outcome of a simulation run."""

    devices: int
    n_leads: int
    fs: float
    chunk_s: float
    body: str
    transport: str
    realtime: bool
    wall_s: float
    chunks_sent: int
    chunks_acked: int
    rejected: dict[int, int]
    failed: int
    samples_sent: int
    samples_acked: int
    bytes_sent: int
    latency_ms: dict[str, float]
    late_chunks: int
    max_lag_s: float
    verification: Verification
    errors: tuple[str, ...]

    @property
    def chunks_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def values_per_s(self) -> float:
        """Acknowledged samples of all leads per second of wall time."""
        return self.samples_acked * self.n_leads / self.wall_s if self.wall_s else 0.0

    @property
    def all_stored(self) -> bool:
        """Every chunk acknowledged and every check of the stored data passed."""
        return self.chunks_acked == self.chunks_sent and self.failed == 0 and self.verification.ok

    def render(self) -> str:
        """The human-readable report ``clarity simulate`` prints."""
        lat, ver = self.latency_ms, self.verification
        pace = "real time" if self.realtime else "as fast as possible"
        rejected = ", ".join(f"{n}x{code}" for code, n in sorted(self.rejected.items())) or "0"
        lines = [
            f"{self.devices} devices · {self.n_leads} leads at {self.fs:g} Hz · "
            f"{self.chunk_s:g} s chunks · {self.body} over {self.transport} · {pace}",
            f"chunks    sent {self.chunks_sent:,}  acknowledged {self.chunks_acked:,}  "
            f"rejected {rejected}  failed {self.failed}",
            f"samples   sent {self.samples_sent * self.n_leads:,}  acknowledged "
            f"{self.samples_acked * self.n_leads:,}  ({self.samples_acked:,} per lead)",
            f"latency   p50 {lat['p50']:.1f} ms  p95 {lat['p95']:.1f} ms  "
            f"p99 {lat['p99']:.1f} ms  max {lat['max']:.1f} ms",
            f"throughput {self.values_per_s:,.0f} samples/s  "
            f"{self.chunks_acked / self.wall_s:,.1f} chunks/s  "
            f"{self.bytes_sent / self.wall_s / 1e6:.2f} MB/s over {self.wall_s:.1f} s",
        ]
        if self.realtime:
            lines.append(
                f"real time  max lag {self.max_lag_s:.2f} s, {self.late_chunks} chunks "
                f"more than {LATE_AFTER_S:g} s late"
            )
        if ver.counted:
            lines.append(
                f"stored    {ver.counts_match}/{ver.counted} sessions hold every acknowledged "
                f"sample; {ver.exact}/{ver.compared} read back bit-exact"
            )
        lines += [f"error     {e}" for e in self.errors]
        return "\n".join(lines)


def percentiles_ms(latencies_s: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max in milliseconds (zeros when nothing was acknowledged)."""
    if not latencies_s:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    values = np.asarray(latencies_s) * 1000.0
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(values.max())}
