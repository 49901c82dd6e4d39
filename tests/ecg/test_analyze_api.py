"""``POST /api/v1/ecg/analyze`` and ``clarity analyze``: any supported input in, analysis out."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clarity.cli import app
from clarity.ecg.formats import write_waveform
from clarity.ecg.waveform import Waveform
from clarity.monitoring import frames
from tests.factories.accounts import Account, register
from tests.factories.ecg import LEADS_12, leads_dict, synthetic_ecg
from tests.realdata import shared_data


@pytest.fixture
def user(client: TestClient) -> Account:
    return register(client)


def _synthetic_waveform(hr_bpm: float = 72.0) -> Waveform:
    return Waveform(synthetic_ecg(duration_s=10, hr_bpm=hr_bpm).astype(np.float32), 500.0, LEADS_12)


def test_json_lead_dict(client: TestClient, user: Account) -> None:
    body = {"sampling_rate": 500, "leads": leads_dict(synthetic_ecg(duration_s=10, hr_bpm=72))}
    response = client.post("/api/v1/ecg/analyze", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert abs(result["measurements"]["heart_rate_bpm"] - 72) < 3
    assert result["statements"] and all(
        {"code", "text", "criterion"} <= set(s) for s in result["statements"]
    )
    assert len(result["beats"]["r_peak_ms"]) == result["measurements"]["beat_count"]


@pytest.mark.parametrize("fmt", ["edf", "wfdb", "csv", "dicom"])
def test_files_of_every_format(client: TestClient, user: Account, fmt: str) -> None:
    data = write_waveform(_synthetic_waveform(), fmt)  # type: ignore[arg-type]  # a Format literal
    response = client.post(
        "/api/v1/ecg/analyze", files={"file": (f"ecg.{fmt}", data)}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["leads"] == list(LEADS_12)


def test_binary_frame(client: TestClient, user: Account) -> None:
    counts = np.round(synthetic_ecg(duration_s=10) * 200).astype(np.int16)
    body = frames.encode(frames.Frame(500.0, LEADS_12, counts, 200.0, None, None))
    response = client.post(
        "/api/v1/ecg/analyze",
        content=body,
        headers={**user.headers, "Content-Type": frames.MEDIA_TYPE},
    )
    assert response.status_code == 200
    assert abs(response.json()["measurements"]["heart_rate_bpm"] - 72) < 3


@pytest.mark.realdata
def test_real_dicom_agrees_with_the_device(client: TestClient, user: Account) -> None:
    path = shared_data("dicom", "waveform_ecg.dcm")
    response = client.post(
        "/api/v1/ecg/analyze", files={"file": ("ecg.dcm", path.read_bytes())}, headers=user.headers
    )
    assert response.status_code == 200
    codes = {s["code"] for s in response.json()["statements"]}
    assert {"SR", "NORM"} <= codes  # the Mortara device's own statement: sinus rhythm, normal ECG


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"", "application/octet-stream", 422),
        (b"\x00\x01garbage", "application/octet-stream", 415),
        (b'{"sampling_rate": 500, "leads": {"I": [0.1, 0.2]}}', "application/json", 422),
        (b'{"sampling_rate": 500, "leads": {"I": [NaN, 0.2]}}', "application/json", 422),
        (b'{"leads": [1, 2', "application/json", 422),
        (b"CLRW\x01", frames.MEDIA_TYPE, 422),
    ],
)
def test_bad_input_is_a_4xx_envelope(
    client: TestClient, user: Account, content: bytes, content_type: str, status: int
) -> None:
    response = client.post(
        "/api/v1/ecg/analyze",
        content=content,
        headers={**user.headers, "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == {"detail", "status_code", "timestamp", "request_id"}


def test_flat_signal_is_refused_not_measured(client: TestClient, user: Account) -> None:
    body = {"sampling_rate": 500, "leads": {name: [0.0] * 5000 for name in LEADS_12}}
    response = client.post("/api/v1/ecg/analyze", json=body, headers=user.headers)
    assert response.status_code == 422 and "usable" in response.json()["detail"]


def test_too_long_is_413(client: TestClient, user: Account) -> None:
    body = {"sampling_rate": 100, "leads": {"II": [0.0] * 100 * 400}}
    assert client.post("/api/v1/ecg/analyze", json=body, headers=user.headers).status_code == 413


def test_needs_authentication(client: TestClient) -> None:
    assert client.post("/api/v1/ecg/analyze", json={}).status_code == 401


def test_cli_prints_text_and_json(tmp_path: Path) -> None:
    path = tmp_path / "ecg.edf"
    path.write_bytes(write_waveform(_synthetic_waveform(hr_bpm=60), "edf"))
    text = CliRunner().invoke(app, ["analyze", str(path)])
    assert text.exit_code == 0, text.output
    assert "Heart rate" in text.output and "Interpretation:" in text.output
    as_json = CliRunner().invoke(app, ["analyze", str(path), "--json"])
    assert abs(json.loads(as_json.output)["measurements"]["heart_rate_bpm"] - 60) < 3
    broken = tmp_path / "broken.edf"
    broken.write_bytes(b"0       garbage")
    failed = CliRunner().invoke(app, ["analyze", str(broken)])
    assert failed.exit_code == 2 and "error:" in failed.output


def test_cli_reads_a_zipped_wfdb_record(tmp_path: Path) -> None:
    data = write_waveform(_synthetic_waveform(), "wfdb")
    assert zipfile.is_zipfile(io.BytesIO(data))
    path = tmp_path / "record.zip"
    path.write_bytes(data)
    result = CliRunner().invoke(app, ["analyze", str(path)])
    assert result.exit_code == 0, result.output
