"""Content addressing: a file's key is its SHA-256, fanned out over two directory levels.

Keys are the only names the stores accept, so nothing a user typed (a file name) can ever become
a path or an object name: `check_key` is the gate both adapters go through.
"""
from __future__ import annotations

import hashlib
import re

_KEY = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")


def sha256_key(data: bytes) -> str:
    """"sha256/ab/cd/abcd…" for `data` (256 × 256 fan-out keeps directories small)."""
    return key_for_digest(hashlib.sha256(data).hexdigest())


def key_for_digest(hex_digest: str) -> str:
    """The key of a SHA-256 already computed (e.g. Accepted.sha256 from intake)."""
    digest = hex_digest.lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(f"not a SHA-256 hex digest: {hex_digest!r}")
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


def check_key(key: str) -> str:
    """The key's hex digest; ValueError for anything not produced by `sha256_key`."""
    m = _KEY.fullmatch(key) if isinstance(key, str) else None
    if not m or m.group(3)[:2] != m.group(1) or m.group(3)[2:4] != m.group(2):
        raise ValueError(f"not an object key (sha256/xx/yy/<64 hex>): {key!r}")
    return m.group(3)


def is_key(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return True


def verify(key: str, data: bytes) -> bool:
    """Whether `data` hashes to `key`."""
    return hashlib.sha256(data).hexdigest() == check_key(key)
