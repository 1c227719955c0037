"""PARTYFLOW_OBJECT_STORE: where uploaded files live, as one URL (docs/object-store.md).

    (unset or empty)                      the data directory's files/ (embedded default)
    file:///srv/partyflow/files           a local directory (absolute path; a bare /path also works)
    s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=cn-north-1
                                          an S3-compatible store; keys from AWS_ACCESS_KEY_ID and
                                          AWS_SECRET_ACCESS_KEY (never in the URL)
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import BadObjectStoreAddress
from .local import LocalDirectoryStore
from .port import ObjectStore
from .s3 import S3Store

ENV_VAR = "PARTYFLOW_OBJECT_STORE"
_S3_PARAMS = {"endpoint", "region"}
_NO_KEYS_IN_URL = "访问密钥不能写在地址里，请用环境变量 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY"
# S3 bucket naming rules (3–63 characters, lower case, digits, dots, hyphens; starts and ends
# with a letter or digit)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def open_store(url: str | None, data_dir: Path, *, environ: Mapping[str, str] | None = None) -> ObjectStore:
    """The store `url` names (see the module docstring); BadObjectStoreAddress if it names none.
    Nothing is contacted or created here: the first request tells whether the store is reachable."""
    env = os.environ if environ is None else environ
    text = (url or "").strip()
    if not text:
        return LocalDirectoryStore(Path(data_dir) / "files")
    if text.startswith("/"):
        return LocalDirectoryStore(Path(text))
    if text.lower().startswith("s3:") and "@" in text.split("?", 1)[0]:
        raise BadObjectStoreAddress(text, _NO_KEYS_IN_URL)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise BadObjectStoreAddress(text, "格式不正确") from exc
    scheme = parts.scheme.lower()
    if scheme == "file":
        return _local(text, parts)
    if scheme == "s3":
        return _s3(text, parts, env)
    raise BadObjectStoreAddress(text, f"不支持“{parts.scheme}”方式" if parts.scheme else "缺少 file:// 或 s3:// 开头")


def store_from_env(data_dir: Path, environ: Mapping[str, str] | None = None) -> ObjectStore:
    """`open_store($PARTYFLOW_OBJECT_STORE, data_dir)` — what App wiring calls."""
    env = os.environ if environ is None else environ
    return open_store(env.get(ENV_VAR), data_dir, environ=env)


def _local(text: str, parts) -> LocalDirectoryStore:
    if parts.netloc not in ("", "localhost"):
        raise BadObjectStoreAddress(text, "file:// 之后应直接写绝对路径，如 file:///srv/partyflow/files")
    if parts.query or parts.fragment:
        raise BadObjectStoreAddress(text, "本地目录地址不接受 ? 或 # 之后的参数")
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise BadObjectStoreAddress(text, "本地目录必须是绝对路径")
    return LocalDirectoryStore(Path(path))


def _s3(text: str, parts, env: Mapping[str, str]) -> S3Store:
    bucket = parts.netloc
    if not bucket:
        raise BadObjectStoreAddress(text, "缺少桶名，如 s3://partyflow")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise BadObjectStoreAddress(text, f"桶名“{bucket}”不合 S3 命名规则：3–63 个小写字母、数字、点或连字符")
    if parts.fragment:
        raise BadObjectStoreAddress(text, "地址不接受 # 之后的内容")
    prefix = unquote(parts.path).strip("/")
    if prefix and any(seg in ("", ".", "..") for seg in prefix.split("/")):
        raise BadObjectStoreAddress(text, f"前缀“{prefix}”不能含空段、. 或 ..")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise BadObjectStoreAddress(text, "? 之后的参数格式不正确") from exc
    unknown = sorted(set(query) - _S3_PARAMS)
    if unknown:
        raise BadObjectStoreAddress(text, f"不认识的参数 {', '.join(unknown)}（可用 endpoint、region）")
    repeated = sorted(k for k, v in query.items() if len(v) > 1)
    if repeated:
        raise BadObjectStoreAddress(text, f"参数 {', '.join(repeated)} 出现了多次")
    endpoint = (query.get("endpoint") or [""])[0].strip() or None
    region = (query.get("region") or [""])[0].strip() or None
    if endpoint is not None:
        _check_endpoint(text, endpoint)
    if region is not None and not re.fullmatch(r"[a-z0-9-]{1,64}", region):
        raise BadObjectStoreAddress(text, f"区域“{region}”格式不正确，如 us-east-1、cn-north-1")
    access_key = env.get("AWS_ACCESS_KEY_ID") or None
    secret_key = env.get("AWS_SECRET_ACCESS_KEY") or None
    if (access_key is None) != (secret_key is None):
        raise BadObjectStoreAddress(text, "AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY 须同时设置")
    return S3Store(bucket, endpoint_url=endpoint, region=region, access_key=access_key, secret_key=secret_key,
                   prefix=prefix, session_token=(env.get("AWS_SESSION_TOKEN") or None) if access_key else None)


def _check_endpoint(text: str, endpoint: str) -> None:
    if "@" in endpoint:
        raise BadObjectStoreAddress(text, _NO_KEYS_IN_URL)
    try:
        ep = urlsplit(endpoint)
        ep.port  # noqa: B018
    except ValueError as exc:
        raise BadObjectStoreAddress(text, "endpoint 格式不正确") from exc
    if ep.scheme not in ("http", "https") or not ep.hostname:
        raise BadObjectStoreAddress(text, "endpoint 须以 http:// 或 https:// 开头并写明主机，如 http://127.0.0.1:9000")
    if ep.query or ep.fragment or ep.path not in ("", "/"):
        raise BadObjectStoreAddress(text, "endpoint 只写协议、主机和端口，如 http://127.0.0.1:9000")

