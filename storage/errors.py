"""Storage errors the services catch and show to users (messages in Chinese)."""
from __future__ import annotations


class StorageError(Exception):
    """Base class, so entrypoints can catch every storage refusal in one place."""


class BadDatabaseAddress(StorageError):
    """`--db` / PARTYFLOW_DATABASE_URL is neither a database URL nor a file path."""

    def __init__(self, text: str, why: str) -> None:
        self.text = text
        super().__init__(f"数据库地址“{text}”无法识别（{why}）：请给出 SQLite 文件路径（如 ./partyflow.db），"
                         "或 sqlite:///路径、postgresql://用户@主机:端口/数据库")


class SQLiteTooOld(StorageError):
    """The SQLite library Python is linked with predates what the schema needs (ALTER TABLE …
    DROP COLUMN in the migrations, 3.35): refused up front instead of failing half-way through a
    migration. Old enterprise Linux releases still ship such libraries."""

    def __init__(self, found: str, needed: str) -> None:
        self.found = found
        self.needed = needed
        super().__init__(f"本机 Python 使用的 SQLite 版本为 {found}，低于 partyflow 所需的 {needed}：请升级 SQLite"
                         "（或换用自带较新 SQLite 的 Python），或改用 PostgreSQL（--db postgresql://用户@主机:端口/数据库）")


class NotFound(StorageError):
    """A row addressed by id does not exist (kept apart from a lost race)."""

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} {key} 不存在")


class ConcurrentModification(StorageError):
    """Another transaction changed the candidate since it was read: reload and retry."""

    def __init__(self, candidate_id: int, expected_version: int | None = None) -> None:
        self.candidate_id = candidate_id
        self.expected_version = expected_version
        super().__init__(f"候选人 {candidate_id} 已被他人修改，请刷新后重试")


class DefinitionChanged(StorageError):
    """A pinned definition version was edited in place; candidates pinned to it would change."""

    def __init__(self, key: str, stored_sha256: str, new_sha256: str) -> None:
        self.key = key
        self.stored_sha256 = stored_sha256
        self.new_sha256 = new_sha256
        super().__init__(
            f"流程定义 {key} 已登记（sha256 {stored_sha256[:12]}…），内容不能再修改"
            f"（新内容 sha256 {new_sha256[:12]}…）；请改用新的版本号发布"
        )


class TransactionAborted(StorageError):
    """PostgreSQL aborted the transaction after a failed statement that the caller caught.

    PostgreSQL answers COMMIT on such a transaction with a silent ROLLBACK; raising instead keeps
    "the unit of work exited cleanly" from meaning "saved" when nothing was.
    """

    def __init__(self) -> None:
        super().__init__("本次操作中有数据库语句执行失败，全部修改已撤销，请重试")
