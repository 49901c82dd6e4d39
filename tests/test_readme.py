"""The README stays true: every setting is documented, the two promised commands are there."""

from __future__ import annotations

from pathlib import Path

from clarity.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [name for name in Settings.model_fields if f"`CLARITY_{name.upper()}`" not in README]
    assert not missing, f"document these settings in README.md: {missing}"


def test_the_two_commands_are_at_the_top() -> None:
    top = README[:800]
    assert "pip install -e . && clarity serve" in top
    assert "make test" in top
