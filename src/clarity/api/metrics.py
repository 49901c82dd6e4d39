"""Prometheus metrics of one server process: request counts and latency per route."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The HTTP metrics, in a registry of their own (one per app, so tests don't share counters)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "clarity_http_requests",
            "HTTP requests handled",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "clarity_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ("method", "route"),
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric in the registry."""
        return generate_latest(self.registry)
