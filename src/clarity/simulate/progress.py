"""A progress bar on stderr (rich), or nothing when it is switched off or stderr is no terminal."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


class Progress:
    """``with Progress(total) as bar: bar.advance()`` once per chunk answered."""

    def __init__(self, total: int, *, enabled: bool = True) -> None:
        console = Console(stderr=True)
        self._bar = RichProgress(
            TextColumn("chunks"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not (enabled and console.is_terminal),
            transient=True,
        )
        self._task = self._bar.add_task("chunks", total=total)

    def advance(self) -> None:
        self._bar.advance(self._task)

    def __enter__(self) -> Progress:
        self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.stop()
