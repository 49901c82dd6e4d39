"""Clarity: an open healthcare-AI backend, ECG first."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("clarity")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
