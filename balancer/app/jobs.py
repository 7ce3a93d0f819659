"""Runs in the background, so the page can show that a selection is under way.

One run per scenario at a time. A run is ``balancer select`` on the scenario's file in the
workspace (the same call the CLI makes), and it writes the CLI's files to ``out/<name>/``
and the publishable variant to ``out/<name>/public/``.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from balancer.selection.report import Report
from balancer.selection.run import select
from balancer.spec.errors import InputError


@dataclass
class Job:
    state: str = "idle"  # idle, running, done, failed
    started: float = 0.0
    finished: float = 0.0
    problems: list[str] = field(default_factory=list)
    error: str = ""
    report: Report | None = None
    phase: str = ""
    done: int = 0
    total: int | None = None
    detail: str = ""

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


class Runner:
    """The jobs of one app, by scenario name; a lock keeps two runs of one scenario apart."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def job(self, name: str) -> Job:
        with self._lock:
            return self._jobs.setdefault(name, Job())

    def start(self, name: str, scenario: Path, out: Path) -> Job:
        with self._lock:
            job = self._jobs.get(name)
            if job is not None and job.state == "running":
                return job
            job = Job(state="running", started=time.monotonic())
            self._jobs[name] = job
        threading.Thread(target=self._run, args=(job, scenario, out), daemon=True).start()
        return job

    def _run(self, job: Job, scenario: Path, out: Path) -> None:
        try:
            result = select(scenario, command=command_for(scenario, out), progress=JobProgress(job))
            if out.exists():
                shutil.rmtree(out)
            result.write(out)
            result.write(out / "public", public=True)
            job.report = result.report
            job.state = "done"
        except InputError as error:
            job.problems = [str(p) for p in error.problems]
            job.state = "failed"
        except Exception as exc:  # shown on the page instead of a dead spinner
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed"
        finally:
            job.finished = time.monotonic()
