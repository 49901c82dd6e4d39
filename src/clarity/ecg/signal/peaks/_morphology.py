"""Morphology consistency: how closely each QRS candidate matches the beats around it.

A heart's QRS complexes repeat their shape from beat to beat (one shape per focus: a premature
ventricular beat has its own, shared by the others of its kind), while noise peaks have no
shape in common with the complexes. Each candidate's waveform (the 1-40 Hz shape band, mean
removed, over ``MATCH_HALF_S`` either side of its largest 5-20 Hz deflection within ``ALIGN_S`` of
the envelope peak, the alignment of ``_localise``) is correlated with the waveforms of the
``MATCH_NEIGHBOURS`` nearest template beats on each side, itself excepted, and keeps the best
correlation: a beat needs one look-alike nearby, not to resemble the average beat, so that
premature beats, aberrant conduction and bigeminy keep their match. With several leads the
correlations are averaged with the leads' fusion weights at the candidate.

Correlation with a beat template is an established ECG signal-quality index: Orphanidou et al.
(2015) accept a signal when its beats correlate with the average template at 0.86 or more on
average; in the clean MIT-BIH DS1 records (lead MLII) the match of a detected beat exceeds 0.98
for 95 % of the beats. The beat tracker (``_tracking``) uses the match as evidence only where
noise makes the envelope height unreliable.

References
----------
Orphanidou C., Bonnici T., Charlton P., Clifton D., Vallance D., Tarassenko L. (2015).
Signal-quality indices for the electrocardiogram and photoplethysmogram: derivation and
applications to wireless monitoring. IEEE J Biomed Health Inform 19(3):832-838.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clarity.ecg.signal.validate import FloatArray, IndexArray

ALIGN_S = 0.080
MATCH_HALF_S = 0.080
MATCH_NEIGHBOURS = 8


@dataclass(frozen=True)
class Shapes:
    """Normalised waveform of each candidate on each lead.

    Attributes
    ----------
    waves : (n_leads, n_candidates, width) zero-mean, unit-norm 1-40 Hz waveforms.
    weights : (n_leads, n_candidates) fusion weight of each lead at each candidate.
    """

    waves: FloatArray
    weights: FloatArray


def _windows(centre_idx: IndexArray, half: int, n: int) -> IndexArray:
    idx: IndexArray = np.clip(centre_idx[:, None] + np.arange(-half, half + 1)[None, :], 0, n - 1)
    return idx


def shapes(
    band: FloatArray, shape: FloatArray, weights: FloatArray, cand_idx: IndexArray, fs: float
) -> Shapes:
    """Waveforms of the candidates: ``band`` (5-20 Hz) aligns them, ``shape`` (1-40 Hz) is cut."""
    n_leads, n = shape.shape
    rows = np.arange(cand_idx.size)
    around = _windows(cand_idx, int(ALIGN_S * fs), n)
    half = max(1, int(MATCH_HALF_S * fs))
    waves = np.empty((n_leads, cand_idx.size, 2 * half + 1))
    for lead in range(n_leads):
        centre = around[rows, np.argmax(np.abs(band[lead][around]), axis=1)]
        cut = shape[lead][_windows(centre, half, n)]
        cut -= cut.mean(axis=1, keepdims=True)
        norm = np.linalg.norm(cut, axis=1, keepdims=True)
        waves[lead] = cut / np.maximum(norm, np.finfo(np.float64).tiny)
    return Shapes(waves, weights[:, cand_idx])


def match(found: Shapes, templates: IndexArray) -> FloatArray:
    """Best correlation of each candidate with the ``MATCH_NEIGHBOURS`` nearest templates on
    either side (positions into the candidates, sorted), itself excepted; NaN without templates
    or where no lead has weight."""
    n_cand = found.waves.shape[1]
    if templates.size < 2:
        return np.full(n_cand, np.nan)
    rows = np.arange(n_cand)
    at = np.searchsorted(templates, rows)
    total, weight_sum = np.zeros(n_cand), np.zeros(n_cand)
    for lead, waves in enumerate(found.waves):
        best = np.full(n_cand, -1.0)
        for offset in range(-MATCH_NEIGHBOURS, MATCH_NEIGHBOURS + 1):
            pos = at + offset  # k templates before; k after (k + 1 when the candidate is none)
            other = templates[np.clip(pos, 0, templates.size - 1)]
            valid = (pos >= 0) & (pos < templates.size) & (other != rows)
            corr = np.einsum("ij,ij->i", waves, waves[other])
            best = np.where(valid, np.maximum(best, corr), best)
        total += found.weights[lead] * best
        weight_sum += found.weights[lead]
    out: FloatArray = np.where(weight_sum > 0.0, total / np.maximum(weight_sum, 1e-300), np.nan)
    return out
