"""An uploaded ledger kept between its preview and its confirmation.

The file is stored under a random token in a private folder (`PARTYFLOW_UPLOAD_DIR`, default
the system temp folder), with who uploaded it and for which organisation; only that user sees
it again, and it is deleted on confirmation or after a day. Its type is decided by its content,
never by its name: a zip (an .xlsx: the ledger reader then checks it is a workbook and not a zip
bomb), an old Excel/OLE file (refused by the reader with its own advice), or text in UTF-8 or GB
18030 with no NUL byte (CSV, as Excel and WPS save it) — converted here to a one-sheet .xlsx so
that exactly the reader, the checks and the plan of `partyflow ledger import` apply to it.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from engine.errors import refuse
from reports.ledger.reader import SHEET_NAME, Limits
from services.casework.user_commands import NotFoundError

MAX_UPLOAD_BYTES = 20 * 2**20  # a ledger of 100k rows is ~12 MB as .xlsx; the page says the limit
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
_NAME_CHARS = re.compile(r"[^\w\u4e00-\u9fff（）()．.\- ]+")


class UploadTooLarge(Exception):
    """The upload is over MAX_UPLOAD_BYTES (the page answers 413 with the limit in Chinese)."""

    message = f"文件过大：单个台账文件不能超过 {MAX_UPLOAD_BYTES // 2**20} MB，请拆分后分批导入"


@dataclass(frozen=True)
class Upload:
    token: str
    user_id: int
    org_id: int
    name: str  # the file's name as the user had it (shown, and recorded in the import)
    kind: str  # "xlsx" or "csv"
    path: Path  # the .xlsx the reader opens

    @property
    def file_name(self) -> str:
        return self.path.name


def upload_root() -> Path:
    root = Path(os.environ.get("PARTYFLOW_UPLOAD_DIR") or Path(tempfile.gettempdir()) / "partyflow-uploads")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def _safe_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = _NAME_CHARS.sub("_", base)[:80].strip(" .")
    return base or "台账.xlsx"


def sniff(head: bytes) -> str:
    """"xlsx" (a zip or an old OLE Excel file: the reader words the refusal), "csv", else refused."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xlsx"
    if b"\x00" not in head and _decode(head, partial=True) is not None:
        return "csv"
    raise refuse("import.file.type", "文件既不是 Excel 工作簿（.xlsx），也不是 CSV 表格；请在 Excel/WPS 中另存为 .xlsx 后再上传")


def _decode(data: bytes, *, partial: bool = False) -> str | None:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError as e:
            if partial and enc == "utf-8-sig" and e.start >= len(data) - 3:  # a character cut at the end
                return data[: e.start].decode(enc)
    return None


def csv_to_xlsx(raw: bytes, out: Path, limits: Limits | None = None) -> None:
    """One sheet named 发展党员工作台账 holding the CSV's cells as text (dates are read from text by
    the same rules as typed cells: 2018-03-10, 2018/3/10, 2018年3月10日 …)."""
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    limits = limits or Limits()
    text = _decode(raw)
    if text is None:
        raise refuse("import.file.encoding", "CSV 文件的文字编码无法识别，请另存为 UTF-8 编码的 CSV 或 .xlsx 后再上传")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_NAME)
    try:
        for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
            if n > limits.max_rows + 10:
                raise refuse("import.file.rows", f"台账超过单次导入上限 {limits.max_rows} 行，请拆分后分批导入")
            if len(row) > limits.max_columns:
                raise refuse("import.file.columns", f"CSV 第 {n} 行有 {len(row)} 列，超过上限 {limits.max_columns} 列")
            try:
                ws.append([c.strip() or None for c in row])
            except IllegalCharacterError:
                raise refuse("import.file.chars", f"CSV 第 {n} 行含有不可见的控制字符，请在 Excel/WPS 中检查该行"
                             "或另存为 .xlsx 后再上传") from None
    except csv.Error:
        raise refuse("import.file.csv", "CSV 文件格式有误（引号或分隔符不成对），请在 Excel/WPS 中另存为 .xlsx 后再上传") from None
    wb.save(out)


def _cleanup(root: Path, now: float) -> None:
    for d in root.iterdir():
        try:
            if d.is_dir() and now - d.stat().st_mtime > KEEP_SECONDS:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def store_upload(stream: BinaryIO, name: str, *, user_id: int, org_id: int) -> Upload:
    """Keep an uploaded file (refused if too large or of another type); returns its Upload."""
    root = upload_root()
    _cleanup(root, time.time())
    raw = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge()
    if not raw:
        raise refuse("import.file.empty", "上传的文件是空的，请选择台账文件")
    kind = sniff(raw[:65536])
    token = secrets.token_urlsafe(16)
    folder = root / token
    folder.mkdir(mode=0o700)
    shown = _safe_name(name)
    stem = shown.rsplit(".", 1)[0] if "." in shown else shown
    path = folder / f"{stem}.xlsx"
    try:
        if kind == "csv":
            csv_to_xlsx(raw, path)
        else:
            path.write_bytes(raw)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    (folder / "meta.json").write_text(json.dumps({"user_id": user_id, "org_id": org_id, "name": shown, "kind": kind}),
                                      encoding="utf-8")
    return Upload(token, user_id, org_id, shown, kind, path)


def load_upload(token: str, user_id: int) -> Upload:
    """The user's own kept upload, else NotFoundError (expired, confirmed, someone else's)."""
    gone = NotFoundError("找不到这次上传的文件（可能已导入、已超过一天或不是你上传的），请重新上传")
    if not _TOKEN.fullmatch(token or ""):
        raise gone
    folder = upload_root() / token
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise gone from None
    if meta.get("user_id") != user_id:
        raise gone
    xlsx = [p for p in folder.iterdir() if p.suffix == ".xlsx"]
    if not xlsx:
        raise gone
    return Upload(token, user_id, int(meta["org_id"]), meta["name"], meta["kind"], xlsx[0])


def discard(upload: Upload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)
