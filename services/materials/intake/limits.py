"""Upload limits: defaults, and the two an administrator may change through the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MB = 1024 * 1024

MAX_MB_ENV = "PARTYFLOW_UPLOAD_MAX_MB"
MAX_MEGAPIXELS_ENV = "PARTYFLOW_UPLOAD_MAX_MEGAPIXELS"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * MB  # one file, as uploaded
    # 50 MP: a 48 MP phone photo (8064 × 6048) passes; decoding one takes ~150 MB of memory
    max_pixels: int = 50_000_000
    # longest side of a stored image: A4 at 300 dpi. A 12 MP phone photo of a page is scaled to it
    # (~22 % fewer bytes, still sharper than the 200 dpi usual for scanned text); smaller ones stay
    max_side_px: int = 3508
    thumbnail_px: int = 320  # longest side of a thumbnail
    jpeg_quality: int = 85
    max_zip_entries: int = 2000  # parts in a .docx
    max_unzipped_bytes: int = 200 * MB  # a .docx's parts, decompressed (zip bombs)


DEFAULT_LIMITS = Limits()


class BadUploadSetting(ValueError):
    """An upload limit in the environment is not a positive number (message in Chinese)."""


def limits_from_env(environ: Mapping[str, str] | None = None, base: Limits = DEFAULT_LIMITS) -> Limits:
    """`base` with PARTYFLOW_UPLOAD_MAX_MB (1–1024) and PARTYFLOW_UPLOAD_MAX_MEGAPIXELS (1–500)
    applied where set."""
    env = os.environ if environ is None else environ
    limits = base
    mb = _number(env, MAX_MB_ENV, 1, 1024)
    if mb is not None:
        limits = Limits(**{**limits.__dict__, "max_bytes": int(mb * MB)})
    mp = _number(env, MAX_MEGAPIXELS_ENV, 1, 500)
    if mp is not None:
        limits = Limits(**{**limits.__dict__, "max_pixels": int(mp * 1_000_000)})
    return limits


def _number(env: Mapping[str, str], name: str, low: int, high: int) -> float | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # also false for nan
        raise BadUploadSetting(f"环境变量 {name} 的值“{text}”无效：应为 {low} 到 {high} 之间的数")
    return value
