"""Object store errors, in Chinese, under storage.errors.StorageError so entrypoints that already
catch every storage refusal in one place (cli/options.py, web) show these too."""
from __future__ import annotations

import re

from storage.errors import StorageError


class ObjectStoreError(StorageError):
    """Base class of the object store's errors."""


class BadObjectStoreAddress(ObjectStoreError):
    """PARTYFLOW_OBJECT_STORE is not one of the accepted forms."""

    def __init__(self, text: str, why: str) -> None:
        text = hide_userinfo(text)
        self.text = text
        self.why = why
        super().__init__(f"文件存储地址“{text}”无法识别（{why}）：请留空（使用数据目录下的 files 目录），"
                         "或给出 file:///绝对路径、s3://桶名/前缀?endpoint=http://主机:端口&region=区域")


class ObjectMissing(ObjectStoreError):
    """A key that is not in the store (never uploaded, or removed by a retention rule)."""

    def __init__(self, key: str, where: str) -> None:
        self.key = key
        super().__init__(f"文件 {key} 在{where}中不存在（可能已按保存期限清理，或存储配置有误）")


class ObjectCorrupt(ObjectStoreError):
    """The bytes read back do not hash to their key: the copy in the store was altered."""

    def __init__(self, key: str, where: str) -> None:
        self.key = key
        super().__init__(f"文件 {key} 在{where}中的内容与其 SHA-256 校验值不符，已被改动或损坏，请从备份恢复")


class ObjectStoreUnavailable(ObjectStoreError):
    """The store could not be reached or refused the request (network, bucket, permissions)."""

    def __init__(self, where: str, why: str) -> None:
        self.why = why
        gap = " " if where[:1].isascii() else ""
        super().__init__(f"无法访问{gap}{where}：{why}")


def hide_userinfo(text: str) -> str:
    """`text` with anything between '//' and an '@' masked, so a secret typed into an address
    never reaches a message or a log."""
    return re.sub(r"(//)[^?#&]*@", r"\1***@", text)
