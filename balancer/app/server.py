"""The web application: Starlette routes over the workspace, the library and the templates.

Every page is rendered on the server by the project's Jinja2 environment (autoescape on); the
only script is htmx, served from the package, for the live check of the criteria and the
progress of a run. Heavy work (reading a pool, solving) runs in a worker thread so the page
stays responsive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from balancer.app import criteria as crit
from balancer.app import pool as pools
from balancer.app.jobs import Job, Runner, selection
from balancer.app.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Guard,
    GuardMiddleware,
    cookie_value,
    safe_name,
)
from balancer.app.strings import has, t
from balancer.app.workspace import POOL_TYPES, Workspace, dump
from balancer.io.files import Pool
from balancer.present.render import ENV
from balancer.spec.errors import InputError
from balancer.spec.progress import Progress

T = TypeVar("T")
MB = 1024 * 1024
MAX_HEADER_ROW = 50  # a header further down is not an export's title rows but another table
DEFAULT_UPLOAD_LIMIT = 20 * MB
DERIVABLE = ["un_region", "sids", "ldc", "lldc", "global_south"]

TEMPLATES = ENV.overlay(loader=jinja2.PackageLoader("balancer.app", "templates"))
"""The project's one environment (autoescape, filters) reading the app's own templates."""


@dataclass
class Settings:
    workspace: Workspace
    guard: Guard
    upload_limit: int = DEFAULT_UPLOAD_LIMIT


def create_app(
    workspace: Path,
    *,
    guard: Guard | None = None,
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    hosts: set[str] | None = None,
) -> Starlette:
    """The app for one workspace; ``guard`` holds the start token (a new one by default)."""
    settings = Settings(Workspace(workspace), guard or Guard(), upload_limit)
    settings.workspace.repoint()
    runner = Runner()
    views = Views(settings, runner)
    routes = [
        Route("/", views.home),
        Route("/upload", views.upload, methods=["POST"]),
        Route("/copy", views.copy, methods=["POST"]),
        Route("/s/{name}/pool", views.pool_page),
        Route("/s/{name}/pool", views.pool_save, methods=["POST"]),
        Route("/s/{name}/sheet", views.sheet_save, methods=["POST"]),
        Route("/s/{name}/header", views.header_save, methods=["POST"]),
        Route("/s/{name}/values", views.values_page),
        Route("/s/{name}/values", views.values_save, methods=["POST"]),
        Route("/s/{name}/criteria", views.criteria_page),
        Route("/s/{name}/criteria", views.criteria_save, methods=["POST"]),
        Route("/s/{name}/criteria/check", views.criteria_check, methods=["POST"]),
        Route("/s/{name}/select", views.select_page),
        Route("/s/{name}/run", views.run, methods=["POST"]),
        Route("/s/{name}/status", views.status),
        Route("/s/{name}/whynot", views.why_not, methods=["POST"]),
        Route("/s/{name}/alternatives", views.alternatives, methods=["POST"]),
        Route("/s/{name}/lottery", views.lottery, methods=["POST"]),
        Route("/s/{name}/lottery/status", views.lottery_status),
        Route("/s/{name}/report.html", views.report_html),
        Route("/s/{name}/scenario.yaml", views.download_yaml),
        Route("/s/{name}/outputs.zip", views.download_outputs),
        Route("/s/{name}/public.zip", views.download_public),
        Route("/compare", views.compare_page),
        Route("/compare/view", views.compare_view),
        Mount("/static", StaticFiles(packages=[("balancer.app", "static")]), name="static"),
    ]
    allowed = {"127.0.0.1", "localhost", "::1", *(hosts or set())}
    middleware = [
        Middleware(
            GuardMiddleware, guard=settings.guard, hosts=allowed, forbidden=t("error.forbidden")
        )
    ]

    async def bad_input(request: Request, exc: Exception) -> Response:
        """A scenario file edited by hand into something unreadable: the CLI's lines, not a 500."""
        problems = getattr(exc, "problems", [])
        return views.render(
            request, "problem.html.j2", status=400, lines=[str(p) for p in problems]
        )

    return Starlette(
        routes=routes, middleware=middleware, exception_handlers={InputError: bad_input}
    )


class Views:
    """The handlers; each reads the workspace afresh, so the files are the only state."""

    def __init__(self, settings: Settings, runner: Runner) -> None:
        self.s = settings
        self.ws = settings.workspace
        self.runner = runner

    # Helpers -----------------------------------------------------------------------------

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> Response:
        session = cookie_value(request.scope, SESSION_COOKIE) or ""
        page = TEMPLATES.get_template(template).render(
            t=t,
            has=has,
            csrf=self.s.guard.csrf(session),
            csrf_field=CSRF_FIELD,
            scenarios=self.ws.scenario_names(),
            **context,
        )
        return HTMLResponse(page, status_code=status)

    async def form(self, request: Request, *, files: int = 0) -> FormData:
        """The posted form, refused (403) unless it carries this session's CSRF token."""
        form = await request.form(max_files=files, max_fields=5000)
        sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        session = cookie_value(request.scope, SESSION_COOKIE)
        if not isinstance(sent, str) or not self.s.guard.csrf_ok(session, sent):
            raise HTTPException(403, t("error.csrf"))
        return form

    def name(self, request: Request) -> str:
        """The scenario named in the path; 404 unless it exists in the workspace."""
        name = safe_name(str(request.path_params["name"]), keep_suffix=False)
        if not self.ws.scenario_path(name).exists():
            raise HTTPException(404, t("error.not_found"))
        return name

    def pool_of(self, data: dict[str, Any]) -> tuple[Path, str | None, int]:
        """The pool's path, sheet and header row, as the scenario's ``pool:`` says them."""
        ref = data.get("pool")
        path = ref.get("path") if isinstance(ref, dict) else ref
        sheet = ref.get("sheet") if isinstance(ref, dict) else None
        header_row = ref.get("header_row", 1) if isinstance(ref, dict) else 1
        if not isinstance(path, str):
            raise HTTPException(404, t("error.no_pool"))
        return Path(path), sheet, header_row if isinstance(header_row, int) else 1

    async def thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await run_in_threadpool(fn, *args, **kwargs)

    # Home, upload, copy ------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        error = request.query_params.get("error", "")
        return self.render(
            request,
            "home.html.j2",
            root=str(self.ws.root),
            pools=self.ws.pool_files(),
            limit=self.s.upload_limit // MB or 1,
            error=t(error) if error in ERRORS else "",
        )

    async def upload(self, request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():  # browsers always say; a stream of unknown size is refused
            return self._home_error(request, "upload.length_required", 411)
        if int(declared) > self.s.upload_limit + 65536:  # the form's own bytes besides the file
            return self.render(
                request,
                "home.html.j2",
                status=413,
                root=str(self.ws.root),
                pools=self.ws.pool_files(),
                limit=self.s.upload_limit // MB or 1,
                error=t("upload.too_big", limit=self.s.upload_limit // MB or 1),
            )
        form = await self.form(request, files=1)
        upload = form.get("pool")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._home_error(request, "upload.no_file", 400)
        data = await upload.read(self.s.upload_limit + 1)
        if len(data) > self.s.upload_limit:
            return self._home_error(request, "upload.too_big", 413)
        suffix = Path(safe_name(upload.filename)).suffix.lower()
        if suffix not in POOL_TYPES:
            return self._home_error(request, "upload.bad_type", 415)
        if suffix == ".xlsx" and not data.startswith(b"PK\x03\x04"):
            return self._home_error(request, "upload.not_xlsx", 415)
        if (
            suffix == ".csv"
            and b"\x00" in data[:8192]
            and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
        ):
            return self._home_error(request, "upload.not_text", 415)
        file_name = self.ws.new_pool_name(upload.filename)
        path = self.ws.pool_path(file_name)
        path.write_bytes(data)
        try:
            name = await self.thread(self._start_scenario, path)
        except Exception as exc:
            path.unlink(missing_ok=True)
            problems = getattr(exc, "problems", None)
            lines = [str(p) for p in problems] if problems else [f"{type(exc).__name__}: {exc}"]
            return self.render(
                request,
                "home.html.j2",
                status=400,
                root=str(self.ws.root),
                pools=self.ws.pool_files(),
                limit=self.s.upload_limit // MB or 1,
                error=t("upload.unreadable"),
                details=lines,
            )
        return RedirectResponse(f"/s/{name}/pool", status_code=303)

    def _home_error(self, request: Request, key: str, status: int) -> Response:
        limit = self.s.upload_limit // MB or 1
        return self.render(
            request,
            "home.html.j2",
            status=status,
            root=str(self.ws.root),
            pools=self.ws.pool_files(),
            limit=limit,
            error=t(key, limit=limit),
        )

    def _start_scenario(self, path: Path) -> str:
        """A new scenario on an uploaded pool, with the suggested mapping and a board size."""
        raw, header_row = pools.read_guessing(path)
        mapping = pools.suggest_mapping(raw)
        if mapping.id_header() is None:
            mapping.roles[str(raw.table.columns[0])] = "id"
        name = self.ws.new_scenario_name(path.stem)
        data: dict[str, Any] = {
            "name": path.stem,
            "board_size": min(11, max(1, len(raw.table) // 2)),
            "pool": _pool_ref(path, None, header_row),
        }
        data |= _mapping_keys(mapping)
        self.ws.write(name, data)
        return name

    async def copy(self, request: Request) -> Response:
        form = await self.form(request)
        source = safe_name(str(form.get("source", "")), keep_suffix=False)
        if not self.ws.scenario_path(source).exists():
            raise HTTPException(404, t("error.not_found"))
        wanted = str(form.get("new_name", "")).strip() or f"{source}-copy"
        name = self.ws.new_scenario_name(wanted)
        data = self.ws.read(source)
        data["name"] = wanted
        self.ws.write(name, data)
        return RedirectResponse(f"/s/{name}/criteria", status_code=303)

    # Pool and mapping --------------------------------------------------------------------

    def _raw(self, name: str) -> tuple[dict[str, Any], Pool, pools.Mapping]:
        data = self.ws.read(name)
        path, sheet, header_row = self.pool_of(data)
        encoding = data.get("encoding")
        raw = pools.read(path, sheet, encoding if isinstance(encoding, str) else None, header_row)
        mapping = pools.mapping_from_scenario(raw, data) or pools.suggest_mapping(raw)
        return data, raw, mapping

    async def pool_page(self, request: Request) -> Response:
        name = self.name(request)
        data, raw, mapping = await self.thread(self._raw, name)
        headers = [str(c) for c in raw.table.columns]
        path, sheet, header_row = self.pool_of(data)
        sheets = await self.thread(pools.sheet_names, path)
        return self.render(
            request,
            "pool.html.j2",
            name=name,
            file=path.name,
            sheets=sheets,
            sheet=sheet or (sheets[0] if sheets else ""),
            header_row=header_row,
            max_header_row=MAX_HEADER_ROW,
            rows=len(raw.table),
            headers=headers,
            first=raw.table.head(8).values.tolist(),
            mapping=mapping,
            roles=pools.ROLES,
            error=_mapping_error(request.query_params.get("error", "")),
        )

    async def pool_save(self, request: Request) -> Response:
        name = self.name(request)
        form = await self.form(request)
        data, raw, _ = await self.thread(self._raw, name)
        headers = [str(c) for c in raw.table.columns]
        roles = {h: str(form.get(f"role-{i}", "other")) for i, h in enumerate(headers)}
        roles = {h: r if r in pools.ROLES else "other" for h, r in roles.items()}
        separators = {
            h: str(form.get(f"sep-{i}", "")).strip()
            for i, h in enumerate(headers)
            if str(form.get(f"sep-{i}", "")).strip()
        }
        mapping = pools.Mapping(roles, separators)
        chosen = [r for r in roles.values() if r != "other"]
        if chosen.count("id") != 1:
            key = "mapping.need_id" if "id" not in chosen else "mapping.two_ids"
            return RedirectResponse(f"/s/{name}/pool?error={key}", status_code=303)
        twice = sorted({r for r in chosen if chosen.count(r) > 1})
        if twice:
            return RedirectResponse(f"/s/{name}/pool?error=mapping.twice:{twice[0]}", 303)
        data |= _mapping_keys(mapping)
        # Spellings and blanks of a column that is no longer there (a role changed) would be
        # an error naming a column the convener never typed: drop them with the column.
        names = {mapping.name_of(h) for h in headers}
        for key in ("aliases", "missing"):
            if isinstance(data.get(key), dict):
                data[key] = {c: v for c, v in data[key].items() if c in names}
        if isinstance(data.get("derive"), dict):
            data["derive"] = {c: v for c, v in data["derive"].items() if v in names}
        self.ws.write(name, data)
        return RedirectResponse(f"/s/{name}/values", status_code=303)

    async def sheet_save(self, request: Request) -> Response:
        """Read another sheet of the workbook: the mapping starts again from its headers."""
        name = self.name(request)
        form = await self.form(request)
        data = self.ws.read(name)
        path, _, _ = self.pool_of(data)
        sheets = await self.thread(pools.sheet_names, path)
        chosen = str(form.get("sheet", ""))
        if chosen not in sheets:
            raise HTTPException(400, t("error.not_found"))
        raw, header_row = await self.thread(pools.read_guessing, path, chosen)
        sheet = chosen if chosen != sheets[0] else None
        self._restart_mapping(name, data, raw, _pool_ref(path, sheet, header_row))
        return RedirectResponse(f"/s/{name}/pool", status_code=303)

    async def header_save(self, request: Request) -> Response:
        """Read the column names from another row: the mapping starts again from them."""
        name = self.name(request)
        form = await self.form(request)
        data = self.ws.read(name)
        path, sheet, _ = self.pool_of(data)
        chosen = str(form.get("header_row", "")).strip()
        if not chosen.isdigit() or not 1 <= int(chosen) <= MAX_HEADER_ROW:
            return RedirectResponse(f"/s/{name}/pool?error=pool.bad_header_row", 303)
        encoding = data.get("encoding")
        raw = await self.thread(
            pools.read, path, sheet, encoding if isinstance(encoding, str) else None, int(chosen)
        )
        self._restart_mapping(name, data, raw, _pool_ref(path, sheet, int(chosen)))
        return RedirectResponse(f"/s/{name}/pool", status_code=303)

    def _restart_mapping(self, name: str, data: dict[str, Any], raw: Pool, ref: object) -> None:
        """Another sheet or header row: new headers, so the mapping and spellings start anew."""
        mapping = pools.suggest_mapping(raw)
        if mapping.id_header() is None:
            mapping.roles[str(raw.table.columns[0])] = "id"
        data["pool"] = ref
        for key in ("aliases", "missing", "derive"):
            data.pop(key, None)
        data |= _mapping_keys(mapping)
        self.ws.write(name, data)

    # Values and supply -------------------------------------------------------------------

    def _values(self, name: str) -> dict[str, Any]:
        data, raw, mapping = self._raw(name)
        aliases = data.get("aliases") or {}
        columns = pools.propose(raw, mapping, aliases)
        missing = data.get("missing") or {}
        for column in columns:
            column.missing = missing.get(column.name, column.missing if not aliases else "error")
        country = next((c.name for c in columns if c.role == "country"), None)
        derive = data.get("derive") or {}
        supply, problems = self._supply(name, data)
        return {
            "columns": columns,
            "country": country,
            "derivable": DERIVABLE,
            "derived": set(derive),
            "supply": supply,
            "problems": problems,
            "saved": bool(aliases or missing),
        }

    def _supply(
        self, name: str, data: dict[str, Any]
    ) -> tuple[list[tuple[str, list[tuple[str, int]]]], list[str]]:
        """Candidates per value of each column, as ``balancer validate`` reads the pool.

        ``data`` may be a form not saved yet: it is read as if saved in place of the scenario.
        """
        from balancer.engine.load import read_prepared
        from balancer.io.normalise import part_counts

        try:
            file = crit.scenario_file(data, self.ws.scenario_path(name))
            prepared = read_prepared(file)
        except InputError as error:
            return [], [str(p) for p in error.problems]
        table = prepared.pool.table
        supply = []
        skip = {prepared.pool.id_column, "name"}
        for column in table.columns:
            if column in skip:
                continue
            counts = part_counts(table, column, file.scenario.multi.get(column))
            supply.append((str(column), [(str(v), int(n)) for v, n in counts.items()]))
        return supply, [str(p) for p in prepared.problems]

    async def values_page(self, request: Request) -> Response:
        name = self.name(request)
        context = await self.thread(self._values, name)
        return self.render(request, "values.html.j2", name=name, **context)

    async def values_save(self, request: Request) -> Response:
        name = self.name(request)
        form = await self.form(request)
        data, raw, mapping = await self.thread(self._raw, name)
        columns = pools.propose(raw, mapping, data.get("aliases") or {})
        aliases: dict[str, dict[str, str]] = {}
        missing: dict[str, str] = {}
        for ci, column in enumerate(columns):
            for ri, row in enumerate(column.rows):
                value = str(form.get(f"a-{ci}-{ri}", row.proposed)).strip()
                if value and value != row.raw:
                    aliases.setdefault(column.name, {})[row.raw] = value
            choice = str(form.get(f"m-{ci}", "error"))
            if column.blanks and choice in ("unknown", "exclude"):
                missing[column.name] = choice
        data["aliases"] = aliases
        data["missing"] = missing
        country = next((c.name for c in columns if c.role == "country"), None)
        derive = {}
        if country:
            for attribute in DERIVABLE:
                if form.get(f"derive-{attribute}"):
                    derive[attribute] = country
        data["derive"] = derive
        self.ws.write(name, data)
        return RedirectResponse(f"/s/{name}/values#supply", status_code=303)

    # Criteria ----------------------------------------------------------------------------

    def _criteria_context(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        path = self.ws.scenario_path(name)
        columns, values = self._columns(name, data)
        return {
            "data": data,
            "rows": crit.form_rows(data, columns),
            "check": crit.check(data, path),
            "columns": columns,
            "values": values,
            "include": " ".join(map(str, data.get("include") or [])),
            "exclude": " ".join(map(str, data.get("exclude") or [])),
        }

    def _columns(self, name: str, data: dict[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
        supply, _ = self._supply(name, data)
        return [c for c, _ in supply], {c: [v for v, _ in vs] for c, vs in supply}

    async def criteria_page(self, request: Request) -> Response:
        name = self.name(request)
        data = self.ws.read(name)
        context = await self.thread(self._criteria_context, name, data)
        return self.render(request, "criteria.html.j2", name=name, message="", **context)

    async def criteria_check(self, request: Request) -> Response:
        name = self.name(request)
        form = await self.form(request)
        data = crit.apply_form(self.ws.read(name), _strings(form))
        check = await self.thread(crit.check, data, self.ws.scenario_path(name))
        return self.render(request, "check.html.j2", check=check)

    async def criteria_save(self, request: Request) -> Response:
        name = self.name(request)
        form = await self.form(request)
        data = crit.apply_form(self.ws.read(name), _strings(form))
        check = await self.thread(crit.check, data, self.ws.scenario_path(name))
        schema_ok = await self.thread(_schema_ok, data, name)
        if schema_ok:
            self.ws.write(name, data)
        context = await self.thread(self._criteria_context, name, data)
        message = t("criteria.saved") if schema_ok else t("criteria.not_saved")
        context["check"] = check
        return self.render(request, "criteria.html.j2", name=name, message=message, **context)

    # Select ------------------------------------------------------------------------------

    def _result_context(self, name: str, job: Job) -> dict[str, Any]:
        report = job.report
        if report is None:
            report = _last_report(self.ws.output_dir(name))
        binding = []
        if report is not None and report.explanation is not None:
            binding = [r for r in report.explanation.rules if r.status == "binding"]
        pool_ids: list[str] = []
        if report is not None:
            from balancer.engine.load import read_prepared
            from balancer.io.files import load_scenario

            try:  # the candidates a why-not may ask about: the pool as select reads it
                pool = read_prepared(load_scenario(self.ws.scenario_path(name))).pool
            except InputError:  # the scenario was broken since the run: no list, no error
                pool = None
            if pool is not None and pool.id_column in pool.table.columns:
                chosen = set(report.roster)
                ids = pool.table[pool.id_column].tolist()
                pool_ids = [i for i in ids if i not in chosen]
        return {"job": job, "report": report, "binding": binding, "others": pool_ids}

    async def select_page(self, request: Request) -> Response:
        name = self.name(request)
        job = self.runner.job(name)
        context = await self.thread(self._result_context, name, job)
        return self.render(
            request,
            "select.html.j2",
            name=name,
            scenario_file=str(self.ws.scenario_path(name)),
            **context,
        )

    async def run(self, request: Request) -> Response:
        name = self.name(request)
        await self.form(request)
        work = selection(self.ws.scenario_path(name), self.ws.output_dir(name))
        job = self.runner.start(name, work)
        return self.render(request, "status.html.j2", name=name, job=job)

    async def status(self, request: Request) -> Response:
        name = self.name(request)
        job = self.runner.job(name)
        if job.state in ("running", "failed"):
            return self.render(request, "status.html.j2", name=name, job=job)
        context = await self.thread(self._result_context, name, job)
        return self.render(request, "result.html.j2", name=name, **context)

    async def why_not(self, request: Request) -> Response:
        from balancer.selection.run import select

        name = self.name(request)
        form = await self.form(request)
        candidate = str(form.get("candidate", "")).strip()
        try:
            result = await self.thread(
                select, self.ws.scenario_path(name), why_not=[candidate], alternatives=0
            )
        except InputError as error:
            return self.render(request, "answer.html.j2", lines=[str(p) for p in error.problems])
        explanation = result.report.explanation
        lines = [w.sentence for w in explanation.why_not] if explanation else []
        return self.render(request, "answer.html.j2", lines=lines)

    async def alternatives(self, request: Request) -> Response:
        from balancer.selection.run import select

        name = self.name(request)
        form = await self.form(request)
        text = str(form.get("count", "3")).strip()
        count = min(10, max(1, int(text))) if text.isdigit() else 3
        try:
            result = await self.thread(
                select, self.ws.scenario_path(name), explain_board=False, alternatives=count
            )
        except InputError as error:
            return self.render(request, "answer.html.j2", lines=[str(p) for p in error.problems])
        boards = result.report.alternatives.boards if result.report.alternatives else []
        return self.render(request, "alternatives.html.j2", boards=boards)

    async def lottery(self, request: Request) -> Response:
        """Start the fair lottery in the background; the answer polls for its progress."""
        from balancer.fair.run import run_lottery

        name = self.name(request)
        await self.form(request)
        path = self.ws.scenario_path(name)

        def work(progress: Progress) -> list[tuple[str, float]]:
            result = run_lottery(path, progress=progress)
            ids = [str(i) for i in result.problem.ids]
            chances = zip(ids, result.person_probability, strict=True)
            return sorted(chances, key=lambda p: (-round(p[1], 9), p[0]))

        job = self.runner.start(f"{name}#lottery", work)
        return self.render(request, "lottery.html.j2", name=name, job=job)

    async def lottery_status(self, request: Request) -> Response:
        name = self.name(request)
        job = self.runner.job(f"{name}#lottery")
        return self.render(request, "lottery.html.j2", name=name, job=job)

    # Files -------------------------------------------------------------------------------

    async def report_html(self, request: Request) -> Response:
        name = self.name(request)
        path = self.ws.output_dir(name) / "report.html"
        if not path.exists():
            raise HTTPException(404, t("error.not_found"))
        return FileResponse(path, media_type="text/html; charset=utf-8")

    async def download_yaml(self, request: Request) -> Response:
        name = self.name(request)
        return FileResponse(
            self.ws.scenario_path(name),
            media_type="application/yaml",
            filename=f"{name}.yaml",
        )

    async def download_outputs(self, request: Request) -> Response:
        return await self._zip(request, public=False)

    async def download_public(self, request: Request) -> Response:
        return await self._zip(request, public=True)

    async def _zip(self, request: Request, *, public: bool) -> Response:
        name = self.name(request)
        folder = self.ws.output_dir(name)
        if public:
            folder = folder / "public"
        if not folder.exists():
            raise HTTPException(404, t("error.not_found"))
        data = await self.thread(self.ws.zipped, folder, skip=None if public else "public")
        suffix = "-public" if public else ""
        return Response(
            data,
            media_type="application/zip",
            headers={"content-disposition": f'attachment; filename="{name}{suffix}.zip"'},
        )

    # Compare -----------------------------------------------------------------------------

    async def compare_page(self, request: Request) -> Response:
        names = self.ws.scenario_names()
        first = safe_name(request.query_params.get("a", ""), keep_suffix=False)
        second = safe_name(request.query_params.get("b", ""), keep_suffix=False)
        chosen = first in names and second in names
        return self.render(
            request,
            "compare.html.j2",
            names=names,
            first=first if chosen else "",
            second=second if chosen else "",
        )

    async def compare_view(self, request: Request) -> Response:
        from balancer.decide import compare as comparing

        names = self.ws.scenario_names()
        chosen = [safe_name(request.query_params.get(k, ""), keep_suffix=False) for k in ("a", "b")]
        if not all(c in names for c in chosen):
            raise HTTPException(404, t("error.not_found"))

        def run() -> str:
            options = []
            for name in chosen:
                option = comparing.load_option(str(self.ws.scenario_path(name)))
                option.label = name
                options.append(option)
            return comparing.html(comparing.compare(options))

        try:
            page = await self.thread(run)
        except InputError as error:
            return self.render(request, "answer.html.j2", lines=[str(p) for p in error.problems])
        return HTMLResponse(page)


ERRORS = {"upload.no_file", "upload.bad_type"}


def _mapping_error(key: str) -> str:
    if key.startswith("mapping.twice:"):
        role = key.partition(":")[2]
        return t("mapping.twice", role=role) if role in pools.ROLES else ""
    if key == "pool.bad_header_row":
        return t(key, most=MAX_HEADER_ROW)
    return t(key) if key in ("mapping.need_id", "mapping.two_ids") else ""


def _pool_ref(path: Path, sheet: str | None, header_row: int) -> str | dict[str, Any]:
    """The scenario's ``pool:``: the bare path, or a mapping when a sheet or header row is set."""
    extra: dict[str, Any] = {}
    if sheet:
        extra["sheet"] = sheet
    if header_row != 1:
        extra["header_row"] = header_row
    return {"path": str(path), **extra} if extra else str(path)


def _strings(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _schema_ok(data: dict[str, Any], name: str) -> bool:
    from balancer.io.files import parse_scenario_text

    try:
        parse_scenario_text(dump(data), source=f"{name}.yaml")
    except InputError:
        return False
    return True


def _mapping_keys(mapping: pools.Mapping) -> dict[str, Any]:
    """The scenario keys a mapping stands for: ``id_column``, ``columns``, ``multi``."""
    columns = {}
    for header in mapping.roles:
        target = mapping.name_of(header)
        if target != header:
            columns[header] = target
    multi = {mapping.name_of(h): s for h, s in mapping.separators.items() if s}
    return {"id_column": mapping.id_header() or "id", "columns": columns, "multi": multi}


def _last_report(folder: Path) -> Any:
    from balancer.selection.report import Report

    path = folder / "report.json"
    if not path.exists():
        return None
    try:
        return Report.model_validate_json(path.read_text(encoding="utf-8"))
    except Exception:
        return None
