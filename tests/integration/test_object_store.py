"""The object store port: one contract, run against the local directory and against S3 (moto's
real S3-protocol server on 127.0.0.1, tests/support/s3_server.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage.errors import StorageError
from storage.objects import (
    LocalDirectoryStore,
    ObjectCorrupt,
    ObjectMissing,
    ObjectStore,
    ObjectStoreUnavailable,
    S3Store,
    open_store,
    sha256_key,
)
from tests.support import s3_server as s3

ROOT = Path(__file__).resolve().parents[2]
PHOTO = bytes(range(256)) * 4096  # 1 MB, every byte value
OTHER = "政审结论".encode() * 1000


@pytest.fixture(params=["local", "s3"])
def two_stores(request, tmp_path):
    """Two store objects on the same place, as two app processes would have."""
    if request.param == "local":
        return LocalDirectoryStore(tmp_path / "files"), LocalDirectoryStore(tmp_path / "files")
    server = request.getfixturevalue("s3_server")
    bucket = server.new_bucket()
    return server.store(bucket, prefix="county"), server.store(bucket, prefix="county")


@pytest.fixture
def store(two_stores) -> ObjectStore:
    return two_stores[0]


def _overwrite(store, key: str, data: bytes) -> None:
    """Change the stored bytes behind the store's back."""
    if isinstance(store, LocalDirectoryStore):
        (store.root / key).write_bytes(data)
    else:
        store.client().put_object(Bucket=store.bucket, Key=store.prefix + key, Body=data)


def test_both_adapters_satisfy_the_port(store):
    assert isinstance(store, ObjectStore)


def test_put_get_exists_delete(store):
    key = sha256_key(PHOTO)
    assert not store.exists(key)
    store.put(key, PHOTO, "image/jpeg")
    assert store.exists(key) and store.get(key) == PHOTO
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting what is gone is not an error


def test_second_put_of_a_key_is_a_no_op(store, monkeypatch):
    key = sha256_key(PHOTO)
    if isinstance(store, LocalDirectoryStore):
        calls = []
        import storage.objects.local as local

        real = local.os.replace
        monkeypatch.setattr(local.os, "replace", lambda a, b: (calls.append(b), real(a, b)))
    else:
        calls = []
        store.client().meta.events.register("before-call.s3.PutObject", lambda **kw: calls.append(kw))
    store.put(key, PHOTO, "image/jpeg")
    store.put(key, PHOTO, "image/jpeg")
    assert len(calls) == 1 and store.get(key) == PHOTO


def test_put_refuses_a_key_that_is_not_the_datas_hash(store):
    with pytest.raises(ValueError, match="not the SHA-256"):
        store.put(sha256_key(OTHER), PHOTO, "image/jpeg")
    assert not store.exists(sha256_key(OTHER)) and not store.exists(sha256_key(PHOTO))


def test_missing_object(store):
    key = sha256_key(b"never stored")
    with pytest.raises(ObjectMissing) as info:
        store.get(key)
    assert isinstance(info.value, StorageError)
    assert str(info.value).startswith(f"文件 {key} 在") and "不存在" in str(info.value)


def test_altered_object_is_detected_on_read(store):
    key = sha256_key(PHOTO)
    store.put(key, PHOTO, "image/jpeg")
    _overwrite(store, key, PHOTO[:-1] + b"\x00")
    with pytest.raises(ObjectCorrupt, match="与其 SHA-256 校验值不符"):
        store.get(key)


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "sha256/../../../etc/passwd",
    "sha256/ab/cd/" + "ab" * 32,  # fan-out does not match the digest
    "sha256/AB/CD/" + "AB" * 32,  # upper case
    "sha256/ab/cd/" + "ab" * 31,  # short
    "/sha256/ab/ab/" + "ab" * 32,
    "",
])
def test_keys_that_are_not_content_addresses_are_refused(store, key):
    for call in (lambda: store.put(key, b"x", "text/plain"), lambda: store.get(key), lambda: store.exists(key),
                 lambda: store.delete(key)):
        with pytest.raises(ValueError, match="not an object key"):
            call()


def test_key_shape():
    key = sha256_key(b"abc")
    digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert key == f"sha256/ba/78/{digest}"


def test_two_processes_see_each_others_objects(two_stores):
    first, second = two_stores
    key = sha256_key(OTHER)
    first.put(key, OTHER, "application/pdf")
    assert second.exists(key) and second.get(key) == OTHER
    second.put(key, OTHER, "application/pdf")  # the same upload in the other process: no conflict
    second.delete(key)
    assert not first.exists(key)
    with pytest.raises(ObjectMissing):
        first.get(key)


def test_describe_is_chinese_and_keeps_secrets(store):
    text = store.describe()
    if isinstance(store, S3Store):
        assert text.startswith("S3 兼容对象存储（地址 http://127.0.0.1:") and "前缀 county/" in text
        assert s3.SECRET_KEY not in text and s3.ACCESS_KEY not in text
    else:
        assert text == f"本地文件目录 {store.root}"


# -- local directory -------------------------------------------------------------------------------------

def test_local_write_is_atomic(tmp_path, monkeypatch):
    """A failure between writing and renaming leaves neither the file nor a temporary behind."""
    import storage.objects.local as local

    store = LocalDirectoryStore(tmp_path / "files")
    key = sha256_key(PHOTO)

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(local.os, "replace", crash)
    with pytest.raises(ObjectStoreUnavailable, match="写入失败"):
        store.put(key, PHOTO, "image/jpeg")
    assert not store.exists(key)
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    store.put(key, PHOTO, "image/jpeg")
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == [f"files/{key}"]


def test_local_put_repairs_a_truncated_copy(tmp_path):
    store = LocalDirectoryStore(tmp_path)
    key = sha256_key(PHOTO)
    (tmp_path / key).parent.mkdir(parents=True)
    (tmp_path / key).write_bytes(PHOTO[:100])  # what a crash before atomic writes might have left
    store.put(key, PHOTO, "image/jpeg")
    assert store.get(key) == PHOTO


# -- S3 ----------------------------------------------------------------------------------------------------

def test_s3_objects_live_under_the_prefix(s3_server):
    bucket = s3_server.new_bucket()
    county, other = s3_server.store(bucket, "county-a"), s3_server.store(bucket, "county-b")
    key = sha256_key(OTHER)
    county.put(key, OTHER, "application/pdf")
    listed = county.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [(f"county-a/{key}", len(OTHER))]
    head = county.client().head_object(Bucket=bucket, Key=f"county-a/{key}")
    assert head["ContentType"] == "application/pdf"
    assert not other.exists(key)


def test_s3_ensure_bucket_is_idempotent_and_nothing_else_creates_one(s3_server):
    bucket = f"pf-test-{os.urandom(6).hex()}"
    store = s3_server.store(bucket)
    key = sha256_key(OTHER)
    with pytest.raises(ObjectStoreUnavailable, match=f"桶 {bucket} 不存在"):
        store.put(key, OTHER, "application/pdf")
    names = [b["Name"] for b in store.client().list_buckets()["Buckets"]]
    assert bucket not in names
    store.ensure_bucket()
    store.ensure_bucket()
    store.put(key, OTHER, "application/pdf")
    assert store.get(key) == OTHER


def test_s3_unreachable_is_a_chinese_error(unused_port):
    store = S3Store("partyflow", endpoint_url=f"http://127.0.0.1:{unused_port}", access_key="k", secret_key="s")
    with pytest.raises(ObjectStoreUnavailable) as info:
        store.exists(sha256_key(b"x"))
    message = str(info.value)
    assert message.startswith(f"无法访问 S3 兼容对象存储（地址 http://127.0.0.1:{unused_port}，桶 partyflow") \
        and "连接失败" in message


def test_another_os_process_reads_what_this_one_wrote(s3_server, tmp_path):
    """The county deployment: two app processes configured by PARTYFLOW_OBJECT_STORE alone."""
    bucket = s3_server.new_bucket()
    url = s3_server.url(bucket, "files")
    env = {**os.environ, "PARTYFLOW_OBJECT_STORE": url, "AWS_ACCESS_KEY_ID": s3.ACCESS_KEY,
           "AWS_SECRET_ACCESS_KEY": s3.SECRET_KEY}
    env.pop("AWS_PROFILE", None)
    here = open_store(url, tmp_path, environ=env)
    mine = sha256_key(PHOTO)
    here.put(mine, PHOTO, "image/jpeg")
    script = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from storage.objects import store_from_env, sha256_key
        store = store_from_env(Path({str(tmp_path)!r}))
        assert store.get({mine!r}) == bytes(range(256)) * 4096
        data = "另一进程上传".encode()
        store.put(sha256_key(data), data, "text/plain")
        print(sha256_key(data))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    theirs = done.stdout.strip()
    assert here.get(theirs) == "另一进程上传".encode()


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_server_that_cannot_start_fails_in_ci_and_skips_locally(monkeypatch, ci, outcome):
    def broken():
        raise RuntimeError("no loopback")

    monkeypatch.setattr(s3, "start", broken)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="S3 测试服务（moto，127.0.0.1）无法启动：no loopback"):
        next(s3.session_server())


@pytest.fixture
def unused_port():
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
