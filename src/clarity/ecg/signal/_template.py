"""Correlation of beats with their median beat: how alike a beat is to the record's usual shape."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clarity.ecg.signal.validate import FloatArray


def median_template_correlation(
    beats: FloatArray, template_beats: npt.NDArray[np.bool_]
) -> FloatArray:
    """Pearson correlation of each row of ``beats`` (n_beats, n) with the sample-wise median of
    the rows marked in ``template_beats``; 1.0 for a flat row or template (nothing to tell)."""
    centred = beats - beats.mean(axis=1, keepdims=True)
    template = np.median(centred[template_beats], axis=0)
    template -= template.mean()
    denom = np.linalg.norm(centred, axis=1) * np.linalg.norm(template)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(denom > 0, centred @ template / denom, 1.0), dtype=np.float64)
