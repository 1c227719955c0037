"""Object storage for uploaded files: a port, a local-directory adapter (the embedded default) and
an S3-compatible adapter (several app processes), chosen by one URL. See docs/object-store.md."""
from .address import ENV_VAR, open_store, store_from_env
from .errors import BadObjectStoreAddress, ObjectCorrupt, ObjectMissing, ObjectStoreError, ObjectStoreUnavailable
from .keys import check_key, is_key, key_for_digest, sha256_key
from .local import LocalDirectoryStore
from .port import ObjectStore
from .s3 import S3Store

__all__ = [
    "ENV_VAR",
    "BadObjectStoreAddress",
    "LocalDirectoryStore",
    "ObjectCorrupt",
    "ObjectMissing",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectStoreUnavailable",
    "S3Store",
    "check_key",
    "is_key",
    "key_for_digest",
    "open_store",
    "sha256_key",
    "store_from_env",
]
