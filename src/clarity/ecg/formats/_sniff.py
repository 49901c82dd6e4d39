"""Recognising an ECG file's format from its first bytes, then its name."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Literal

from clarity.ecg.errors import CorruptFile, UnsupportedFormat

Format = Literal["wfdb", "edf", "dicom", "csv", "json", "json-leads"]
SUPPORTED_FORMATS: tuple[Format, ...] = ("wfdb", "edf", "dicom", "csv", "json", "json-leads")

_EXTENSIONS: dict[str, Format] = {
    ".zip": "wfdb", ".edf": "edf", ".bdf": "edf", ".rec": "edf", ".dcm": "dicom",
    ".dicom": "dicom", ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".json": "json",
}  # fmt: skip
_WFDB_HEADER_LINE = re.compile(rb"^[A-Za-z0-9_\-~]+(/\d+)?[ \t]+\d+([ \t]|\r?\n|$)")
_TEXT_HEAD = 4096


def sniff_format(head: bytes, filename: str | None = None) -> Format:
    """The format of a file from its first bytes, then its name.

    Content decides for binary formats (zip → WFDB, ``DICM`` → DICOM, EDF/BDF version fields) and
    for JSON; the file name's extension decides otherwise; text with delimiters is read as CSV.

    Parameters
    ----------
    head : bytes
        The start of the file (4 KiB suffice).
    filename : str, optional
        The file's name, for its extension.

    Returns
    -------
    Format
        ``json`` for both JSON forms.

    Raises
    ------
    CorruptFile
        A WFDB header on its own (its signal file is needed too).
    UnsupportedFormat
        Anything else.
    """
    by_content = _by_magic(head)
    if by_content is not None:
        return by_content
    suffix = PurePath(filename).suffix.lower() if filename else ""
    text = _text_start(head)
    if suffix == ".hea" or (text is not None and _WFDB_HEADER_LINE.match(text) and not suffix):
        raise CorruptFile(
            "a WFDB header alone cannot be read: upload a zip holding the .hea and its .dat files"
        )
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if text is not None and any(d in text.split(b"\n", 1)[0] for d in (b",", b";", b"\t")):
        return "csv"
    raise UnsupportedFormat(
        "unrecognised ECG file: Clarity reads WFDB (zip of .hea + .dat), EDF/EDF+/BDF, DICOM "
        "ECG waveforms, CSV and JSON; name the file with its extension or state the format"
    )


def _by_magic(head: bytes) -> Format | None:
    if head.startswith(b"PK\x03\x04"):
        return "wfdb"
    if head[128:132] == b"DICM":
        return "dicom"
    if head.startswith((b"0       ", b"\xffBIOSEMI")) and len(head) >= 256:
        return "edf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "json"
    return None


def _text_start(head: bytes) -> bytes | None:
    """The first non-comment line onwards, if ``head`` looks like text; else None."""
    sample = head[:_TEXT_HEAD].lstrip(b"\xef\xbb\xbf")
    if b"\x00" in sample:
        return None
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # a multi-byte character cut at the end is fine
            return None
    lines = [ln.strip() for ln in sample.splitlines() if ln.strip()]
    body = [ln for ln in lines if not ln.startswith(b"#")]
    return b"\n".join(body) if body else None
