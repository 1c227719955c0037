"""UploadRefused: a DomainError, so the web and CLI already show it as a refusal (422 / 「未能办理」)."""
from __future__ import annotations

from engine.errors import DomainError, Violation

ALLOWED = "JPEG、PNG、HEIC 图片或 PDF、Word（.docx）文件"  # what may be uploaded, for refusals


class UploadRefused(DomainError):
    """An upload that will not be stored. `message` is one Chinese sentence naming the file and
    the reason; `code` ("upload.type", "upload.too_large", …) tells tests and APIs which rule."""

    def __init__(self, message: str, code: str = "upload.refused", filename: str = "") -> None:
        super().__init__([Violation(code, message)])
        self.message = message
        self.code = code
        self.filename = filename
