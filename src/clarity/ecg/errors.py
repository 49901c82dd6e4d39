"""Typed errors of the ECG cores. Each maps to a 4xx through the ``ClarityError`` tree."""

from __future__ import annotations

from clarity.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType


class InvalidSignal(Unprocessable):
    """The samples cannot be an ECG: wrong shape, NaN/inf, absurd amplitude, bad rate."""

    default_detail = "invalid ECG signal"


class SignalTooShort(InvalidSignal):
    """Too few samples (or beats) for the requested analysis."""

    default_detail = "ECG signal too short"


class UnsupportedFormat(UnsupportedMediaType):
    """A file whose format Clarity does not read."""

    default_detail = "unsupported ECG file format"


class CorruptFile(Unprocessable):
    """A file of a known format that cannot be parsed."""

    default_detail = "corrupt ECG file"


class SignalTooLong(PayloadTooLarge):
    """More samples than an endpoint accepts in one request."""

    default_detail = "ECG signal too long"
