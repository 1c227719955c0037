"""The embedded default: files under a directory (the data dir's `files/`)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import ObjectCorrupt, ObjectMissing, ObjectStoreUnavailable
from .keys import check_key, verify


class LocalDirectoryStore:
    """`root/sha256/ab/cd/<hex>`. Writes go to a temporary file in the same directory, are synced
    and then renamed into place (os.replace), so a reader — or a crash — never sees half a file.
    Keys are validated (`check_key`): only hex digits and the fixed fan-out reach the path."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key

    def _where(self) -> str:
        return f"本地文件目录 {self.root}"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        if not verify(key, data):
            raise ValueError(f"key {key} is not the SHA-256 of the data")
        try:
            if path.is_file() and path.stat().st_size == len(data):
                return  # same key, same content: stored already
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.parent / f".tmp-{secrets.token_hex(8)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # the umask applies
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            _sync_dir(path.parent)
        except OSError as exc:
            raise ObjectStoreUnavailable(self._where(), f"写入失败（{exc.strerror or exc}）") from exc

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(key, self._where()) from None
        except OSError as exc:
            raise ObjectStoreUnavailable(self._where(), f"读取失败（{exc.strerror or exc}）") from exc
        if not verify(key, data):
            raise ObjectCorrupt(key, self._where())
        return data

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise ObjectStoreUnavailable(self._where(), f"删除失败（{exc.strerror or exc}）") from exc

    def describe(self) -> str:
        return self._where()


def _sync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
