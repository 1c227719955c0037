"""The CLI starts without its heavy libraries (issue 19, item 2).

`partyflow --help` (and every command's start) pays for what `import cli.main` loads; the
libraries below belong to the commands that use them (reports, the web server, migrations,
attachments, passwords) and are imported inside those commands. These tests check which modules
a fresh interpreter holds — never how long anything took (bench/cli_start.py measures that).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Heavy libraries no command needs before it runs.
HEAVY = ("matplotlib", "docx", "docxtpl", "openpyxl", "fastapi", "starlette", "uvicorn", "alembic", "PIL",
         "pikepdf", "boto3", "botocore", "obstore", "argon2", "cryptography", "jinja2", "sqlalchemy", "pydantic")
# The project's own layers under the CLI: loaded by the commands that call them.
LAYERS = ("engine", "storage", "services", "web", "reports", "documents", "notifications", "workflows")


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (printed at exit)."""
    probe = f"import atexit, sys\natexit.register(lambda: print('\\n'.join(sorted(sys.modules)), file=sys.stderr))\n{code}"
    p = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return set(p.stderr.split())


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names)


def test_importing_the_cli_loads_no_heavy_library_and_no_layer_below_it():
    modules = _modules_after("import cli.main")
    assert "cli.main" in modules  # the probe ran
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, LAYERS) == []
    # typer's rich help renderer (rich's markdown, traceback and pretty printers) waits for help
    assert "typer.rich_utils" not in modules and "rich.markdown" not in modules


def test_help_loads_no_layer_below_the_cli():
    modules = _modules_after("import sys\nsys.argv = ['partyflow', '--help']\nfrom cli.main import app\napp()")
    assert "typer.rich_utils" in modules  # help was rendered
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, LAYERS) == []


def test_the_cli_names_the_database_variable_storage_reads():
    from cli.options import DATABASE_URL_ENV
    from storage.db import ENV_URL

    assert DATABASE_URL_ENV == ENV_URL
