"""Signed checkpoints of the hash chains: proof, kept outside the database, of what the logs held.

The chains (storage/chain.py) show an edit, a removal or an insertion — unless someone rewrites a
chain from the changed row on and recomputes every later hash (no secret stops that). A
checkpoint records every chain's head (each candidate's event chain: its number of rows and last
hash; the audit chain's) at one moment, signed with an Ed25519 key that is not in the database.
`check` later verifies the signature with the public key and that each chain as it is now still
passes through the checkpointed head: a rewritten-and-rehashed history no longer does.

File: one JSON document — the body (format, time, counts, heads, `digest` = SHA-256 over the
sorted heads, the key's id) and `signature` = Ed25519 over the body's canonical JSON.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import refuse
from services.app import App
from services.integrity.verify import check_audit_chain, event_chain_problem, event_chains
from storage.chain import canonical_json

FORMAT = "partyflow-checkpoint/1"
KEY_ENV = "PARTYFLOW_CHECKPOINT_KEY"
PUBLIC_KEY_ENV = "PARTYFLOW_CHECKPOINT_PUBLIC_KEY"


# ------------------------------------------------------------------------------ keys
def public_path_for(private: Path) -> Path:
    return private.with_name(private.name + ".pub")


def keygen(path: Path) -> tuple[Path, Path]:
    """A new Ed25519 key pair: `path` (private, PEM, readable by its owner only) and `path`.pub."""
    pub = public_path_for(path)
    for p in (path, pub):
        if p.exists():
            raise refuse("checkpoint.key_exists", f"密钥文件 {p} 已存在，不会覆盖；如需更换密钥，请先移走旧文件")
    if not path.parent.is_dir():
        raise refuse("checkpoint.key_dir", f"目录 {path.parent} 不存在")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem)
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, pub


def private_key_path(given: str | Path | None) -> Path:
    text = str(given) if given else os.environ.get(KEY_ENV, "").strip()
    if not text:
        raise refuse("checkpoint.no_key", f"未指定签名私钥：请用 --key 指定，或设置环境变量 {KEY_ENV}"
                                          "（先用 partyflow checkpoint keygen 生成，保存在数据库以外）")
    return Path(text).expanduser()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = _load(path, private=True)
    if not isinstance(key, Ed25519PrivateKey):
        raise refuse("checkpoint.key_type", f"{path} 不是 Ed25519 私钥")
    return key


def load_public_key(given: str | Path | None) -> Ed25519PublicKey:
    """The key a checkpoint is checked with: `given`, else $PARTYFLOW_CHECKPOINT_PUBLIC_KEY, else
    the .pub beside $PARTYFLOW_CHECKPOINT_KEY, else that private key's public half."""
    text = str(given) if given else os.environ.get(PUBLIC_KEY_ENV, "").strip()
    if not text:
        private = os.environ.get(KEY_ENV, "").strip()
        if not private:
            raise refuse("checkpoint.no_public_key", f"未指定核验公钥：请用 --public-key 指定，或设置环境变量 "
                                                     f"{PUBLIC_KEY_ENV}（或 {KEY_ENV}）")
        pub = public_path_for(Path(private).expanduser())
        text = str(pub) if pub.exists() else private
    key = _load(Path(text).expanduser(), private=None)
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise refuse("checkpoint.key_type", f"{text} 不是 Ed25519 公钥")
    return key


def _load(path: Path, *, private: bool | None):
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise refuse("checkpoint.key_missing", f"找不到密钥文件 {path}") from None
    except OSError as e:
        raise refuse("checkpoint.key_unreadable", f"无法读取密钥文件 {path}：{e.strerror}") from None
    try:
        if private is not False and b"PRIVATE KEY" in data:
            return serialization.load_pem_private_key(data, password=None)
        if private is not True:
            return serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        pass
    raise refuse("checkpoint.key_invalid", f"{path} 不是有效的密钥文件（应为 partyflow checkpoint keygen 生成的 PEM 文件）")


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# ------------------------------------------------------------------------------ export
def _digest(heads: list[list], audit_rows: int, audit_head: str | None) -> str:
    return hashlib.sha256(canonical_json({"events": heads, "audit": [audit_rows, audit_head]})).hexdigest()


def export(app: App, out: Path, key: str | Path | None = None) -> dict[str, Any]:
    """Check every chain, then write the signed heads to `out` (refused while a chain is broken:
    a checkpoint must not vouch for a tampered log). An existing file is never overwritten: an old
    checkpoint is the evidence that catches a later rewrite."""
    if out.exists():
        raise refuse("checkpoint.exists", f"文件 {out} 已存在，不会覆盖（旧的检查点是日后核对的凭据）；请换一个文件名")
    signer = load_private_key(private_key_path(key))
    heads: list[list] = []
    events = 0
    with app.uow(read_only=True) as uow:
        for cid, rows, hashes, brk in event_chains(uow):
            if brk is not None:
                raise refuse("checkpoint.broken", f"候选人 {cid} 的办理记录哈希链在{brk.label}处断开，不能签发检查点；"
                                                  "请先运行 partyflow verify 查明")
            heads.append([cid, len(rows), hashes[-1]])
            events += len(rows)
        audit = check_audit_chain(uow)
    if audit.problems:
        raise refuse("checkpoint.broken", f"{audit.problems[0]['problem']}，不能签发检查点；请先运行 partyflow verify 查明")
    body = {
        "format": FORMAT,
        "created_at": app.utcnow().replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        "candidates": len(heads),
        "events": events,
        "audit_rows": audit.rows,
        "audit_head": audit.last,
        "heads": heads,
        "digest": _digest(heads, audit.rows, audit.last),
        "key_id": key_id(signer.public_key()),
    }
    signature = signer.sign(canonical_json(body))
    doc = {**body, "signature": base64.b64encode(signature).decode()}
    try:
        with open(out, "xb") as f:  # exclusive: never replaces a checkpoint that appeared meanwhile
            f.write(canonical_json(doc))
    except FileExistsError:
        raise refuse("checkpoint.exists", f"文件 {out} 已存在，不会覆盖（旧的检查点是日后核对的凭据）；请换一个文件名") from None
    except OSError as e:
        out.unlink(missing_ok=True)
        raise refuse("checkpoint.write", f"无法写入 {out}：{e.strerror}") from None
    return {k: body[k] for k in ("created_at", "candidates", "events", "audit_rows", "digest", "key_id")} | {
        "file": str(out)}


# ------------------------------------------------------------------------------ check
@dataclass
class CheckReport:
    created_at: str = ""
    candidates: int = 0
    events: int = 0
    audit_rows: int = 0
    digest: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "created_at": self.created_at, "candidates": self.candidates, "events": self.events,
                "audit_rows": self.audit_rows, "digest": self.digest, "problems": self.problems}


def read_checkpoint(path: Path, public: Ed25519PublicKey) -> dict[str, Any]:
    """The checkpoint's body, after its signature is verified (refused otherwise)."""
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise refuse("checkpoint.missing", f"找不到检查点文件 {path}") from None
    except (OSError, ValueError):
        raise refuse("checkpoint.invalid", f"{path} 不是有效的检查点文件") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("signature"), str):
        raise refuse("checkpoint.invalid", f"{path} 不是有效的检查点文件")
    body = {k: v for k, v in doc.items() if k != "signature"}
    try:
        public.verify(base64.b64decode(doc["signature"], validate=True), canonical_json(body))
    except (InvalidSignature, ValueError):
        raise refuse("checkpoint.signature", f"检查点文件 {path} 的签名无效：文件被改动过，或不是用这把密钥签发的"
                                             f"（文件所记密钥 {body.get('key_id', '未知')}，核验用的密钥 {key_id(public)}）") from None
    heads = body.get("heads")
    if not isinstance(heads, list) or body.get("digest") != _digest(heads, body.get("audit_rows"),
                                                                    body.get("audit_head")):
        raise refuse("checkpoint.invalid", f"{path} 的内容与其摘要不符")
    return body


def check(app: App, path: Path, public_key: str | Path | None = None) -> CheckReport:
    """Verify the checkpoint's signature, then that every chain still passes through its head."""
    body = read_checkpoint(path, load_public_key(public_key))
    report = CheckReport(created_at=body["created_at"], candidates=body["candidates"], events=body["events"],
                         audit_rows=body["audit_rows"], digest=body["digest"])
    want = {cid: (rows, head) for cid, rows, head in body["heads"]}
    problems = report.problems
    with app.uow(read_only=True) as uow:
        for cid, rows, hashes, brk in event_chains(uow):
            if brk is not None:
                problems.append({"candidate_id": cid, **event_chain_problem(brk)})
            if cid not in want:
                continue
            n, head = want.pop(cid)
            if len(rows) < n:
                problems.append({"candidate_id": cid, "problem": f"检查点时有 {n} 条办理记录，现只有 {len(rows)} 条：记录被删除"})
            elif hashes[n - 1] != head:
                problems.append({"candidate_id": cid, "problem": f"办理记录与检查点不符：检查点时的前 {n} 条记录"
                                                                 f"（至第 {rows[n - 1].seq} 条）被改写"})
        for cid, (n, _) in sorted(want.items()):
            problems.append({"candidate_id": cid, "problem": f"检查点时的 {n} 条办理记录现已全部不存在"
                                                             "（如系撤销台账导入，请核对审计日志中的撤销记录）"})
        audit = check_audit_chain(uow, mark=body["audit_rows"] or None)
    problems.extend(audit.problems)
    if audit.rows < body["audit_rows"]:
        problems.append({"problem": f"审计日志在检查点时有 {body['audit_rows']} 条记录，现只有 {audit.rows} 条：记录被删除"})
    elif body["audit_rows"] and audit.marked != body["audit_head"]:
        problems.append({"problem": f"审计日志与检查点不符：检查点时的前 {body['audit_rows']} 条记录被改写"})
    return report
