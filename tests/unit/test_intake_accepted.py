"""Good uploads: what intake hands back to be stored and recorded (issue 18, 2)."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from services.materials.intake import (
    DOCX_TYPE,
    BadUploadSetting,
    Limits,
    inspect_upload,
    limits_from_env,
    safe_filename,
)
from tests.support import upload_samples as samples


def _image(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def _no_metadata(data: bytes) -> None:
    im = _image(data)
    assert dict(im.getexif()) == {}
    assert not set(im.info) & {"exif", "xmp", "comment", "Comment", "XML:com.adobe.xmp"}
    for marker in (b"Exif\0\0", b"GPS", b"iPhone", b"Apple", b"xmpmeta", b"taken at home", b"35.55N"):
        assert marker not in data


def test_phone_jpeg_loses_its_gps_and_stands_upright():
    original = samples.phone_jpeg(orientation=6, size=(1200, 800))
    assert _image(original).getexif().get_ifd(samples.GPS_IFD)  # the fixture does carry a location
    accepted = inspect_upload(original, "IMG_0412.JPG")
    assert (accepted.kind, accepted.content_type, accepted.filename) == ("image", "image/jpeg", "IMG_0412.JPG")
    assert accepted.data != original and accepted.data[:3] == b"\xff\xd8\xff"
    _no_metadata(accepted.data)
    # orientation 6: turn 90° clockwise, so the red left half is now on top
    im = _image(accepted.data)
    assert (accepted.width, accepted.height) == im.size == (800, 1200)
    top, bottom = im.getpixel((400, 50)), im.getpixel((400, 1150))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    assert accepted.pages == 1 and accepted.sha256 == hashlib.sha256(accepted.data).hexdigest()
    assert accepted.size == len(accepted.data)


def test_a_large_photo_is_kept_at_a4_300_dpi_upright():
    """A 4032×3024 phone photo turned by its EXIF (orientation 6) is stored 2631×3508: the longest
    side at Limits.max_side_px, the proportions kept; one just below the cap is left as it is."""
    accepted = inspect_upload(samples.phone_jpeg(orientation=6, size=(4032, 3024)), "IMG_0413.JPG")
    assert (accepted.width, accepted.height) == _image(accepted.data).size == (2631, 3508)
    same = inspect_upload(samples.phone_jpeg(orientation=1, size=(3508, 2480)), "a.jpg")
    assert (same.width, same.height) == (3508, 2480)
    assert inspect_upload(samples.phone_jpeg(orientation=1, size=(3000, 2000)), "a.jpg",
                          limits=Limits(max_side_px=1500)).width == 1500


def test_thumbnail_fits_320_pixels():
    accepted = inspect_upload(samples.phone_jpeg(orientation=1, size=(1200, 800)), "a.jpg")
    thumb = _image(accepted.thumbnail)
    assert thumb.format == "JPEG" and thumb.size == (320, 213)
    assert accepted.thumbnail_content_type == "image/jpeg"
    _no_metadata(accepted.thumbnail)
    small = inspect_upload(samples.phone_jpeg(orientation=1, size=(200, 100)), "a.jpg")
    assert _image(small.thumbnail).size == (200, 100)  # never enlarged


def test_same_photo_twice_is_the_same_stored_file():
    data = samples.phone_jpeg()
    assert inspect_upload(data, "a.jpg").sha256 == inspect_upload(data, "b.jpg").sha256


def test_png_stays_png_with_transparency_and_without_text_chunks():
    accepted = inspect_upload(samples.png_rgba(), "盖章页.png")
    assert (accepted.kind, accepted.content_type, accepted.filename) == ("image", "image/png", "盖章页.png")
    im = _image(accepted.data)
    assert im.format == "PNG" and im.mode == "RGBA" and im.size == (300, 200)
    assert im.getpixel((10, 10))[3] == 0 and im.getpixel((200, 100)) == (0, 128, 0, 255)
    _no_metadata(accepted.data)
    assert _image(accepted.thumbnail).getpixel((5, 5)) == (255, 255, 255)  # transparent → white


def _encoded(im: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **options)
    return buf.getvalue()


def test_cmyk_and_grey_scans_become_jpegs_browsers_show():
    cmyk = inspect_upload(_encoded(Image.new("CMYK", (100, 80), (0, 255, 255, 0)), "JPEG"), "scan.jpg")
    im = _image(cmyk.data)
    assert im.mode == "RGB" and im.getpixel((5, 5))[0] > 240 and im.getpixel((5, 5))[1] < 15
    grey = inspect_upload(_encoded(Image.new("L", (100, 80), 128), "JPEG"), "scan.jpg")
    assert _image(grey.data).mode == "L"


def test_palette_png_keeps_its_transparent_colour():
    im = Image.new("P", (100, 80), 0)
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    im.paste(2, (0, 0, 50, 80))  # left half: colour 2, declared transparent
    accepted = inspect_upload(_encoded(im, "PNG", transparency=2), "seal.png")
    rgba = _image(accepted.data).convert("RGBA")
    assert rgba.getpixel((5, 5))[3] == 0 and rgba.getpixel((80, 5)) == (255, 0, 0, 255)
    thumb = _image(accepted.thumbnail)
    assert thumb.getpixel((5, 5)) == (255, 255, 255) and thumb.getpixel((80, 5))[0] > 240


def test_content_decides_the_type_and_the_name_follows():
    accepted = inspect_upload(samples.png_rgba(), "scan.jpg")  # a PNG someone named .jpg
    assert accepted.content_type == "image/png" and accepted.filename == "scan.png"


def test_heic_from_a_phone_becomes_jpeg_without_exif():
    original = samples.phone_heic(size=(640, 480))
    assert _image(original).getexif().get_ifd(samples.GPS_IFD)
    accepted = inspect_upload(original, "IMG_2001.HEIC")
    assert (accepted.content_type, accepted.filename, accepted.converted_from) == ("image/jpeg", "IMG_2001.jpg", "HEIC")
    assert _image(accepted.data).format == "JPEG" and (accepted.width, accepted.height) == (640, 480)
    _no_metadata(accepted.data)
    assert accepted.thumbnail is not None


def test_small_pdf_is_stored_unchanged_with_pages_and_a_thumbnail():
    data = samples.pdf(pages=3)
    accepted = inspect_upload(data, "政审结论.pdf")
    assert (accepted.kind, accepted.content_type, accepted.filename, accepted.pages) == \
        ("pdf", "application/pdf", "政审结论.pdf", 3)
    assert accepted.data == data and accepted.sha256 == hashlib.sha256(data).hexdigest()
    thumb = _image(accepted.thumbnail)
    assert thumb.format == "JPEG" and thumb.size == (227, 320)  # A4 portrait, 320 px high
    assert (accepted.width, accepted.height) == (None, None)


def test_docx_from_python_docx_is_stored_unchanged_with_its_page_count():
    data = samples.docx(parts={"docProps/app.xml": samples.app_xml(3)})
    accepted = inspect_upload(data, "思想汇报")
    assert (accepted.kind, accepted.content_type, accepted.filename, accepted.pages) == \
        ("word", DOCX_TYPE, "思想汇报.docx", 3)
    assert accepted.data == data and accepted.thumbnail is None
    assert inspect_upload(samples.docx(drop=("docProps/app.xml",)), "a.docx").pages is None
    assert inspect_upload(samples.docx(), "a.docx").pages == 1  # python-docx's template says 1


@pytest.mark.parametrize(("raw", "extension", "shown"), [
    ("入党申请书（张三）.pdf", ".pdf", "入党申请书（张三）.pdf"),
    ("photo.HEIC", ".jpg", "photo.jpg"),
    ("\u202egpj.exe", ".jpg", "gpj.jpg"),
    ("a\u200bb\x00c\tname.pdf", ".pdf", "abc name.pdf"),
    ("con.jpg", ".jpg", "_con.jpg"),
    ('a:b?"<c>|*.pdf', ".pdf", "a_b___c___.pdf"),
    (".jpg", ".jpg", "未命名文件.jpg"),
    ("", ".pdf", "未命名文件.pdf"),
    (None, ".pdf", "未命名文件.pdf"),
    ("report.final", ".pdf", "report.final.pdf"),
    ("scan.JPEG", ".jpg", "scan.JPEG"),
])
def test_safe_filename(raw, extension, shown):
    assert safe_filename(raw, extension) == shown


def test_safe_filename_caps_length_keeping_the_extension():
    name = safe_filename("材" * 500 + ".docx", ".docx")
    assert name.endswith(".docx") and len(name) == 80 and len(name.encode()) <= 240
    ascii_name = safe_filename("a" * 500 + ".pdf", ".pdf")
    assert len(ascii_name) == 80 and ascii_name.endswith("a.pdf")
    assert safe_filename("a" * 76 + ".pdf", ".pdf") == "a" * 76 + ".pdf"  # exactly 80: kept whole


def test_limits_from_env():
    assert limits_from_env({}) == Limits()
    changed = limits_from_env({"PARTYFLOW_UPLOAD_MAX_MB": "5", "PARTYFLOW_UPLOAD_MAX_MEGAPIXELS": "12.5"})
    assert (changed.max_bytes, changed.max_pixels) == (5 * 1024 * 1024, 12_500_000)
    for bad in ("0", "abc", "2000", "nan", "-3"):
        with pytest.raises(BadUploadSetting, match="环境变量 PARTYFLOW_UPLOAD_MAX_MB 的值.*应为 1 到 1024 之间的数"):
            limits_from_env({"PARTYFLOW_UPLOAD_MAX_MB": bad})
    assert limits_from_env({"PARTYFLOW_UPLOAD_MAX_MB": "1024"}).max_bytes == 1024 * 1024 * 1024
