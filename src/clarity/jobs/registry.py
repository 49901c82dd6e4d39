"""Named jobs: ``@job("name")`` registers a function ``fn(runtime, **kwargs)`` that a queue can run.

Queues carry only the name and JSON-able keyword arguments, so a job runs the same in the server's
thread pool and in a Celery worker on another machine. Only the modules in ``JOB_MODULES`` are
imported to find jobs: a queue message can never name arbitrary code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from clarity.errors import ClarityError

if TYPE_CHECKING:
    from clarity.runtime import Runtime

JobFunction = Callable[..., None]
F = TypeVar("F", bound=JobFunction)

JOB_MODULES: tuple[str, ...] = ("clarity.monitoring.analysis",)
_JOBS: dict[str, JobFunction] = {}


class UnknownJob(ClarityError):
    """A queue message names no registered job (a newer server, or a typo)."""


def job(name: str) -> Callable[[F], F]:
    """Register the decorated function as the job ``name``; it is called as ``fn(runtime, **kwargs)``."""

    def register(fn: F) -> F:
        existing = _JOBS.get(name)
        if existing is not None and existing is not fn:
            raise ValueError(f"two jobs are named {name!r}")
        _JOBS[name] = fn
        return fn

    return register


def resolve(name: str) -> JobFunction:
    """The job registered as ``name`` (importing the job modules first)."""
    if name not in _JOBS:
        for module in JOB_MODULES:
            importlib.import_module(module)
    try:
        return _JOBS[name]
    except KeyError:
        raise UnknownJob(f"no job named {name!r}") from None


def run_job(runtime: Runtime, name: str, kwargs: dict[str, Any]) -> None:
    """Run one attempt of a job."""
    resolve(name)(runtime, **kwargs)
