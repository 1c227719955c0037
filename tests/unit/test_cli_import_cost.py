"""The CLI starts without its heavy libraries (issue 19, item 2).

`partyflow --help` (and every command's start) pays for what `import cli.main` loads; the
libraries below belong to the commands that use them (reports, the web server, migrations,
attachments, passwords) and are imported inside those commands. These tests check which modules
a fresh interpreter holds — never how long anything took (bench/cli_start.py measures that).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Heavy libraries no command needs before it runs.
HEAVY = ("matplotlib", "docx", "docxtpl", "openpyxl", "fastapi", "starlette", "uvicorn", "alembic", "PIL",
         "pikepdf", "boto3", "botocore", "obstore", "argon2", "cryptography", "jinja2", "sqlalchemy", "pydantic")
# The project's own layers under the CLI: loaded by the commands that call them.
LAYERS = ("engine", "storage", "services", "web", "reports", "documents", "notifications", "workflows")


def _run(code: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """Run `code` in a fresh interpreter: the modules it holds at exit, and the process."""
    probe = f"import atexit, sys\natexit.register(lambda: print('\\n'.join(sorted(sys.modules)), file=sys.stderr))\n{code}"
    p = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return set(p.stderr.split()), p


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (printed at exit)."""
    return _run(code)[0]


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


# What `show` and `list` (reading candidates) must not load: the report, web, migration and
# attachment libraries, pydantic (typer's value coercion: tests below) and the state-machine library
# (reading the next steps needs no machine: engine/process.py).
NOT_FOR_READING = ("matplotlib", "docx", "docxtpl", "openpyxl", "fastapi", "starlette", "uvicorn", "alembic", "PIL",
                   "pikepdf", "boto3", "botocore", "obstore", "argon2", "cryptography", "jinja2", "pydantic",
                   "transitions")


@pytest.fixture(scope="module")
def candidate_db(tmp_path_factory) -> str:
    """A database at the shipped head with a few people and one candidate (built in-process)."""
    from tests.e2e import Cli, world

    cli = Cli(f"sqlite:///{tmp_path_factory.mktemp('reads') / 'partyflow.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARTYFLOW_ACTOR", "测试录入人")
        w = world(cli)
        cli("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")
    return cli.url


@pytest.mark.parametrize("argv", [["show", "1"], ["list"], ["--json", "list", "--stage", "入党申请人"]])
def test_reading_candidates_loads_no_library_it_does_not_use(candidate_db, argv):
    code = f"import sys\nsys.argv = ['partyflow', '--db', {candidate_db!r}, *{argv!r}]\nfrom cli.main import app\napp()"
    modules, p = _run(code)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "刘小红" in p.stdout  # the command read the candidate
    assert "services.casework.queries" in modules and "sqlalchemy" in modules
    assert _loaded(modules, NOT_FOR_READING) == []
    assert _loaded(modules, ("web", "reports", "documents", "notifications")) == []
    assert not {"engine.decide", "services.casework.candidates", "workflows.materials"} & modules  # write paths
    # SQLite needs no PostgreSQL dialect: the schema's PostgreSQL options wait for a PostgreSQL engine
    assert "sqlalchemy.dialects.sqlite" in modules
    assert sorted(m for m in modules if m.startswith("sqlalchemy.dialects.postgresql")) == []


def test_the_schema_loads_the_postgresql_dialect_only_for_postgresql():
    """storage.tables gives JSONB and the partial indexes' WHERE on PostgreSQL only when asked
    (make_engine asks for a PostgreSQL URL): a SQLite process never imports that dialect."""
    code = ("import sys\nimport storage.tables as t\n"
            "print('before:', any(m.startswith('sqlalchemy.dialects.postgresql') for m in sys.modules))\n"
            "t.use_postgresql()\nt.use_postgresql()\n"
            "late = next(i for i in t.event.indexes if i.name == 'ix_event_late_occurred_on')\n"
            "print('where:', late.dialect_options['postgresql']['where'], late.dialect_options['sqlite']['where'])\n"
            "from sqlalchemy.dialects import postgresql\n"
            "print('type:', t.event.c.evidence.type.compile(dialect=postgresql.dialect()))")
    _modules, p = _run(code)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split("\n")[:3] == ["before: False", "where: late late = 1", "type: JSONB"]


def test_plain_values_convert_as_typers_own_coercion_converts_them():
    """cli.zh converts plain str/int/list[str] values without pydantic; every other value goes to
    typer's coercion. Both must give the same value, or the same refusal."""
    import typer.main
    from typer._click import Context
    from typer._click.exceptions import BadParameter
    from typer._coercion import build_runtime_param

    from cli import zh
    from cli.main import app

    root = typer.main.get_command(app)
    samples = {
        "int": ["1", "007", "-5", "+5", " 5", "5 ", "1_000", "1.0", "5.5", "", "x", "٣", "99999999999999999999", 12],
        "str": ["", "abc", "红星村", " a b ", "a\udcffb", "-"],
        "list": [("a", "b"), ["红", ""], ("x",), ()],
    }
    cases = {"int": (root.commands["show"], "candidate"), "str": (root.commands["list"], "org"),
             "list": (root.commands["step"], "set_")}
    for kind, (cmd, name) in cases.items():
        param = next(p for p in cmd.params if p.name == name)
        assert zh._plain_kind(param.type_descriptor) == kind
        ctx = Context(cmd)
        for value in samples[kind]:
            outcome = []
            for runtime in (zh._PlainRuntimeParam(parameter_info=param.type_descriptor.parameter_info,
                                                  annotation=param.type_descriptor.annotation, kind=kind),
                            build_runtime_param(param.type_descriptor)):
                param._runtime_param = runtime
                try:
                    got = runtime.coerce(value, param=param, ctx=ctx)
                    outcome.append(("value", type(got), got))
                except BadParameter as e:
                    outcome.append(("refused", e.message))
            param._runtime_param = None
            assert outcome[0] == outcome[1], (kind, value, outcome)


def test_the_packages_load_their_names_on_first_use():
    """engine, storage and storage.repositories re-export names without importing every module:
    `import storage.errors` (every command's error handler) loads no SQLAlchemy."""
    modules = _modules_after("import engine, storage, storage.repositories, storage.errors\nfrom engine import DomainError")
    assert "storage.errors" in modules and "engine.errors" in modules
    assert _loaded(modules, ("sqlalchemy", "yaml", "transitions")) == []
    assert not {"engine.decide", "engine.apply", "storage.tables", "storage.unit_of_work"} & modules


def test_the_lazy_packages_give_every_name_of_all():
    import importlib

    import engine.apply  # the module of the same name as the function `engine.apply`
    import engine.decide

    for name in ("engine", "storage", "storage.repositories"):
        package = importlib.import_module(name)
        namespace: dict = {}
        exec(f"from {name} import *", namespace)
        assert set(package.__all__) <= set(namespace) and set(package.__all__) <= set(dir(package))
        for attr in package.__all__:
            value = getattr(package, attr)
            assert not isinstance(value, type(importlib)), (name, attr)  # never a module
            assert namespace[attr] is value
    from engine import apply, decide

    assert callable(apply) and callable(decide) and engine.apply is apply


def test_the_lazily_built_cli_is_the_cli_typer_builds():
    """`partyflow …` builds only the command it runs (cli.zh.ZhTyper); each command, built alone
    on look-up, must be the one typer builds with all the others, and the names in the same order."""
    import typer.main
    from typer._click import Context

    from cli.main import app
    from cli.zh import lazy_group

    def described(cmd) -> dict:
        params = [(p.name, type(p).__name__, p.opts, p.secondary_opts, p.required, repr(p.default), p.multiple, p.nargs,
                   p.metavar, getattr(p, "help", None), p.hidden, repr(p.type_descriptor.annotation),
                   p.get_error_hint()) for p in cmd.params]
        out = {"class": type(cmd).__name__, "name": cmd.name, "help": cmd.help, "short_help": cmd.short_help,
               "hidden": cmd.hidden, "no_args_is_help": cmd.no_args_is_help, "params": params,
               "usage": cmd.collect_usage_pieces(Context(cmd)), "callback": getattr(cmd.callback, "__wrapped__", None)}
        if hasattr(cmd, "commands"):
            out["commands"] = {name: described(sub) for name, sub in cmd.commands.items()}
            out["invoke_without_command"] = cmd.invoke_without_command
        return out

    full, lazy = typer.main.get_command(app), lazy_group(app)
    assert list(lazy.commands) == list(full.commands)
    alone = {name: lazy.commands[name] for name in lazy.commands}  # each built on its own
    assert described(lazy) == described(full)
    assert dict(lazy.commands.items()) == alone  # listing keeps them
    listed = lazy_group(app).commands  # help lists every command: built in one go
    assert [c.name for c in listed.values()] == [c.name for c in full.commands.values()]


def test_a_command_run_from_the_shell_builds_no_other_command():
    code = ("import sys\nsys.argv = ['partyflow', 'definitions', 'validate', '--help']\nimport cli.zh as z\n"
            "built = []\nget = z.LazyCommands.__getitem__\n"
            "z.LazyCommands.__getitem__ = lambda self, name: built.append(name) or get(self, name)\n"
            "import atexit\natexit.register(lambda: print('built:', sorted(set(built))))\n"
            "from cli.main import app\napp()")
    _modules, p = _run(code)
    assert p.returncode == 0 and "定义文件" in p.stdout, p.stderr[-2000:]
    assert "built: ['definitions']" in p.stdout


def test_the_command_collects_less_often_only_while_it_starts(candidate_db):
    """cli/start.py: in the `partyflow` process the collector waits for 50,000 new objects while the
    command starts; once it has opened its database, the start is frozen and the thresholds are
    Python's again (a long-running command collects as usual). Importing the CLI changes nothing."""
    code = ("import atexit, gc, sys\ndefault = gc.get_threshold()\n"
            f"sys.argv = ['partyflow', '--db', {candidate_db!r}, 'show', '1']\n"
            "import cli.main\nstarting = gc.get_threshold()\n"
            "atexit.register(lambda: print('gc:', (default, starting, gc.get_threshold(), gc.get_freeze_count() > 0)))\n"
            "cli.main.app()")
    _modules, p = _run(code)
    assert p.returncode == 0, p.stderr[-2000:]
    default, starting, after, frozen = ast.literal_eval(p.stdout.split("gc: ", 1)[1].strip())
    assert starting == (50_000, *default[1:]) and after == default and frozen

    _modules, p = _run("import gc\ndefault = gc.get_threshold()\nimport cli.main\n"
                       "print('gc:', gc.get_threshold() == default, gc.get_freeze_count())")
    assert p.stdout.split("gc: ", 1)[1].split() == ["True", "0"]
