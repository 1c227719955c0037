"""Warm, at start-up, what the first page, report or document download of a process would pay for.

A web process imports the Word, Excel and chart libraries (python-docx, docxtpl, openpyxl,
matplotlib) and looks up a Chinese font the first time someone downloads a report or a 文书:
~1.5 s of CPU that the first user after every restart waited for (issue 19). The first page of a
process also read and resolved every shipped process definition (the YAML files and their
township overrides, ~0.4 s), compiled the Jinja templates it renders (~0.1 s a page), read the
holiday calendar, built the working-day table of each year a due date falls in and the 材料 lists. A daemon thread does all of it once the server is up; a request that needs a
module meanwhile simply waits for that import (Python's import lock), or for the definitions
(the registry's lock), never for the rest. The database is only read (definitions installed from
the admin page, the holiday years)."""
from __future__ import annotations

import gc
import importlib
import logging
import threading
import time
from contextlib import asynccontextmanager

log = logging.getLogger("partyflow.web")

MODULES = (
    "openpyxl", "docx", "docxtpl", "PIL.Image",
    "matplotlib.figure", "matplotlib.backends.backend_agg",
    "reports.render.xlsx", "reports.render.docx", "reports.render.chart",
    "services.materials.documents", "services.materials.archive", "documents.render",
)


class Warmup:
    """The start-up warm-up of one web application: `done` is set when it has finished."""

    def __init__(self) -> None:
        self.web = None  # the FastAPI application, set when the server starts (`lifespan_with`)
        self.done = threading.Event()
        self.seconds: float | None = None
        self.failed: list[str] = []

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="partyflow-warmup", daemon=True)
        thread.start()
        return thread

    def _pages(self) -> None:
        """What every first page pays for: the definitions, the processes and the stages a worklist
        scope reads, the holiday calendar, the compiled templates."""
        pf = getattr(getattr(self.web, "state", None), "pf", None)
        try:
            if pf is not None:
                from engine import process_for
                from services.worklist.reads import _side_stages, start

                start(pf)  # the worklist's change feed, read once (its PostgreSQL start barrier)

                for d in pf.registry.definitions():
                    process_for(d)
                for side in (None, "branch", "township"):
                    _side_stages(pf, side)
                cal = pf.calendar
                from engine.calendar.workdays import _chinese_calendar_flags
                from services.materials.catalogue import available_overrides, catalogue_with

                year = pf.today().year  # due dates name their day (web/render.py due_note)
                for y in range(year - 10, year + 2):
                    cal.known_year(y)
                    _chinese_calendar_flags(y)
                for d in pf.registry.definitions():  # the 材料 lists (缺少材料 on the worklist)
                    for override in (None, *available_overrides()):
                        try:
                            catalogue_with(pf, d, override)
                        except Exception:  # noqa: BLE001 - a list that does not fit these rules
                            pass
        except Exception:  # noqa: BLE001 - the first request then does it, as it would anyway
            log.exception("warm-up: definitions")
            self.failed.append("definitions")
        try:
            if pf is not None:
                self._report(pf)
        except Exception:  # noqa: BLE001 - the first report page then compiles them, as it would anyway
            log.exception("warm-up: report")
            self.failed.append("report")
        try:
            from web.render import TEMPLATES

            env = TEMPLATES.env
            for name in env.list_templates(extensions=("html",)):
                env.get_template(name)  # compiled once, then kept by the environment's cache
            from reports.render.context import _templates

            reports = _templates(None, None)  # the report page's paragraph (kept: reports/render/context.py)
            for name in reports.environment.list_templates(extensions=("j2",)):
                reports.environment.get_template(name)
        except Exception:  # noqa: BLE001
            log.exception("warm-up: templates")
            self.failed.append("templates")

    @staticmethod
    def _report(pf) -> None:
        """The report page's first visit: the storage repositories it imports on first use and
        its ~20 SQL statements, which SQLAlchemy compiles once per process (~35 ms of a first
        report page at 100k candidates, issue 19). One branch's report of last year's second half
        with a plan compiles the shapes every branch's and township's report runs (the plan's
        year-to-date count too); the same over every branch for a half year of 1950 (nothing to
        count: ~40 ms at 100k) those of a report on the whole deployment (no branch list,
        reports/query.py `narrowest_scope`), ~25 ms of a county's first report page."""
        import pkgutil

        import storage.repositories
        from reports.build import build
        from reports.model import OrgRef
        from reports.period import half
        from services.reporting.period_report import _rule_of, _step_names

        for m in pkgutil.iter_modules(storage.repositories.__path__):
            importlib.import_module(f"storage.repositories.{m.name}")
        with pf.uow(read_only=True) as uow:
            branches = sorted(o.id for o in uow.orgs.list() if o.level == "branch")
            if not branches:
                return
            org = OrgRef(branches[0], "", "branch")
            for scope, period in (([branches[0]], half(pf.today().year - 1, 2)), (branches, half(1950, 2))):
                build(uow.connection, org, scope, period, pf.today(), step_names=_step_names(pf),
                      plan={"admit_target": 1, "targets": {}}, rule_of=_rule_of(pf),
                      definitions=pf.registry.definitions())

    def run(self) -> None:
        started = time.process_time()
        try:
            self._pages()
            for name in MODULES:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - a missing extra only costs its first user the import
                    self.failed.append(name)
            try:
                from reports.render.chart import Series, cjk_font, png

                font = cjk_font()  # matplotlib's font list, read once per process
                if font:  # a tiny chart: loads the Chinese font's glyphs and the text layout caches
                    png([Series("预热", (("一", 1),))], font, width_in=1.0, dpi=40)
            except Exception:  # noqa: BLE001 - the report then falls back, as it would anyway
                self.failed.append("chart")
        finally:
            freeze()
            self.seconds = time.process_time() - started
            self.done.set()
            log.info("warm-up done in %.2f s of CPU%s", self.seconds,
                     f" (not loaded: {', '.join(self.failed)})" if self.failed else "")


def freeze() -> None:
    """Leave what the start-up built (modules, definitions, templates, compiled SQL: ~200k
    objects) out of the garbage collector's full passes (`gc.freeze`). A full pass comes
    whenever the long-lived objects have grown by a quarter — the worklist cache's scopes as users
    arrive — and walked all of them: ~80 ms inside whichever request triggered it (the 100–150 ms
    outliers of the first pages, issue 19); ~8 ms with the start-up heap frozen. Unfrozen when the
    server stops (`lifespan_with`), so a process that starts many (the tests) collects them again."""
    gc.collect()  # the start-up's own garbage first, once
    gc.freeze()


SPARE_CONNECTIONS = 5  # for nested units of work, the warm-up and the scheduler's threads


def request_threads(engine) -> int | None:
    """How many threads may run requests at once so that each keeps its connection: every thread
    that opens a unit of work keeps one (services/app.py `App.uow`), and anyio's default of 40
    worker threads against SQLAlchemy's pool of 5 + 10 left the 16th concurrent request waiting 30 s
    for a connection and failing (20 users at once, issue 19). None: the pool has no such limit."""
    pool = engine.pool
    size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", None)
    if not callable(size) or not isinstance(overflow, int) or overflow < 0:
        return None
    return max(2, size() + overflow - SPARE_CONNECTIONS)


def lifespan_with(warmup: Warmup):
    """A FastAPI lifespan that starts `warmup` when the server starts and keeps the request threads
    within the connection pool (`request_threads`)."""
    @asynccontextmanager
    async def lifespan(web):
        from anyio import to_thread

        pf = getattr(web.state, "pf", None)
        threads = request_threads(pf.engine) if pf is not None else None
        if threads is not None:
            limiter = to_thread.current_default_thread_limiter()
            limiter.total_tokens = min(limiter.total_tokens, threads)
        warmup.web = web
        warmup.start()
        yield
        # the warm-up reads the database: a shutdown (a test dropping its schema next) waits for it
        await to_thread.run_sync(warmup.done.wait, 60)
        gc.unfreeze()

    return lifespan
