"""Warm, at start-up, what the first report or document download of a process would pay for.

A web process imports the Word, Excel and chart libraries (python-docx, docxtpl, openpyxl,
matplotlib) and looks up a Chinese font the first time someone downloads a report or a 文书:
~1.5 s of CPU that the first user after every restart waited for (issue 19). A daemon thread does
it once the server is up; a request that needs a module meanwhile simply waits for that import
(Python's import lock), never for the rest. Nothing here touches the database."""
from __future__ import annotations

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
        self.done = threading.Event()
        self.seconds: float | None = None
        self.failed: list[str] = []

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="partyflow-warmup", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        started = time.process_time()
        try:
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
            self.seconds = time.process_time() - started
            self.done.set()
            log.info("warm-up done in %.2f s of CPU%s", self.seconds,
                     f" (not loaded: {', '.join(self.failed)})" if self.failed else "")


def lifespan_with(warmup: Warmup):
    """A FastAPI lifespan that starts `warmup` when the server starts."""
    @asynccontextmanager
    async def lifespan(_web):
        warmup.start()
        yield

    return lifespan
