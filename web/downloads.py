"""File responses for downloads of stored or generated files (材料, 文书, 档案, 清单).

Always `Content-Disposition: attachment` with the name twice (RFC 6266): an ASCII `filename=` for
old clients and the real Chinese name as `filename*=UTF-8''…` (RFC 5987), so 「张三-入党申请书.pdf」
is saved as such. The type is one of the kinds the upload intake accepts or we generate; anything
else goes out as application/octet-stream, so a browser never renders a stored file as HTML or SVG
(plus `X-Content-Type-Options: nosniff`, which the security headers also set on every response).
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote

from fastapi.responses import Response

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
SAFE_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf", DOCX, XLSX, ZIP})
_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def content_disposition(filename: str) -> str:
    """`attachment; filename="…"; filename*=UTF-8''…`: the fallback keeps the name's ASCII part
    (or "download") and its extension."""
    name = _UNSAFE.sub("_", filename or "").strip(" .") or "download"
    suffix = _ASCII_SAFE.sub("", PurePosixPath(name).suffix)[:12]
    stem = _ASCII_SAFE.sub("_", PurePosixPath(name).stem).strip("_.") or "download"
    fallback = f"{stem[:80]}{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_download(filename: str, content_type: str, data: bytes) -> Response:
    """The bytes as a download named `filename` (never shown inline)."""
    media = content_type if content_type in SAFE_TYPES else "application/octet-stream"
    return Response(data, media_type=media, headers={
        "Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff"})
