"""Word (.docx) uploads: a ZIP of XML parts, checked without trusting what the ZIP declares.

Refused: a ZIP that is not a Word document (no word/document.xml, or another Office type),
macros (vbaProject.bin, the macro-enabled content type), ActiveX controls and embedded OLE
packages (which can carry programs), external templates or frames fetched on opening (the
"template injection" attack), encrypted entries, and ZIP bombs — too many parts, or parts that
decompress past max_unzipped_bytes. Every part is decompressed once, counting bytes as they come,
so a ZIP that lies about its sizes is caught too (and a bad CRC means a damaged file). The bytes
are stored unchanged.
"""
from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

from .limits import MB, Limits
from .refusal import ALLOWED, UploadRefused

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_MACRO_TYPES = ("macroEnabled", "vbaProject", "vbaData")
_EXTERNAL_RISKY = ("/attachedTemplate", "/oleObject", "/frame", "/subDocument")
_APP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
_CHUNK = 1 << 16

# other ZIP-based formats, by a part only they have (Office Open XML, Java/Android packages)
_ZIP_PARTS = (
    ("xl/workbook.xml", "Excel 工作簿（.xlsx）"), ("ppt/presentation.xml", "PowerPoint 演示文稿（.pptx）"),
    ("visio/document.xml", "Visio 绘图（.vsdx）"), ("AndroidManifest.xml", "安卓安装包（.apk）"),
    ("META-INF/MANIFEST.MF", "Java 程序包（.jar）"),
)
# the main part's content type of an Office Open XML file, and what that file is
_OFFICE_TYPES = (
    (b"spreadsheetml", "Excel 工作簿（.xlsx）"), (b"ms-excel", "Excel 工作簿（.xlsx）"),
    (b"presentationml", "PowerPoint 演示文稿（.pptx）"), (b"ms-powerpoint", "PowerPoint 演示文稿（.pptx）"),
)
# OpenDocument: the `mimetype` entry (ODF 1.2, 3.3)
_ODF = {"text": "OpenDocument 文本文档（.odt）", "spreadsheet": "OpenDocument 电子表格（.ods）",
        "presentation": "OpenDocument 演示文稿（.odp）", "graphics": "OpenDocument 绘图（.odg）"}


def inspect_docx(data: bytes, name: str, limits: Limits) -> int | None:
    """Pages from docProps/app.xml (None without it), or UploadRefused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _damaged(name) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_entries:
            raise _bomb(name, f"包含 {len(infos)} 个部件，超过 {limits.max_zip_entries} 个的上限")
        names = {info.filename for info in infos}
        if "word/document.xml" not in names or "[Content_Types].xml" not in names:
            raise _not_word(name, _zip_kind(archive, names))
        if any(info.flag_bits & 0x1 for info in infos):
            raise UploadRefused(f"Word 文件“{name}”已加密，不能上传；请去除密码后再上传", "upload.encrypted", name)
        parts = _read_all(archive, infos, name, limits)
    lowered = {n.lower() for n in names}
    content_types = parts["[Content_Types].xml"]
    if any(n.endswith(("vbaproject.bin", "vbadata.xml")) for n in lowered) or \
            any(t.encode() in content_types for t in _MACRO_TYPES):
        raise UploadRefused(f"Word 文件“{name}”含有宏，出于安全考虑不能上传；请另存为不含宏的 .docx 或 PDF 后再上传",
                            "upload.macro", name)
    if WORD_MAIN.encode() not in content_types:
        raise _not_word(name, _office_kind(content_types) or "Office 文件")
    if any(n.startswith("word/activex/") or re.fullmatch(r"word/embeddings/oleobject\d*\.bin", n) for n in lowered):
        raise UploadRefused(f"Word 文件“{name}”含有 ActiveX 控件或嵌入的程序包，出于安全考虑不能上传；"
                            "请另存为 PDF 后再上传", "upload.active_content", name)
    for part, body in parts.items():
        if part.endswith(".rels") and _risky_external(body):
            raise UploadRefused(f"Word 文件“{name}”在打开时会从外部加载模板或内容，出于安全考虑不能上传；"
                                "请另存为 PDF 后再上传", "upload.active_content", name)
    return _pages(parts.get("docProps/app.xml"))


def _read_all(archive: zipfile.ZipFile, infos, name: str, limits: Limits) -> dict[str, bytes]:
    """The parts the checks read (content types, relationships, docProps/app.xml); every other
    part is decompressed too, only to count its bytes under the total cap."""
    total = 0
    kept: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        keep = info.filename in ("[Content_Types].xml", "docProps/app.xml") or info.filename.endswith(".rels")
        chunks = []
        try:
            with archive.open(info) as stream:
                while block := stream.read(_CHUNK):
                    total += len(block)
                    if total > limits.max_unzipped_bytes:
                        raise _bomb(name, f"解压后超过 {limits.max_unzipped_bytes // MB} MB")
                    if keep:
                        chunks.append(block)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
            raise _damaged(name) from exc
        if keep:
            kept[info.filename] = b"".join(chunks)
    return kept


def _zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    """What a ZIP that is not a Word document is, in Chinese."""
    if "mimetype" in names:
        try:
            with archive.open("mimetype") as stream:
                mimetype = stream.read(100).decode("ascii", "replace").strip()
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError):
            mimetype = ""
        if mimetype.startswith("application/vnd.oasis.opendocument."):
            family = mimetype.rsplit(".", 1)[-1].split("-")[0]
            return _ODF.get(family, "OpenDocument 文件")
        if mimetype == "application/epub+zip":
            return "电子书（.epub）"
    for part, what in _ZIP_PARTS:
        if part in names:
            return what
    return "ZIP 压缩包"


def _office_kind(content_types: bytes) -> str | None:
    for marker, what in _OFFICE_TYPES:
        if marker in content_types:
            return what
    return None


def _not_word(name: str, what: str) -> UploadRefused:
    gap = " " if what[:1].isascii() else ""
    return UploadRefused(f"文件“{name}”是{gap}{what}，不是 Word（.docx）文档，不能上传；"
                         f"可以上传的是 {ALLOWED}，请另存为 PDF 或 .docx 后再上传", "upload.not_word", name)


def _risky_external(rels: bytes) -> bool:
    try:
        root = ElementTree.fromstring(rels)
    except ElementTree.ParseError:
        return False
    for rel in root.iter():
        if rel.get("TargetMode") == "External" and (rel.get("Type") or "").endswith(_EXTERNAL_RISKY):
            return True
    return False


def _pages(app_xml: bytes | None) -> int | None:
    if not app_xml:
        return None
    try:
        node = ElementTree.fromstring(app_xml).find(f"{_APP_NS}Pages")
    except ElementTree.ParseError:
        return None
    text = (node.text or "").strip() if node is not None else ""
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else None


def _damaged(name: str) -> UploadRefused:
    return UploadRefused(f"Word 文件“{name}”已损坏，无法打开，不能上传", "upload.damaged", name)


def _bomb(name: str, why: str) -> UploadRefused:
    return UploadRefused(f"Word 文件“{name}”{why}，疑似压缩炸弹，不能上传", "upload.zip_bomb", name)
