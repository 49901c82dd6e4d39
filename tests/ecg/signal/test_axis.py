"""Frontal axes: exact on projected vectors, None when indeterminate, robust to one noisy lead."""

from __future__ import annotations

import numpy as np
import pytest

from clarity.ecg.errors import InvalidSignal
from clarity.ecg.signal.axis import (
    LEAD_ANGLE_DEG,
    frontal_axis_deg,
    net_deflection,
    wave_axis_deg,
)


def _projections(theta_deg: float, magnitude: float = 1.0) -> dict[str, float]:
    return {
        name: magnitude * float(np.cos(np.deg2rad(theta_deg - angle)))
        for name, angle in LEAD_ANGLE_DEG.items()
    }


@pytest.mark.parametrize(
    "theta", [-179.0, -120.0, -90.0, -45.0, -30.0, 0.0, 30.0, 60.0, 90.0, 150.0, 180.0]
)
def test_axis_of_a_projected_vector_is_exact(theta: float) -> None:
    nets = _projections(theta)
    assert frontal_axis_deg(nets, min_magnitude=0.01) == pytest.approx(theta, abs=1e-6)
    two = {k: nets[k] for k in ("I", "aVF")}
    assert frontal_axis_deg(two, min_magnitude=0.01) == pytest.approx(theta, abs=1e-6)


def test_indeterminate_axis_is_none() -> None:
    assert frontal_axis_deg({"I": 1.0}, min_magnitude=0.01) is None
    assert frontal_axis_deg({"V1": 1.0, "V2": 1.0}, min_magnitude=0.01) is None
    assert frontal_axis_deg(_projections(45.0, 0.001), min_magnitude=0.01) is None
    assert frontal_axis_deg({"I": float("nan"), "aVF": 1.0}, min_magnitude=0.01) is None


def test_six_leads_average_out_noise_better_than_two() -> None:
    rng = np.random.default_rng(11)
    errors_six, errors_two = [], []
    for theta in rng.uniform(-180, 180, 300):
        noisy = {k: v + rng.normal(0, 0.15) for k, v in _projections(theta).items()}
        six = frontal_axis_deg(noisy, min_magnitude=0.0)
        two = frontal_axis_deg({k: noisy[k] for k in ("I", "aVF")}, min_magnitude=0.0)
        assert six is not None and two is not None
        errors_six.append(abs((six - theta + 180) % 360 - 180))
        errors_two.append(abs((two - theta + 180) % 360 - 180))
    assert np.mean(errors_six) < 0.8 * np.mean(errors_two)


def test_wave_axis_from_beats_area_and_amplitude() -> None:
    fs = 500.0
    t = np.arange(300) / fs
    shape = np.exp(-(((t - 0.3) / 0.02) ** 2)) - 0.3 * np.exp(-(((t - 0.34) / 0.01) ** 2))
    beats = {name: gain * shape for name, gain in _projections(75.0).items()}
    assert wave_axis_deg(beats, fs, (100, 200)) == pytest.approx(75.0, abs=0.5)
    assert wave_axis_deg(beats, fs, (100, 200), method="amplitude") == pytest.approx(75.0, abs=0.5)
    offset = dict.fromkeys(beats, 0.4)
    shifted = {name: beat + 0.4 for name, beat in beats.items()}
    assert wave_axis_deg(shifted, fs, (100, 200), offset) == pytest.approx(75.0, abs=0.5)


def test_wave_axis_absent_window_or_out_of_range_is_none() -> None:
    beats = {"I": np.ones(50), "aVF": np.ones(50)}
    assert wave_axis_deg(beats, 500.0, None) is None
    assert wave_axis_deg(beats, 500.0, (40, 60)) is None
    assert wave_axis_deg(beats, 500.0, (30, 30)) is None
    assert wave_axis_deg({"V1": np.ones(50)}, 500.0, (0, 50)) is None


def test_net_deflection_methods() -> None:
    segment = np.array([0.0, 1.0, 0.5, -0.4, 0.0])
    assert net_deflection(segment, 1000.0, method="area") == pytest.approx(1.1)
    assert net_deflection(segment, 1000.0, method="amplitude") == pytest.approx(0.6)
    with pytest.raises(InvalidSignal, match="unknown axis method"):
        net_deflection(segment, 1000.0, method="bogus")  # type: ignore[arg-type]
    with pytest.raises(InvalidSignal, match="empty"):
        net_deflection(np.array([]), 1000.0)
