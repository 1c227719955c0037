"""Upload intake: what a file is (by content), whether it may be stored, and the safe form to
store — pure functions over bytes, no database (docs/object-store.md, "Intake")."""
from .inspect import ALLOWED, DOCX_TYPE, Accepted, inspect_upload, too_large
from .limits import DEFAULT_LIMITS, MAX_MB_ENV, MAX_MEGAPIXELS_ENV, BadUploadSetting, Limits, limits_from_env
from .names import safe_filename
from .refusal import UploadRefused

__all__ = [
    "ALLOWED",
    "DEFAULT_LIMITS",
    "DOCX_TYPE",
    "MAX_MB_ENV",
    "MAX_MEGAPIXELS_ENV",
    "Accepted",
    "BadUploadSetting",
    "Limits",
    "UploadRefused",
    "inspect_upload",
    "limits_from_env",
    "safe_filename",
    "too_large",
]
