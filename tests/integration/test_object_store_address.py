"""PARTYFLOW_OBJECT_STORE: every accepted form, and a Chinese refusal for everything else."""
from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import StorageError
from storage.objects import BadObjectStoreAddress, LocalDirectoryStore, S3Store, open_store, sha256_key, store_from_env
from tests.support import s3_server as s3

DATA_DIR = Path("/var/lib/partyflow")
KEYS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "very-secret-value"}


@pytest.mark.parametrize("url", [None, "", "   "])
def test_unset_means_the_data_directorys_files(url):
    store = open_store(url, DATA_DIR, environ={})
    assert isinstance(store, LocalDirectoryStore) and store.root == DATA_DIR / "files"


@pytest.mark.parametrize(("url", "root"), [
    ("file:///srv/partyflow/files", "/srv/partyflow/files"),
    ("file://localhost/srv/pf", "/srv/pf"),
    ("file:///srv/%E6%9D%90%E6%96%99", "/srv/材料"),
    ("/srv/partyflow/files", "/srv/partyflow/files"),
])
def test_local_directory_forms(url, root):
    store = open_store(url, DATA_DIR, environ={})
    assert isinstance(store, LocalDirectoryStore) and store.root == Path(root)


def test_s3_form_with_endpoint_region_prefix_and_keys_from_the_environment():
    url = "s3://partyflow-files/zhenyuan/2026?endpoint=http://10.0.0.5:9000&region=cn-north-1"
    store = open_store(url, DATA_DIR, environ=KEYS)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.endpoint_url, store.region) == \
        ("partyflow-files", "zhenyuan/2026/", "http://10.0.0.5:9000", "cn-north-1")
    assert store.describe() == "S3 兼容对象存储（地址 http://10.0.0.5:9000，桶 partyflow-files，前缀 zhenyuan/2026/）"
    assert store.client().meta.region_name == "cn-north-1"
    credentials = store.client()._request_signer._credentials  # noqa: SLF001 - what boto3 will sign with
    assert (credentials.access_key, credentials.secret_key) == ("AKIAEXAMPLE", "very-secret-value")
    assert "AKIA" not in store.describe() and "secret" not in store.describe()


def test_s3_without_endpoint_is_aws_and_without_keys_uses_boto3s_chain():
    store = open_store("s3://partyflow", DATA_DIR, environ={})
    assert (store.endpoint_url, store.prefix, store._credentials[:2]) == (None, "", (None, None))  # noqa: SLF001
    assert store.describe() == "S3 兼容对象存储（地址 AWS S3 默认地址，桶 partyflow）"


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://files.example/x", "不支持“ftp”方式"),
    ("files", "缺少 file:// 或 s3:// 开头"),
    ("file://server/share", "file:// 之后应直接写绝对路径"),
    ("file:relative/path", "本地目录必须是绝对路径"),
    ("file:///srv/x?mode=1", "不接受 ? 或 # 之后的参数"),
    ("s3://", "缺少桶名"),
    ("s3://Partyflow_Files", "桶名“Partyflow_Files”不合 S3 命名规则"),
    ("s3://ab", "桶名“ab”不合 S3 命名规则"),
    ("s3://partyflow/a/../b", "不能含空段、. 或 .."),
    ("s3://partyflow?endpint=http://h:9000", "不认识的参数 endpint（可用 endpoint、region）"),
    ("s3://partyflow?region=a&region=b", "参数 region 出现了多次"),
    ("s3://partyflow?endpoint=127.0.0.1:9000", "endpoint 须以 http:// 或 https:// 开头"),
    ("s3://partyflow?endpoint=http://h:9000/bucket", "endpoint 只写协议、主机和端口"),
    ("s3://partyflow?endpoint=http://h:port", "endpoint 格式不正确"),
    ("s3://partyflow?region=北京", "区域“北京”格式不正确"),
])
def test_bad_addresses_are_refused_in_chinese(url, why):
    with pytest.raises(BadObjectStoreAddress) as info:
        open_store(url, DATA_DIR, environ=KEYS)
    assert isinstance(info.value, StorageError)
    message = str(info.value)
    assert message.startswith(f"文件存储地址“{url}”无法识别（") and why in message
    assert "file:///绝对路径" in message  # says what would be accepted


@pytest.mark.parametrize("url", [
    "s3://AKIAEXAMPLE:very-secret-value@partyflow",
    "s3://AKIAEXAMPLE:very/secret-value@partyflow/files",
    "s3://partyflow?endpoint=http://AKIAEXAMPLE:very-secret-value@10.0.0.5:9000",
])
def test_keys_in_the_address_are_refused_and_never_repeated(url):
    with pytest.raises(BadObjectStoreAddress, match="访问密钥不能写在地址里") as info:
        open_store(url, DATA_DIR, environ={})
    assert "secret" not in str(info.value) and "AKIA" not in str(info.value) and "***@" in str(info.value)


def test_half_a_key_pair_is_refused():
    with pytest.raises(BadObjectStoreAddress, match="须同时设置"):
        open_store("s3://partyflow", DATA_DIR, environ={"AWS_ACCESS_KEY_ID": "x"})


def test_store_from_env_reads_partyflow_object_store(tmp_path):
    assert store_from_env(tmp_path, {}).root == tmp_path / "files"
    assert store_from_env(tmp_path, {"PARTYFLOW_OBJECT_STORE": "file:///srv/x"}).root == Path("/srv/x")


def test_an_s3_address_reaches_the_server(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    env = {"AWS_ACCESS_KEY_ID": s3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": s3.SECRET_KEY}
    store = open_store(s3_server.url(bucket, "files"), tmp_path, environ=env)
    data = "入党申请书".encode()
    store.put(sha256_key(data), data, "text/plain")
    assert s3_server.store(bucket, "files").get(sha256_key(data)) == data
