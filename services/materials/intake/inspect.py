"""inspect_upload: the one gate every uploaded file passes before it is stored.

Pure: bytes in, an Accepted (what to store, and what to record about it) or UploadRefused out.
No database, no store, no clock; the caller stores `data` under its SHA-256 and records the rest.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .images import clean_image
from .limits import DEFAULT_LIMITS, MB, Limits
from .names import safe_filename
from .pdf import inspect_pdf
from .refusal import ALLOWED, UploadRefused
from .sniff import HEIC, JPEG, OLE, PDF, PNG, ZIP, describe, sniff
from .word import inspect_docx

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Accepted:
    kind: str  # "image" | "pdf" | "word"
    content_type: str  # of `data`: image/jpeg, image/png, application/pdf, DOCX_TYPE
    data: bytes  # what to store (images re-encoded, without metadata; PDF and Word unchanged)
    sha256: str  # hex digest of `data`
    filename: str  # safe display name, its extension matching `content_type`
    pages: int | None  # PDF page count; 1 for an image; Word: docProps/app.xml <Pages>, else None
    thumbnail: bytes | None  # JPEG, longest side ≤ Limits.thumbnail_px; images and PDF page 1
    width: int | None = None  # images only, after the EXIF orientation was applied
    height: int | None = None
    converted_from: str | None = None  # "HEIC" when a phone photo was converted to JPEG

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def thumbnail_content_type(self) -> str | None:
        return "image/jpeg" if self.thumbnail is not None else None


def inspect_upload(data: bytes, filename: str, *, limits: Limits = DEFAULT_LIMITS) -> Accepted:
    """Check one uploaded file by its content and make it safe to store; UploadRefused (one
    Chinese sentence naming the file and the reason) for anything else."""
    shown = safe_filename(filename)
    if not data:
        raise UploadRefused(f"文件“{shown}”是空文件（0 字节），不能上传", "upload.empty", shown)
    if len(data) > limits.max_bytes:
        # limit + 1 bytes is what a reader that stops after the limit holds: the real size is unknown
        raise too_large(shown, None if len(data) == limits.max_bytes + 1 else len(data), limits)
    kind = sniff(data)
    if kind in (JPEG, PNG, HEIC):
        image = clean_image(data, kind, shown, limits)
        return Accepted("image", image.content_type, image.data, _sha256(image.data),
                        safe_filename(filename, image.extension), 1, image.thumbnail, image.width, image.height,
                        "HEIC" if kind == HEIC else None)
    if kind == PDF:
        pages, thumbnail = inspect_pdf(data, shown, limits)
        return Accepted("pdf", "application/pdf", data, _sha256(data), safe_filename(filename, ".pdf"), pages,
                        thumbnail)
    if kind == ZIP:
        pages = inspect_docx(data, shown, limits)
        return Accepted("word", DOCX_TYPE, data, _sha256(data), safe_filename(filename, ".docx"), pages, None)
    if kind == OLE:
        raise UploadRefused(f"文件“{shown}”是旧版 Office 格式（.doc 等）或加密的 Office 文件，不能上传；"
                            "请另存为 .docx 或 PDF 后再上传", "upload.legacy_office", shown)
    what = describe(data)
    what = f" {what}" if what[:1].isascii() else what
    raise UploadRefused(f"文件“{shown}”的内容是{what}，不是 {ALLOWED}，不能上传", "upload.type", shown)


def too_large(name: str, size: int | None, limits: Limits = DEFAULT_LIMITS) -> UploadRefused:
    """The refusal of a file over limits.max_bytes: its size rounded up to 0.01 MB (so it never reads
    as the limit itself: 20 MB + 10 KB is "20.01 MB"), or, when only the first bytes were read (None),
    that it is larger than the limit."""
    shown = safe_filename(name)
    how_big = f"大小为 {_mb(size, up=True)}，" if size is not None else ""
    return UploadRefused(f"文件“{shown}”{how_big}超过单个文件 {_mb(limits.max_bytes)} 的上限，不能上传；"
                         "请压缩或分成几个文件后再上传", "upload.too_large", shown)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mb(size: int, *, up: bool = False) -> str:
    """"20 MB", "100 MB", "20.5 MB": at most two decimals, rounded up with `up`."""
    hundredths = -(-size * 100 // MB) if up else round(size * 100 / MB)
    return f"{hundredths / 100:.2f}".rstrip("0").rstrip(".") + " MB"
