"""The display name of an upload: what the user called the file, made harmless.

The name is only ever shown (and used for the file inside an exported ZIP); files are stored by
their SHA-256. Still, it is cleaned as if it were a path: only the last component survives
(../../etc/passwd → passwd, C:\\x\\y → y), control, bidi-override and zero-width characters go
(they can make 「exe.jpg」 display as 「gpj.exe」), characters Windows refuses in names become _,
and it is capped at 80 characters / 240 UTF-8 bytes with the extension kept.
"""
from __future__ import annotations

import re
import unicodedata

DEFAULT_STEM = "未命名文件"
MAX_CHARS = 80
MAX_BYTES = 240
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_SEPARATORS = re.compile(r"[/\\\uff0f\uff3c\u2215\u29f5]")  # / \ and their full-width / math look-alikes
_WINDOWS_BAD = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,8}")


def safe_filename(name: str | None, extension: str = "") -> str:
    """A display name for `name`; `extension` (".jpg") replaces or completes the name's own when
    they differ, so the name matches the content that is stored (photo.heic → photo.jpg)."""
    text = unicodedata.normalize("NFC", (name or "")[-4096:])  # the tail holds the last component
    text = _SEPARATORS.split(text)[-1]
    text = "".join(" " if ch.isspace() else ch for ch in text)  # tabs, newlines, ideographic spaces
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROP_CATEGORIES)
    text = " ".join(text.split())
    text = _WINDOWS_BAD.sub("_", text)
    stem, ext = _split(text)
    if extension:
        want = extension.lstrip(".").lower()
        if ext.lower() not in _same(want):
            if ext.lower() not in _KNOWN:
                stem = f"{stem}.{ext}" if ext else stem
            ext = want
    stem = stem.strip(" .")
    if not stem:
        stem = DEFAULT_STEM
    if _WINDOWS_RESERVED.fullmatch(stem):
        stem = f"_{stem}"
    suffix = f".{ext}" if ext else ""
    stem = stem[: max(0, MAX_CHARS - len(suffix))]
    while stem and (len(stem) + len(suffix) > MAX_CHARS or len((stem + suffix).encode()) > MAX_BYTES):
        stem = stem[:-1]
    return (stem.rstrip(" .") or DEFAULT_STEM[: MAX_CHARS]) + suffix


_KNOWN = {"jpg", "jpeg", "jpe", "png", "heic", "heif", "pdf", "docx", "doc", "docm", "exe", "bin"}


def _same(ext: str) -> set[str]:
    return {"jpg", "jpeg", "jpe"} if ext in ("jpg", "jpeg") else {ext}


def _split(text: str) -> tuple[str, str]:
    """(stem, extension without the dot); ".jpg" alone is all extension."""
    stem, dot, ext = text.rpartition(".")
    if dot and _EXTENSION.fullmatch(ext):
        return stem, ext
    return text, ""
