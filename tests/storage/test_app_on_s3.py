"""The whole app on the S3 blob store (real boto3 against moto's S3 server): uploads land in the
bucket, downloads are presigned S3 URLs, health reports the store."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from clarity.config import Settings
from clarity.main import create_app
from clarity.runtime import build_runtime
from tests.factories.accounts import register
from tests.factories.devices import send_json, start
from tests.factories.ecg import synthetic_ecg
from tests.storage.conftest import MakeS3

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def s3_client(settings: Settings, make_s3: MakeS3) -> Iterator[TestClient]:
    runtime = build_runtime(settings, blob_store=make_s3())
    with TestClient(create_app(runtime=runtime)) as client:
        yield client
    runtime.close()


def test_reports_and_waveforms_live_in_the_bucket(s3_client: TestClient) -> None:
    health = s3_client.get("/health").json()
    assert health["checks"]["blob_store"] == health["checks"]["blob_store"] | {
        "status": "ok",
        "kind": "s3",
    }
    device = register(s3_client)
    session_id = start(s3_client, device)
    samples = synthetic_ecg(seed=11)
    assert send_json(s3_client, device, session_id, samples).status_code == 200
    back = s3_client.get(f"/api/v1/sessions/{session_id}/waveform", headers=device.headers).json()
    assert np.array_equal(np.array(list(back["leads"].values())), samples)
    uploaded = s3_client.post(
        "/api/v1/reports/upload",
        files={"file": ("r.pdf", PDF, "application/pdf")},
        headers=device.headers,
    ).json()
    assert "X-Amz-Signature" in uploaded["url"]
    assert httpx.get(uploaded["url"]).content == PDF
