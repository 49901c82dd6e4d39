"""``Statement``: one interpretation statement with its rule and the values that triggered it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Category = Literal[
    "quality", "rhythm", "conduction", "axis", "hypertrophy", "repolarization", "voltage",
    "summary",
]  # fmt: skip
Sex = Literal["male", "female"]
Value = float | int | str | None


@dataclass(frozen=True)
class Statement:
    """A diagnostic statement of the measurement-based interpretation.

    Attributes
    ----------
    code : short code (SCP-ECG style as in PTB-XL where one exists: SR, AFIB, CRBBB, ...).
    text : the statement as a reader sees it.
    category : rhythm, conduction, axis, hypertrophy, repolarization, voltage, quality, summary.
    criterion : the rule that fired, in words, with its limits and source.
    values : the measured values the rule used (ms, mV, degrees, bpm, counts).
    """

    code: str
    text: str
    category: Category
    criterion: str
    values: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """Patient facts the limits depend on."""

    sex: Sex | None = None
    age: float | None = None


def statement(
    code: str, text: str, category: Category, criterion: str, **values: Value
) -> Statement:
    """Build a statement, rounding float values for display."""
    rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}
    return Statement(code, text, category, criterion, rounded)
