"""The README stays true: every setting is documented, the two promised commands are there,
the signal-engine example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clarity.config import Settings
from tests.realdata import shared_data

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [name for name in Settings.model_fields if f"`CLARITY_{name.upper()}`" not in README]
    assert not missing, f"document these settings in README.md: {missing}"


def test_the_two_commands_are_at_the_top() -> None:
    top = README[:800]
    assert "pip install -e . && clarity serve" in top
    assert "make test" in top


@pytest.mark.realdata
def test_the_signal_engine_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    example = next(b for b in blocks if "from clarity.ecg.signal import" in b)
    dicom = shared_data("dicom", "waveform_ecg.dcm")
    exec(example.replace('Path("ecg.dcm")', f"Path({str(dicom)!r})"), {})  # noqa: S102
    assert "Sinus rhythm" in capsys.readouterr().out
