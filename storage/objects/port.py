"""The object store port: what services need from wherever uploaded files live."""
from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ObjectStore(Protocol):
    """Content-addressed blob storage. Keys come from `sha256_key(data)`; a key names one content
    forever, so `put` of a key already present is a no-op and any process may read what another
    wrote. Errors are `storage.objects.errors` (Chinese messages)."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (which must be `sha256_key(data)`); idempotent."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`, checked against the key; ObjectMissing / ObjectCorrupt."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove `key` if present (a retention rule's job; removing a material is an event)."""

    def describe(self) -> str:
        """Where files are kept, in Chinese, without secrets (for `partyflow status`)."""
