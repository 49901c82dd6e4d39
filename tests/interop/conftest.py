"""The FHIR tests write the server's results themselves, so no analysis job may race them."""

from __future__ import annotations

import pytest

from clarity.runtime import Runtime


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """The shared test runtime without recording listeners (the background analysis trigger)."""
    runtime.listeners.clear()
    return runtime
