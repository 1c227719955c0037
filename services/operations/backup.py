"""Backup and restore of a whole partyflow database (issue 17).

A backup is one zip file: `manifest.json` (what it is: engine, schema revision, time, the
payload's SHA-256) and the payload — a SQLite copy made with SQLite's online backup API, or a
`pg_dump --format=custom` archive of the database's schema. Both take a consistent snapshot while
the server keeps running. Restore goes into an EMPTY database only and copies the rows as they
are (page copy / COPY), so the hash chains of the event and audit logs stay valid; a backup from
an older schema is upgraded with Alembic afterwards, one from a newer partyflow is refused.

Everything the user can get wrong is a `refuse(...)`: one Chinese sentence, nothing written.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import refuse
from storage.db import current_revision, database_url, head_revision, make_engine, upgrade

FORMAT = "partyflow-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
COUNTED = ("candidate", "event", "audit_log")  # what backup and restore report
_CHUNK = 1 << 20
_DB_ERRORS = (SQLAlchemyError, OSError)  # cannot connect, unknown host, no such database


@dataclass(frozen=True)
class Manifest:
    engine: str
    revision: str
    created_at: str
    sha256: str
    size: int
    schema: str | None = None  # PostgreSQL: the schema that was dumped
    files: int = 0  # attached files (材料) copied from the object store under files/

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "engine": self.engine,
                "revision": self.revision, "created_at": self.created_at, "payload": PAYLOAD[self.engine],
                "sha256": self.sha256, "size": self.size, "schema": self.schema, "files": self.files}


# ---------------------------------------------------------------- shared


def _url(db: str) -> URL:
    """The database URL, refused by name unless it is SQLite or PostgreSQL."""
    url = database_url(db)
    backend = url.get_backend_name()
    if backend not in PAYLOAD:
        raise refuse("backup.engine", f"不支持的数据库类型“{url.drivername}”：备份和恢复只支持 SQLite（sqlite:///文件路径）"
                                      "和 PostgreSQL（postgresql://…）")
    return url


def _where(url: URL) -> str:
    return url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _known_revisions() -> list[str]:
    """This code's revisions, oldest first (a backup's revision must be one of them)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import ALEMBIC_INI, MIGRATIONS

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS))
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}


@contextmanager
def _engine(url: URL) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _db_error(url: URL, exc: Exception) -> Exception:
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return refuse("backup.database", f"无法连接数据库 {_where(url)}：{first}")


# ---------------------------------------------------------------- backup


def backup(db: str, out: Path, *, now: datetime) -> dict[str, Any]:
    """Write a backup of the database at `db` to `out` (a new file, mode 0600); the server may
    keep running. Returns the manifest plus the row counts."""
    url = _url(db)
    out = Path(out).expanduser()
    if out.exists():
        raise refuse("backup.exists", f"备份文件 {out} 已存在，未覆盖：请换一个文件名（如带上日期和时间）")
    if not out.parent.is_dir():
        raise refuse("backup.folder", f"备份目录 {out.parent} 不存在：请先创建该目录")
    engine_name = url.get_backend_name()
    if engine_name == "sqlite":
        path = url.database
        if not path or path == ":memory:" or not Path(path).is_file():
            raise refuse("backup.missing", f"数据库文件 {path} 不存在，无法备份：请检查 --db 或 PARTYFLOW_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix=".partyflow-backup-", dir=out.parent) as tmp:
        payload = Path(tmp) / PAYLOAD[engine_name]
        if engine_name == "sqlite":
            revision, schema, counts = _sqlite_snapshot(url, payload), None, None
        else:
            revision, schema, counts = _pg_dump(url, payload)
        if revision is None:
            raise refuse("backup.not_partyflow", f"数据库 {_where(url)} 不是 partyflow 数据库（没有结构版本），未备份")
        if engine_name == "sqlite":
            counts = _sqlite_counts(payload)
        manifest = Manifest(engine=engine_name, revision=revision, created_at=now.isoformat(timespec="seconds"),
                            sha256=_sha256(payload), size=payload.stat().st_size, schema=schema)
        fd, part = tempfile.mkstemp(prefix=".partyflow-backup-", suffix=".part", dir=out.parent)  # mode 0600
        os.close(fd)
        try:
            compression = zipfile.ZIP_DEFLATED if engine_name == "sqlite" else zipfile.ZIP_STORED  # pg_dump compresses
            keys = _object_keys(url, payload if engine_name == "sqlite" else None)
            manifest = Manifest(**{**manifest.__dict__, "files": len(keys)})
            with zipfile.ZipFile(part, "w", compression=compression, allowZip64=True) as z:
                z.writestr(MANIFEST, json.dumps(manifest.as_dict(), ensure_ascii=False, indent=2))
                z.write(payload, PAYLOAD[engine_name])
                if keys:
                    store = _store(url)
                    for key in keys:  # content-addressed and never rewritten: any moment's copy is the copy
                        z.writestr(FILES + key, store.get(key), compress_type=zipfile.ZIP_STORED)
            os.replace(part, out)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    return {**manifest.as_dict(), "file": str(out), "database": _where(url), "counts": counts}


def _sqlite_snapshot(url: URL, payload: Path) -> str | None:
    """Copy the live database with SQLite's online backup API (one step: a consistent snapshot
    under a read lock, writers in WAL mode are not blocked); returns the copy's revision."""
    try:
        src = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise refuse("backup.database", f"无法打开数据库文件 {url.database}：{e}") from None
    dst = sqlite3.connect(payload)
    try:
        src.execute("PRAGMA busy_timeout=10000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    except sqlite3.DatabaseError as e:
        raise refuse("backup.database", f"数据库文件 {url.database} 无法读取（{e}），未备份") from None
    finally:
        dst.close()
        src.close()
    return _sqlite_revision(payload)


def _sqlite_revision(path: Path) -> str | None:
    with _sqlite(path) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
    return row[0] if row else None


def _sqlite_counts(path: Path) -> dict[str, int]:
    with _sqlite(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}


@contextmanager
def _sqlite(path: Path | str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


# ---------------------------------------------------------------- PostgreSQL: libpq tools


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if not found:
        raise refuse("backup.tool", f"未找到 {name}：请安装 PostgreSQL 客户端（Debian/Ubuntu：apt install postgresql-client），"
                                    "版本不低于数据库服务器")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection string for `url` (its query options kept) and the environment with
    the password (never on a command line other users can read)."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in url.query.items()}
    params.update({k: v for k, v in (("host", url.host), ("port", url.port), ("user", url.username),
                                     ("dbname", url.database)) if v is not None})
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**{k: str(v) for k, v in params.items()}), env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise refuse("backup.tool_failed", f"{what}失败：{detail[0] if detail else f'退出码 {done.returncode}'}")


def _pg_schema(conn) -> str | None:
    """The schema partyflow's tables live in: the first schema of the search_path that exists,
    else the first one named (a schema the URL names but nobody created yet)."""
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    if schema:
        return schema
    path = conn.execute(text("SHOW search_path")).scalar() or ""
    for part in path.split(","):
        part = part.strip().strip('"')
        if part and part != "$user":
            return part
    return None


def _pg_dump(url: URL, payload: Path) -> tuple[str | None, str, dict[str, int] | None]:
    try:
        with _engine(url) as engine:
            with engine.connect() as conn:
                schema = _pg_schema(conn)
            revision = current_revision(engine) if schema else None
            counts = _counts(engine) if revision else None
    except _DB_ERRORS as e:
        raise _db_error(url, e) from None
    if revision is None:
        return None, schema or "", None
    conninfo, env = _libpq(url)
    _run([_tool("pg_dump"), "--format=custom", f"--schema={_pattern(schema)}", f"--file={payload}",
          f"--dbname={conninfo}"], env, "pg_dump 备份")
    return revision, schema, counts


def _pattern(schema: str) -> str:
    """A schema name as a pg_dump pattern that matches exactly it."""
    return '"' + schema.replace('"', '""') + '"'


# ---------------------------------------------------------------- restore


def read_manifest(file: Path) -> Manifest:
    """The manifest of a backup file; anything else is refused by name."""
    file = Path(file).expanduser()
    if not file.is_file():
        raise refuse("restore.missing", f"备份文件 {file} 不存在")
    not_ours = refuse("restore.not_backup", f"{file} 不是 partyflow 备份文件（应为 partyflow backup 生成的文件）")
    try:
        with zipfile.ZipFile(file) as z:
            data = json.loads(z.read(MANIFEST).decode("utf-8"))
            names = set(z.namelist())
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError, OSError):
        raise not_ours from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("engine") not in PAYLOAD:
        raise not_ours
    if not isinstance(data.get("format_version"), int) or data["format_version"] > FORMAT_VERSION:
        raise refuse("restore.format", f"备份文件 {file} 由更新版本的 partyflow 生成（文件格式 {data.get('format_version')}），"
                                       "请先升级 partyflow 再恢复")
    if PAYLOAD[data["engine"]] not in names or not isinstance(data.get("revision"), str):
        raise not_ours
    return Manifest(engine=data["engine"], revision=data["revision"], created_at=str(data.get("created_at", "")),
                    sha256=str(data.get("sha256", "")), size=int(data.get("size") or 0), schema=data.get("schema"),
                    files=int(data.get("files") or 0))


def restore(db: str, file: Path) -> dict[str, Any]:
    """Restore the backup `file` into the EMPTY database at `db`, then bring its schema to this
    code's revision. Returns what was done (revisions before/after, row counts)."""
    file = Path(file).expanduser()
    manifest = read_manifest(file)
    url = _url(db)
    target = url.get_backend_name()
    if manifest.engine != target:
        raise refuse("restore.engine", f"该备份来自 {ENGINE_NAMES[manifest.engine]} 数据库，不能恢复到 {ENGINE_NAMES[target]}"
                                       f"（{_where(url)}）：请恢复到同类数据库")
    known = _known_revisions()
    if manifest.revision not in known:
        raise refuse("restore.newer", f"备份的数据库结构版本 {manifest.revision} 比本程序（{head_revision()}）新："
                                      "请先升级 partyflow 再恢复")
    with tempfile.TemporaryDirectory(prefix=".partyflow-restore-") as tmp:
        payload = _extract(file, manifest, Path(tmp))
        if target == "sqlite":
            _sqlite_restore(url, payload)
        else:
            _pg_restore(url, payload, manifest)
    files = _restore_files(url, file, manifest)
    with _engine(url) as engine:
        restored = current_revision(engine)
        if restored != known[-1]:
            upgrade(engine)
        counts = _counts(engine)
    return {"ok": True, "file": str(file), "database": _where(url), "engine": target,
            "backup_revision": manifest.revision, "created_at": manifest.created_at,
            "revision": known[-1], "upgraded": restored != known[-1], "counts": counts, "files": files}


FILES = "files/"


def _store(url: URL):
    """The object store the database at `url` keeps its files in (services.App.objects' rule)."""
    from storage.db import files_location
    from storage.objects import open_store

    return open_store(os.environ.get("PARTYFLOW_OBJECT_STORE") or str(files_location(url)), None)


def _object_keys(url: URL, sqlite_copy: Path | None) -> list[str]:
    """Every object the database's attachment rows name (files and thumbnails), sorted."""
    sql = "SELECT object_key, thumbnail_key FROM attachment"
    try:
        if sqlite_copy is not None:
            with _sqlite(sqlite_copy) as conn:
                rows = conn.execute(sql).fetchall()
        else:
            with _engine(url) as engine, engine.connect() as conn:
                rows = conn.execute(text(sql)).fetchall()
    except (sqlite3.Error, SQLAlchemyError):
        return []  # a database from before attachments (revision < 0013)
    return sorted({k for row in rows for k in row if k})


def _restore_files(url: URL, file: Path, manifest: Manifest) -> int:
    """Puts the backup's files into the target's object store; each is checked against its
    SHA-256 key by the store, so a damaged copy is refused, not stored."""
    if not manifest.files:
        return 0
    store = _store(url)
    n = 0
    try:
        with zipfile.ZipFile(file) as z:
            for name in z.namelist():
                if name.startswith(FILES):
                    store.put(name[len(FILES):], z.read(name), "application/octet-stream")
                    n += 1
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise refuse("restore.damaged", f"备份文件 {file} 中的材料文件已损坏（{e}），数据库已恢复，材料文件未全部恢复") from None
    if n != manifest.files:
        raise refuse("restore.damaged", f"备份文件 {file} 应有材料文件 {manifest.files} 个，实际 {n} 个：数据库已恢复，请检查备份")
    return n


def _extract(file: Path, manifest: Manifest, folder: Path) -> Path:
    """The payload, written to `folder` and checked against the manifest's SHA-256."""
    name = PAYLOAD[manifest.engine]
    out = folder / name
    h = hashlib.sha256()
    try:
        with zipfile.ZipFile(file) as z, z.open(name) as src, open(out, "wb") as dst:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                dst.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise refuse("restore.damaged", f"备份文件 {file} 已损坏，无法读取（{e}），未恢复") from None
    if h.hexdigest() != manifest.sha256:
        raise refuse("restore.damaged", f"备份文件 {file} 已损坏（校验值不符），未恢复")
    return out


def _sqlite_restore(url: URL, payload: Path) -> None:
    path = url.database
    if not path or path == ":memory:":
        raise refuse("restore.target", "恢复目标须是 SQLite 文件（sqlite:///文件路径）")
    target = Path(path)
    if not target.parent.is_dir():
        raise refuse("restore.folder", f"目录 {target.parent} 不存在：请先创建该目录")
    if target.exists():
        try:
            with _sqlite(target) as conn:
                tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        except sqlite3.DatabaseError:
            raise refuse("restore.target", f"{target} 不是 SQLite 数据库文件，未恢复：请指定一个新文件") from None
        if tables:
            raise _not_empty(str(target), len(tables))
    try:  # a payload whose checksum matches its manifest may still not be a database (a crafted file)
        with _sqlite(payload) as probe:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        raise refuse("restore.damaged", "备份文件已损坏：其中的数据不是 SQLite 数据库，未恢复") from None
    existed = target.exists()
    src = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # page by page: rows (and their hash chains) exactly as backed up
    except sqlite3.DatabaseError:
        dst.close()
        if not existed:
            target.unlink(missing_ok=True)
        raise refuse("restore.damaged", "备份文件已损坏：其中的数据无法读取，未恢复") from None
    finally:
        dst.close()
        src.close()


def _not_empty(where: str, tables: int, what: str = "张数据表") -> Exception:
    return refuse("restore.not_empty", f"目标数据库 {where} 不是空的（已有 {tables} {what}），未恢复：只能恢复到空数据库——"
                                       "请新建数据库（或 schema），且恢复前不要对它运行 partyflow init、serve 等命令")


_SCHEMA_ENTRY = re.compile(rb"^\d+; \d+ \d+ (SCHEMA|COMMENT) - ")
_COPY = re.compile(rb"^COPY .* FROM stdin;\r?\n$")


def _pg_restore(url: URL, payload: Path, manifest: Manifest) -> None:
    """pg_restore the archive into the target schema, in one transaction (psql --single-transaction).

    pg_dump qualifies every name with the dumped schema; when the target schema has another name
    (a test's fresh schema, or a county's renamed one) those qualifications are rewritten in the
    DDL, never inside the COPY data, so the rows stay byte for byte what was backed up."""
    try:
        with _engine(url) as engine, engine.connect() as conn:
            schema = _pg_schema(conn)
            if not schema:
                raise refuse("restore.target", f"目标数据库 {_where(url)} 没有可用的 schema：请在地址中用 search_path 指定")
            tables = conn.execute(text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')"), {"s": schema}).scalar_one()
    except _DB_ERRORS as e:
        raise _db_error(url, e) from None
    if tables:
        raise _not_empty(_where(url), tables, "个数据表、序列等对象")
    conninfo, env = _libpq(url)
    pg_restore = _tool("pg_restore")
    psql = _tool("psql")
    with tempfile.NamedTemporaryFile(suffix=".list") as listing:
        toc = subprocess.run([pg_restore, "--list", str(payload)], env=env, capture_output=True)
        if toc.returncode != 0:
            raise refuse("restore.damaged", f"备份文件无法读取（pg_restore：{toc.stderr.decode('utf-8', 'replace').strip()}），未恢复")
        # the schema itself is the target's (created below when missing), not the dump's
        listing.write(b"".join(line for line in toc.stdout.splitlines(keepends=True) if not _SCHEMA_ENTRY.match(line)))
        listing.flush()
        rename = _renamer(manifest.schema or "public", schema)
        head = f'CREATE SCHEMA IF NOT EXISTS {_ident(schema)};\n'.encode()
        with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
            producer = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", f"--use-list={listing.name}",
                                         "--file=-", str(payload)], env=env, stdout=subprocess.PIPE, stderr=err1)
            consumer = subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                                         f"--dbname={conninfo}", "--file=-"], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=err2)
            try:
                consumer.stdin.write(head)
                in_data = False
                for line in producer.stdout:
                    if in_data:
                        in_data = line.rstrip(b"\r\n") != b"\\."
                    else:
                        in_data = bool(_COPY.match(line))
                        line = rename(line)
                    consumer.stdin.write(line)
                consumer.stdin.close()
            except BrokenPipeError:  # psql stopped at an error: its message says which
                pass
            producer.wait()
            consumer.wait()
            for proc, err, what in ((consumer, err2, "psql 恢复"), (producer, err1, "pg_restore")):
                if proc.returncode != 0:
                    err.seek(0)
                    detail = [ln for ln in err.read().decode("utf-8", "replace").splitlines() if ln.strip()]
                    raise refuse("backup.tool_failed", f"{what}失败（未写入任何内容）：{detail[0] if detail else proc.returncode}")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _renamer(source: str, target: str):
    """A function rewriting `source.` qualifications (bare or quoted) to `target.` in one DDL line."""
    if source == target:
        return lambda line: line
    names = [re.escape(_ident(source).encode())]
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", source):
        names.append(rb"(?<![\w$\"])" + re.escape(source.encode()))
    pattern = re.compile(rb"(?:" + b"|".join(names) + rb")\.")
    new = _ident(target).encode() + b"."
    return lambda line: pattern.sub(lambda _m: new, line)
