"""The upload limits in force: the intake's defaults, or PARTYFLOW_UPLOAD_MAX_MB /
PARTYFLOW_UPLOAD_MAX_MEGAPIXELS (docs/object-store.md), read once per process."""
from __future__ import annotations

from functools import lru_cache

from services.materials.intake import Limits, limits_from_env


@lru_cache(maxsize=1)
def upload_limits() -> Limits:
    return limits_from_env()
