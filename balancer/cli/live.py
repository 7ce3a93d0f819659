"""Progress on the terminal: one live line per phase, drawn with rich on stderr.

The library reports through :class:`balancer.spec.progress.Progress` and never imports rich;
this module is the CLI's listener. It draws only when stderr is a terminal and ``--quiet``
was not given, so pipes, files and CI logs get the results and nothing else. rich is
imported when a line is first drawn, not when the CLI starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from balancer.spec.progress import SILENT, Progress

if TYPE_CHECKING:
    from rich.console import Console

#: Seconds of explanation after which the line says how to skip it.
LONG_EXPLANATION = 10.0

_LABELS = {
    "read": "reading the scenario and pool",
    "check": "checking the pool against the scenario",
    "feasibility": "testing whether any board exists",
    "solve": "solving",
    "diagnose": "diagnosing why no board exists",
    "explain": "explaining the board",
    "lottery": "finding the fairest lottery",
    "leximin": "leximin",
    "sweep": "sweeping",
}


def words(phase: str, done: int, total: int | None, detail: str) -> str:
    """What a phase's line says after a step, e.g. "stage 2 of 4: lottery 1"."""
    if phase == "solve":
        stage = f"stage {min(done + 1, total or done + 1)}"
        return f"{stage} of {total}: {detail}" if total else f"{stage}: {detail}"
    if phase == "leximin":
        return f"round {done}: {detail}"
    if phase == "sweep":
        return f"point {done} of {total}" if total is not None else f"point {done}"
    if phase == "explain":
        counted = f"{done} of {total}" if total is not None else str(done)
        return f"{detail} {counted}"
    if total is not None:
        return f"{done} of {total} {detail}".rstrip()
    return detail


class LiveProgress:
    """A :class:`Progress` drawing one rich line per phase (kept on screen when it ends)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bars
        from rich.text import Text

        class Hint(ProgressColumn):
            """After a long explanation, the way to skip it next time."""

            def render(self, task: Any) -> Text:
                elapsed = task.elapsed or 0.0
                if task.fields.get("phase") == "explain" and elapsed >= LONG_EXPLANATION:
                    return Text("(--no-explain skips the explanation)", style="dim")
                return Text("")

        self.bars = Bars(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=10),
            TextColumn("{task.fields[where]}"),
            TimeElapsedColumn(),
            Hint(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> LiveProgress:
        self.bars.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.bars.stop()

    def start(self, phase: str, total: int | None = None) -> None:
        self.tasks[phase] = self.bars.add_task(
            _LABELS.get(phase, phase), total=total, where="", phase=phase
        )

    def step(self, phase: str, done: int, total: int | None = None, detail: str = "") -> None:
        task = self.tasks.get(phase)
        if task is None:
            return
        self.bars.update(task, completed=done, total=total, where=words(phase, done, total, detail))

    def end(self, phase: str) -> None:
        task = self.tasks.pop(phase, None)
        if task is None:
            return
        known = next(t for t in self.bars.tasks if t.id == task)
        whole = known.total if known.total is not None else max(1.0, known.completed)
        self.bars.update(task, total=whole, completed=whole)
        self.bars.stop_task(task)


@contextmanager
def live(console: Console, quiet: bool = False) -> Iterator[Progress]:
    """The reporter for one command: live lines on a terminal, silence otherwise."""
    if quiet or not console.is_terminal:
        yield SILENT
        return
    with LiveProgress(console) as reporter:
        yield reporter
