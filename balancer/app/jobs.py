"""Runs in the background, so the page can show that a selection (or a lottery) is under way.

One run per scenario at a time, and one lottery. A run is ``balancer select`` on the
scenario's file in the workspace (the same call the CLI makes), and it writes the CLI's files
to ``out/<name>/`` and the publishable variant to ``out/<name>/public/``.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from balancer.selection.report import Report
from balancer.selection.run import select
from balancer.spec.errors import InputError
from balancer.spec.progress import Progress


@dataclass
class Job:
    state: str = "idle"  # idle, running, done, failed
    started: float = 0.0
    finished: float = 0.0
    problems: list[str] = field(default_factory=list)
    error: str = ""
    value: object = None  # what the work returned: a Report for a selection
    phase: str = ""
    done: int = 0
    total: int | None = None
    detail: str = ""

    @property
    def report(self) -> Report | None:
        return self.value if isinstance(self.value, Report) else None

    @property
    def elapsed(self) -> float:
        end = self.finished if self.state != "running" else time.monotonic()
        return end - self.started if self.started else 0.0


class JobProgress:
    """The library's progress reporter (:mod:`balancer.spec.progress`) writing into a job.

    Plain attribute writes from the worker thread; the page reads them when it polls.
    """

    def __init__(self, job: Job) -> None:
        self.job = job

    def start(self, phase: str, total: int | None = None) -> None:
        self.job.phase, self.job.done, self.job.total, self.job.detail = phase, 0, total, ""

    def step(self, phase: str, done: int, total: int | None = None, detail: str = "") -> None:
        self.job.phase, self.job.done, self.job.total, self.job.detail = phase, done, total, detail

    def end(self, phase: str) -> None:
        return None


def command_for(scenario: Path, out: Path) -> str:
    return f"balancer select {scenario} --out {out}"


def selection(scenario: Path, out: Path) -> Callable[[Progress], Report]:
    """The work of a run: ``balancer select`` on the file, both variants written to ``out``."""

    def work(progress: Progress) -> Report:
        result = select(scenario, command=command_for(scenario, out), progress=progress)
        if out.exists():
            shutil.rmtree(out)
        result.write(out)
        result.write(out / "public", public=True)
        return result.report

    return work


class Runner:
    """The jobs of one app by key (a scenario, or a scenario's lottery), one at a time each."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def job(self, key: str) -> Job:
        with self._lock:
            return self._jobs.setdefault(key, Job())

    def start(self, key: str, work: Callable[[Progress], object]) -> Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state == "running":
                return job
            job = Job(state="running", started=time.monotonic())
            self._jobs[key] = job
        threading.Thread(target=self._run, args=(job, work), daemon=True).start()
        return job

    def _run(self, job: Job, work: Callable[[Progress], object]) -> None:
        try:
            job.value = work(JobProgress(job))
            job.state = "done"
        except InputError as error:
            job.problems = [str(p) for p in error.problems]
            job.state = "failed"
        except Exception as exc:  # shown on the page instead of a dead spinner
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed"
        finally:
            job.finished = time.monotonic()
