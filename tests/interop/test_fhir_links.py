"""Long recordings: the bundle links the samples (windowed downloads) instead of inlining them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from fastapi.testclient import TestClient

from clarity.config import Settings
from clarity.main import create_app
from clarity.monitoring import waveforms
from clarity.runtime import Runtime, build_runtime
from clarity.storage import MemoryBlobStore
from tests.factories.accounts import Account
from tests.factories.ecg import LEADS_12
from tests.interop.session import export, make_session, resources, waveform_observation

r4b = pytest.importorskip("fhir.resources.R4B", reason="fhir.resources with R4B models")


@pytest.fixture
def small_inline(settings: Settings) -> Iterator[tuple[TestClient, Runtime]]:
    """An app that inlines at most 1000 samples per lead."""
    runtime = build_runtime(
        settings.model_copy(update={"fhir_inline_max_samples": 1000}), blob_store=MemoryBlobStore()
    )
    runtime.listeners.clear()  # no analysis job racing the server results the tests write
    with TestClient(create_app(runtime=runtime)) as client:
        yield client, runtime
    runtime.close()


def _get(client: TestClient, url: str, account: Account) -> Any:
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}", headers=account.headers)
    assert response.status_code == 200, response.text
    return response


def test_long_recording_is_linked_not_inlined(small_inline: tuple[TestClient, Runtime]) -> None:
    client, runtime = small_inline
    made = make_session(client, runtime)  # 2500 samples per lead > 1000
    bundle = export(client, made)
    assert "valueSampledData" not in json.dumps(bundle)
    observation = waveform_observation(bundle)
    (document,) = resources(bundle, "DocumentReference")
    assert observation["derivedFrom"] == [{"reference": f"urn:uuid:{document['id']}"}]
    assert "2500 samples" in observation["note"][0]["text"]
    r4b.get_fhir_model_class("DocumentReference").model_validate(document)
    links = {a["attachment"]["contentType"]: a["attachment"]["url"] for a in document["content"]}
    assert "format=edf" in links["application/octet-stream"]
    back = _get(client, links["application/json"], made.device).json()
    assert np.array_equal(np.array(list(back["leads"].values())), made.samples)
    assert _get(client, links["text/csv"], made.device).text.count("\n") >= 2500


def test_links_are_windows_a_read_can_serve(
    small_inline: tuple[TestClient, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, runtime = small_inline
    made = make_session(client, runtime)
    monkeypatch.setattr(waveforms, "MAX_READ_VALUES", 12 * 1000)
    document = resources(export(client, made), "DocumentReference")[0]
    urls = [
        a["attachment"]["url"]
        for a in document["content"]
        if "format=json" in a["attachment"]["url"]
    ]
    assert len(urls) == 3  # 1000 + 1000 + 500 samples
    parts = [np.array(list(_get(client, u, made.device).json()["leads"].values())) for u in urls]
    assert np.array_equal(np.hstack(parts), made.samples)
    assert LEADS_12[0] in document["description"]
