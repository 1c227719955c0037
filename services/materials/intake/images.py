"""Photos and scans: checked, re-encoded without metadata, and thumbnailed.

Re-encoding is the point: what is stored is pixels Pillow decoded and wrote again, never the
uploaded bytes, so EXIF (GPS location, camera serial), XMP, comments and anything appended after
the image data are gone. The EXIF orientation is applied to the pixels first (ImageOps.exif_transpose),
so a phone photo stands the right way up without its tag. HEIC (iPhone photos) becomes JPEG:
browsers other than Safari cannot show HEIC.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from .limits import Limits
from .refusal import UploadRefused
from .sniff import HEIC, JPEG, PNG

pillow_heif.register_heif_opener()  # format "HEIF"; registering again is harmless

_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIF"}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    thumbnail: bytes


def clean_image(data: bytes, kind: str, name: str, limits: Limits) -> CleanImage:
    """The re-encoded image, or UploadRefused (too many pixels, damaged)."""
    try:
        # formats=: only the decoder the signature named may touch the bytes
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]]) as im:
            width, height = im.size  # from the header; nothing decoded yet
            if width * height > limits.max_pixels:
                raise _too_many_pixels(name, width, height, limits)
            im.seek(0)  # an animated PNG or a HEIC burst: the first (primary) picture
            im.load()
            icc = im.info.get("icc_profile")
            transparency = im.info.get("transparency")
            upright = ImageOps.exif_transpose(im)
    except Image.DecompressionBombError as exc:
        # Pillow's own guard (twice Image.MAX_IMAGE_PIXELS), for a limit set above it
        raise UploadRefused(f"图片“{name}”的像素数远超 {_megapixels(limits.max_pixels)}的上限，疑似“解压炸弹”，不能上传",
                            "upload.image_too_large", name) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise UploadRefused(f"图片“{name}”已损坏或不完整，无法读取，不能上传", "upload.damaged", name) from exc
    upright.info = {}  # EXIF, XMP, comments, text chunks: none of it is written back
    if max(upright.size) > limits.max_side_px:
        upright.thumbnail((limits.max_side_px, limits.max_side_px), Image.Resampling.BICUBIC)
    if upright.mode in ("CMYK", "LAB", "YCbCr"):
        icc = None  # converted to RGB below: a CMYK profile would misdescribe the pixels
    if kind == PNG:
        if transparency is not None and upright.mode in ("P", "L", "RGB"):
            upright.info["transparency"] = transparency
        out = _encode(upright, "PNG", icc_profile=icc)
        content_type, extension = "image/png", ".png"
    else:
        out = _encode(_flatten(upright), "JPEG", icc_profile=icc, quality=limits.jpeg_quality, optimize=True)
        content_type, extension = "image/jpeg", ".jpg"
    return CleanImage(out, content_type, extension, upright.width, upright.height,
                      thumbnail_jpeg(upright, limits))


def thumbnail_jpeg(im: Image.Image, limits: Limits) -> bytes:
    """A JPEG no larger than thumbnail_px on its longest side (transparent areas on white)."""
    small = _flatten(im.copy())
    small.thumbnail((limits.thumbnail_px, limits.thumbnail_px))
    return _encode(small, "JPEG", quality=80)


def _flatten(im: Image.Image) -> Image.Image:
    """RGB or L, as JPEG needs; transparency composed over white."""
    if im.mode in ("RGB", "L"):
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return im.convert("RGB")


def _encode(im: Image.Image, fmt: str, **options) -> bytes:
    if options.get("icc_profile") is None:
        options.pop("icc_profile", None)
    buf = io.BytesIO()
    im.save(buf, format=fmt, **options)
    return buf.getvalue()


def _too_many_pixels(name: str, width: int, height: int, limits: Limits) -> UploadRefused:
    return UploadRefused(
        f"图片“{name}”的尺寸为 {width}×{height} 像素（约 {_megapixels(width * height)}），"
        f"超过 {_megapixels(limits.max_pixels)}的上限，不能上传；请缩小后再上传",
        "upload.image_too_large", name)


def _megapixels(pixels: int) -> str:
    if pixels >= 100_000_000:
        return f"{pixels / 100_000_000:.1f} 亿像素".replace(".0 ", " ")
    return f"{pixels / 10_000:.0f} 万像素"
