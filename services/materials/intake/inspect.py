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
        raise UploadRefused(f"文件“{shown}”大小为 {_mb(len(data), limits.max_bytes)}，"
                            f"超过单个文件 {_mb(limits.max_bytes)} 的上限，不能上传",
                            "upload.too_large", shown)
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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mb(size: int, other: int | None = None) -> str:
    """"20 MB", "100 MB", "20.5 MB"; with enough decimals to differ from `other`'s text."""
    def number(value: int, decimals: int) -> str:
        return f"{value / MB:.{decimals}f}".rstrip("0").rstrip(".")

    text = number(size, 1)
    if other is not None:
        for decimals in (2, 3, 4, 5, 6):
            if text != number(other, 1):
                break
            text = number(size, decimals)
    return f"{text} MB"
