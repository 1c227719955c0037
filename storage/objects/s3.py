"""S3-compatible object storage (MinIO, Ceph RGW, AWS S3, moto in tests) for several app processes.

boto3 with path-style addressing (http://host:port/bucket/key), which MinIO and moto serve
without wildcard DNS. Checksums are only sent when the service requires them
("when_required"): older MinIO and other S3-compatible servers reject the newer default CRC
headers; each write carries Content-MD5 instead, and every read is checked against the key's
SHA-256 here.
"""
from __future__ import annotations

import base64
import hashlib
import threading
from urllib.parse import urlsplit, urlunsplit

from .errors import ObjectCorrupt, ObjectMissing, ObjectStoreUnavailable
from .keys import check_key, verify

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_NO_BUCKET_CODES = {"NoSuchBucket"}
_DENIED_CODES = {"403", "AccessDenied", "AllAccessDisabled"}
_BAD_KEY_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}


class S3Store:
    """Objects at `prefix + key` in `bucket`. Creates nothing implicitly (`ensure_bucket` is the
    one explicit exception, for set-up and tests). Credentials: `access_key`/`secret_key`, or
    boto3's own chain (environment, ~/.aws, instance role) when they are None."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, prefix: str = "",
                 *, session_token: str | None = None) -> None:
        if not bucket:
            raise ValueError("bucket is required")
        prefix = prefix.strip("/")
        if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
            raise ValueError(f"bad prefix {prefix!r}")
        self.bucket = bucket
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self.prefix = f"{prefix}/" if prefix else ""
        self._credentials = (access_key, secret_key, session_token)
        self._client = None
        self._lock = threading.Lock()

    # -- the port --------------------------------------------------------------------------------

    def put(self, key: str, data: bytes, content_type: str) -> None:
        name = self._name(key)
        if not verify(key, data):
            raise ValueError(f"key {key} is not the SHA-256 of the data")
        size = self._head(name)
        if size == len(data):
            return  # same key, same content: stored already (possibly by another process)
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self._call("写入", self.client().put_object, Bucket=self.bucket, Key=name, Body=data,
                   ContentType=content_type or "application/octet-stream", ContentMD5=md5)

    def get(self, key: str) -> bytes:
        name = self._name(key)
        try:
            response = self._call("读取", self.client().get_object, Bucket=self.bucket, Key=name)
            data = response["Body"].read()
        except _Missing:
            raise ObjectMissing(key, self.describe()) from None
        except ObjectStoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - the stream broke mid-body
            raise ObjectStoreUnavailable(self.describe(), f"读取中断（{type(exc).__name__}）") from exc
        if not verify(key, data):
            raise ObjectCorrupt(key, self.describe())
        return data

    def exists(self, key: str) -> bool:
        return self._head(self._name(key)) is not None

    def delete(self, key: str) -> None:
        self._call("删除", self.client().delete_object, Bucket=self.bucket, Key=self._name(key))

    def describe(self) -> str:
        where = _public_endpoint(self.endpoint_url) if self.endpoint_url else "AWS S3 默认地址"
        prefix = f"，前缀 {self.prefix}" if self.prefix else ""
        return f"S3 兼容对象存储（地址 {where}，桶 {self.bucket}{prefix}）"

    # -- set-up ----------------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (private: S3 buckets are private by default)."""
        client = self.client()
        try:
            self._call("检查桶", client.head_bucket, Bucket=self.bucket)
            return
        except _Missing:
            pass
        kwargs = {"Bucket": self.bucket}
        region = client.meta.region_name
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._call("创建桶", client.create_bucket, **kwargs)
        except ObjectStoreUnavailable as exc:
            if "BucketAlreadyOwnedByYou" not in exc.why:
                raise

    def client(self):
        """The boto3 client, made once (clients are thread-safe; sessions are not)."""
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    # -- internals -------------------------------------------------------------------------------

    def _make_client(self):
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - boto3 is a main dependency
            raise ObjectStoreUnavailable(self.describe(), "未安装 boto3") from exc
        access_key, secret_key, token = self._credentials
        try:
            session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                            aws_session_token=token, region_name=self.region)
            config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                            request_checksum_calculation="when_required",
                            response_checksum_validation="when_required")
            return session.client("s3", endpoint_url=self.endpoint_url,
                                  region_name=session.region_name or "us-east-1", config=config)
        except Exception as exc:  # noqa: BLE001 - e.g. a named AWS profile that does not exist
            raise ObjectStoreUnavailable(self.describe(), f"无法建立连接配置（{type(exc).__name__}）") from exc

    def _name(self, key: str) -> str:
        check_key(key)
        return self.prefix + key

    def _head(self, name: str) -> int | None:
        """The object's size, or None if there is none."""
        try:
            return int(self._call("查询", self.client().head_object, Bucket=self.bucket, Key=name)["ContentLength"])
        except _Missing:
            return None

    def _call(self, doing: str, fn, **kwargs):
        """Run one S3 request; a missing object raises _Missing, every other failure a Chinese
        ObjectStoreUnavailable that names the store (never the credentials)."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = str(err.get("Code", ""))
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _NO_BUCKET_CODES:
                raise ObjectStoreUnavailable(self.describe(), f"桶 {self.bucket} 不存在") from exc
            if code in _MISSING_CODES or status == "404":
                raise _Missing() from exc
            if code in _BAD_KEY_CODES:
                raise ObjectStoreUnavailable(
                    self.describe(), "访问密钥不正确或已过期，请检查 AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY") from exc
            if code in _DENIED_CODES or status == "403":
                raise ObjectStoreUnavailable(self.describe(), f"无权{doing}（请检查访问密钥对该桶的权限）") from exc
            raise ObjectStoreUnavailable(self.describe(), f"{doing}失败（{code or status}）") from exc
        except NoCredentialsError as exc:
            raise ObjectStoreUnavailable(
                self.describe(), "未配置访问密钥，请设置 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY") from exc
        except BotoCoreError as exc:
            raise ObjectStoreUnavailable(self.describe(), f"{doing}时连接失败（{type(exc).__name__}）") from exc


class _Missing(Exception):
    """Internal: the request's object (or bucket, for HEAD) is not there."""


def _public_endpoint(url: str) -> str:
    """The endpoint without user info, query or fragment, for display."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
