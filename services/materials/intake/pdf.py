"""PDF uploads: parsed with pikepdf (qpdf) and refused if they could act when opened.

A PDF can carry JavaScript, actions that run on opening a page or a field (/OpenAction, /AA),
launch programs, submit data, or carry whole files (embedded attachments). None of that belongs
in a candidate's file, so any of it refuses the upload. The check walks every object the parser
sees, names decoded (/J#61vaScript is /JavaScript), and then scans the raw bytes for the same
names, so an object left outside the cross-reference table — which a repairing reader might
still find — cannot hide them either. The bytes are stored unchanged: re-saving would break a
PDF's electronic seal (电子签章).

Links are fine — except a URI that runs a script or opens a local file (javascript:, vbscript:,
data:, file:). Viewers drop tabs, line breaks and control characters from a URI and ignore the
case of its scheme, so the check does too, on the decoded string (escapes, hex and UTF-16 strings
included), and the raw scan looks at every /URI string in the bytes as well.
"""
from __future__ import annotations

import io
import re
import threading

import pikepdf

from .images import thumbnail_jpeg
from .limits import Limits
from .refusal import UploadRefused

# what each forbidden construct is called in the refusal
_KEYS = {
    "/JS": "JavaScript 脚本", "/JavaScript": "JavaScript 脚本", "/AA": "自动执行的动作",
    "/EmbeddedFiles": "嵌入的附件", "/EF": "嵌入的附件", "/XFA": "XFA 动态表单",
    "/RichMediaContent": "多媒体（Flash）内容",
}
_ACTIONS = {
    "/JavaScript": "JavaScript 脚本", "/Launch": "启动外部程序的动作", "/GoToE": "打开嵌入文件的动作",
    "/GoToR": "打开其他文件的动作", "/SubmitForm": "提交表单数据的动作", "/ImportData": "导入数据的动作",
    "/RichMediaExecute": "多媒体（Flash）内容", "/Rendition": "多媒体播放动作",
}
_TYPES = {"/EmbeddedFile": "嵌入的附件", "/FileAttachment": "嵌入的附件", "/RichMedia": "多媒体（Flash）内容"}
_RAW = re.compile(rb"/(JavaScript|JS|AA|Launch|EmbeddedFiles?|XFA|RichMedia\w*|SubmitForm|ImportData)"
                  rb"(?![A-Za-z0-9#_.\-])")
_RAW_NAMES = {b"JavaScript": "JavaScript 脚本", b"JS": "JavaScript 脚本", b"AA": "自动执行的动作",
              b"Launch": "启动外部程序的动作", b"XFA": "XFA 动态表单", b"SubmitForm": "提交表单数据的动作",
              b"ImportData": "导入数据的动作"}

# URI schemes that run a script or reach the reader's own computer instead of a web page
_SCRIPT_URI = re.compile(r"(javascript|vbscript|data|file):")
_IGNORED_IN_URI = re.compile(r"[\x00-\x20\x7f]+")  # what viewers (and the URL standard) drop
_RAW_URI = re.compile(rb"/URI\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

_PDFIUM = threading.Lock()  # PDFium is not thread-safe; the web server renders from several threads


def inspect_pdf(data: bytes, name: str, limits: Limits) -> tuple[int, bytes | None]:
    """(page count, thumbnail of page 1 or None), or UploadRefused."""
    if b"%%EOF" not in data[-1024:]:
        # qpdf would rebuild a cut-off file and quietly lose what was missing
        raise UploadRefused(f"PDF 文件“{name}”不完整（可能没有传完），不能上传；请重新上传", "upload.damaged", name)
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise _encrypted(name)
            danger = _active_content(pdf)
            pages = len(pdf.pages)
    except pikepdf.PasswordError as exc:
        raise _encrypted(name) from exc
    except (pikepdf.PdfError, ValueError, RecursionError) as exc:
        raise UploadRefused(f"PDF 文件“{name}”已损坏，无法解析，不能上传", "upload.damaged", name) from exc
    danger = danger or _raw_scan(data)
    if danger:
        gap = " " if danger[:1].isascii() else ""
        raise UploadRefused(f"PDF 文件“{name}”含有{gap}{danger}，出于安全考虑不能上传；"
                            "请用“打印为 PDF”另存或重新扫描后再上传",
                            "upload.active_content", name)
    if pages == 0:
        raise UploadRefused(f"PDF 文件“{name}”没有任何页面，不能上传", "upload.damaged", name)
    return pages, _first_page_thumbnail(data, limits)


def _encrypted(name: str) -> UploadRefused:
    return UploadRefused(f"PDF 文件“{name}”已加密或设有密码，不能上传；请去除密码和权限限制后再上传",
                         "upload.encrypted", name)


def _active_content(pdf: pikepdf.Pdf) -> str | None:
    """The first forbidden construct among all objects, in Chinese; None if there is none."""
    for obj in pdf.objects:
        found = _walk(obj, 0)
        if found:
            return found
    return _walk(pdf.trailer, 0)


def _walk(obj, depth: int) -> str | None:
    """Direct objects inside `obj`; indirect ones are visited by pdf.objects themselves."""
    if depth > 64:
        return None
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        keys = set(obj.keys())
        for key in keys:
            if key in _KEYS:
                return _KEYS[key]
        for key in ("/URI", "/Base"):  # a URI action, or the catalog's base for relative URIs
            value = obj.get(key) if key in keys else None
            if isinstance(value, pikepdf.String):
                found = _script_uri(bytes(value))
                if found:
                    return found
        for key, table in (("/S", _ACTIONS), ("/Type", _TYPES), ("/Subtype", _TYPES)):
            if key in keys:
                value = obj.get(key)
                if isinstance(value, pikepdf.Name) and str(value) in table:
                    return table[str(value)]
        children = (obj.get(k) for k in keys)
    elif isinstance(obj, pikepdf.Array):
        children = iter(obj)
    else:
        return None
    for child in children:
        if isinstance(child, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)) and not child.is_indirect:
            found = _walk(child, depth + 1)
            if found:
                return found
    return None


def _script_uri(raw: bytes) -> str | None:
    """"可执行的链接（javascript:）" when a PDF string holds a script or local-file URI."""
    text = raw[2:].decode("utf-16-be", "replace") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
    m = _SCRIPT_URI.match(_IGNORED_IN_URI.sub("", text).lower())
    return f"可执行的链接（{m.group(0)}）" if m else None


def _pdf_string(token: bytes) -> bytes:
    """A PDF string token as written, `(…)` or `<…>`, decoded (escapes, octal, hex)."""
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1])
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
    body, out, i = token[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i:i + 1]
        if c == b"\\" and i + 1 < len(body):
            nxt = body[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(nxt, b"" if nxt in b"\r\n" else nxt)
            i += 2
            continue
        out += c
        i += 1
    return bytes(out)


def _raw_scan(data: bytes) -> str | None:
    for uri in _RAW_URI.finditer(data):
        found = _script_uri(_pdf_string(uri.group(1)))
        if found:
            return found
    m = _RAW.search(data)
    if not m:
        return None
    word = m.group(1)
    if word.startswith(b"EmbeddedFile"):
        return "嵌入的附件"
    if word.startswith(b"RichMedia"):
        return "多媒体（Flash）内容"
    return _RAW_NAMES[word]


def _first_page_thumbnail(data: bytes, limits: Limits) -> bytes | None:
    """Page 1 rendered to fit thumbnail_px; None if PDFium cannot render it (the file is kept:
    qpdf parsed it, and a missing picture is no reason to refuse a document)."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            doc = pdfium.PdfDocument(data)
            try:
                page = doc[0]
                width, height = page.get_size()
                if width <= 0 or height <= 0:
                    return None
                scale = min(limits.thumbnail_px / max(width, height), 4.0)
                image = page.render(scale=scale).to_pil()
            finally:
                doc.close()
        except pdfium.PdfiumError:
            return None
    return thumbnail_jpeg(image, limits)
