"""What a file IS, from its first bytes (never from its name): `filetype`'s signatures, plus the
ISO-BMFF brands of HEIF and the executable formats named in refusals."""
from __future__ import annotations

import struct

import filetype

JPEG, PNG, HEIC, PDF, ZIP, OLE = "jpeg", "png", "heic", "pdf", "zip", "ole"

# HEVC-coded HEIF brands (ISO/IEC 23008-12); "mif1" alone is any HEIF, e.g. AVIF, which is refused
_HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}

_KINDS = {"image/jpeg": JPEG, "image/png": PNG, "image/apng": PNG, "application/pdf": PDF}

_EXECUTABLES = (
    (b"MZ", "Windows 可执行程序"),
    (b"\x7fELF", "Linux 可执行程序"),
    (b"\xfe\xed\xfa\xce", "macOS 可执行程序"), (b"\xfe\xed\xfa\xcf", "macOS 可执行程序"),
    (b"\xce\xfa\xed\xfe", "macOS 可执行程序"), (b"\xcf\xfa\xed\xfe", "macOS 可执行程序"),
    (b"\xca\xfe\xba\xbe", "macOS 或 Java 可执行程序"),
    (b"#!", "脚本程序"),
    (b"\x00asm", "WebAssembly 程序"),
)
_FAMILY = {"image": "图片", "video": "视频", "audio": "音频", "font": "字体"}


def sniff(data: bytes) -> str | None:
    """JPEG, PNG, HEIC, PDF, ZIP (maybe a .docx) or OLE (legacy Office); None for anything else."""
    head = data[:8192]
    if _is_hevc_heif(head):
        return HEIC
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    guess = filetype.guess(head)
    return _KINDS.get(guess.mime) if guess else None


def describe(data: bytes) -> str:
    """What a refused file looks like, in Chinese, for the message."""
    head = data[:8192]
    for magic, what in _EXECUTABLES:
        if head.startswith(magic):
            return what
    if head.lstrip()[:5].lower() in (b"<?xml", b"<svg ", b"<html", b"<!doc"):
        return "网页或 XML 文本（可含脚本）"
    guess = filetype.guess(head)
    if guess is None:
        return "无法识别的格式"
    family = guess.mime.split("/")[0]
    if family in _FAMILY:
        return f"{guess.extension.upper()} {_FAMILY[family]}"
    if guess.extension in ("exe", "elf", "dex", "swf", "wasm", "crx", "deb", "rpm"):
        return "可执行程序或安装包"
    return f"{guess.extension.upper()} 文件"


def _is_hevc_heif(head: bytes) -> bool:
    """An ISO-BMFF file whose ftyp box names an HEVC image brand (major or compatible)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = struct.unpack(">I", head[:4])[0]
    if size < 16 or size > len(head):
        return False
    brands = {head[8:12]} | {head[i:i + 4] for i in range(16, size - 3, 4)}
    return bool(brands & _HEVC_BRANDS)
