"""`verify`: prove that every stored projection equals the replay of the event log, and that the
event and audit logs' hash chains are unbroken (storage/chain.py; a break names its first row).

The candidate snapshot (stage, state JSON, branch, definition key, application date), the
deadline rows, the milestone row (the dates reports count, and the person's profile and birth
date copied onto it) and the person's party status (for their latest candidacy) are derived data; the
log is the truth. Verify streams the log, the candidates, the deadlines and the people's status
once each in candidate order — memory stays flat in the number of candidates — replays each
candidate with the engine and compares. It runs in a read-only unit of work, so on SQLite it never
holds the write lock while it streams.
"""
from __future__ import annotations

import time
from datetime import date
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from engine import branch_history, deadlines, effective_events, milestones, process_for, replay
from services.app import App
from services.casework.candidates import party_status_for, to_event
from storage.chain import audit_hash, event_row_hash


# ------------------------------------------------------------------------------ hash chains
CHANGED, DELETED, INSERTED = "changed", "deleted", "inserted"
_RECENT = 4096  # how far back a link is looked for to tell an insertion from a deletion


@dataclass(frozen=True)
class Break:
    """The first row where a chain stops lining up: `number` is what the caller numbers its rows
    by (an event's seq; an audit row's place in the chain), `label` what names it to a person
    (第 3 条记录), `kind` what was done there."""
    number: int
    label: str
    kind: str


_KIND_WORDS = {CHANGED: "内容被改动", DELETED: "之前的记录被删除", INSERTED: "是被插入的"}


class ChainWalk:
    """Walks one chain row by row (streamed: memory is bounded) and keeps its first break.

    A row whose hash does not match its content changed (its link is fine); a row whose link
    does not reach the row before it follows a deletion, unless the link reaches an earlier row
    (the rows in between were inserted) or the row's own hash is bad and the next row links past
    it (this row was inserted)."""

    __slots__ = ("_labels", "_pending", "_recent", "first_break", "last", "rows")

    def __init__(self) -> None:
        self.rows = 0
        self.last: str | None = None  # stored hash of the last row
        self.first_break: Break | None = None
        self._recent: dict[str | None, int] = {None: 0}  # hash -> position (0: before the first row)
        self._labels: dict[int, tuple[int, str]] = {}  # position -> (number, label)
        self._pending: tuple[tuple[int, str], str | None] | None = None  # a row bad in content and link

    def add(self, number: int, label: str, prev: str | None, stored: str | None, computed: str) -> None:
        self.rows += 1
        p = self.rows
        if self.first_break is None:
            self._check(p, (number, label), prev, stored, computed)
        self.last = stored
        if self.first_break is None:
            self._recent[stored] = p
            self._labels[p] = (number, label)
            if len(self._recent) > _RECENT:  # forget the oldest (dicts keep insertion order)
                old = next(iter(self._recent))
                self._labels.pop(self._recent.pop(old), None)

    def _check(self, p: int, name: tuple[int, str], prev: str | None, stored: str | None, computed: str) -> None:
        if self._pending is not None:
            pending, before = self._pending
            self._pending = None
            self.first_break = Break(*pending, INSERTED if prev == before else CHANGED)
            return
        content_ok = stored == computed
        link_ok = prev == self.last
        if content_ok and link_ok:
            return
        if link_ok:
            self.first_break = Break(*name, CHANGED)
            return
        j = self._recent.get(prev)
        if j is not None and j < p - 1:  # links past the rows after j: those were slipped in
            self.first_break = Break(*self._labels.get(j + 1, name), INSERTED)
        elif content_ok:
            self.first_break = Break(*name, DELETED)
        else:  # inserted here, or changed (link column included): the next row tells
            self._pending = (name, self.last)

    def finish(self) -> Break | None:
        if self._pending is not None:
            name, _ = self._pending
            self._pending = None
            self.first_break = Break(*name, CHANGED)
        return self.first_break


def event_chain_problem(brk: Break) -> dict[str, Any]:
    """A candidate's broken event chain as a verify mismatch (Chinese)."""
    return {"chain": "event", "kind": brk.kind, "position": brk.number,
            "problem": f"办理记录的哈希链在{brk.label}处断开：该记录{_KIND_WORDS[brk.kind]}"}


def _audit_problem(kind: str, position: int, text: str) -> dict[str, Any]:
    return {"chain": "audit", "kind": kind, "position": position, "problem": text}


def event_chains(uow, batch: int = 2000) -> Iterator[tuple[int, list, list[str | None], Break | None]]:
    """(candidate id, its event rows, their stored hashes, the chain's first break) per candidate,
    in candidate order, streamed."""
    for cid, links in groupby(uow.events.iter_chains(batch=batch), key=lambda x: x[0].candidate_id):
        walk = ChainWalk()
        rows, hashes = [], []
        seq_of: dict[int, int] = {}
        for r, prev, stored in links:
            walk.add(r.seq, f"第 {r.seq} 条记录", prev, stored, event_row_hash(prev, r, seq_of))
            seq_of[r.id] = r.seq
            rows.append(r)
            hashes.append(stored)
        yield cid, rows, hashes, walk.finish()


@dataclass
class AuditChain:
    problems: list[dict[str, Any]]
    rows: int
    last: str | None  # stored hash of the last row
    marked: str | None = None  # stored hash of the row at the position asked for (`mark`)


def check_audit_chain(uow, mark: int | None = None) -> AuditChain:
    """The audit log's chain checked; its head row (`chain_head`) is read first, so rows committed
    meanwhile only extend what it says. `mark`: also keep the hash of the row at that position."""
    head = uow.audit.head_unlocked()
    head_rows, head_hash = head or (0, None)
    walk = ChainWalk()
    at_head = marked = None
    for row, prev, stored in uow.audit.iter_chain():
        computed = audit_hash(prev, row.at, row.user_id, row.username, row.action, row.target_kind, row.target_id,
                              row.detail)
        walk.add(walk.rows + 1, f"第 {walk.rows + 1} 条记录（编号 {row.id}）", prev, stored, computed)
        if walk.rows == head_rows:
            at_head = stored
        if walk.rows == mark:
            marked = stored
    problems = []
    brk = walk.finish()
    if head is None and walk.rows:
        problems.append(_audit_problem(DELETED, walk.rows, "审计日志的链尾登记缺失（最后的记录可能被删除）"))
    elif brk is not None:
        problems.append(_audit_problem(brk.kind, brk.number,
                                       f"审计日志的哈希链在{brk.label}处断开：该记录{_KIND_WORDS[brk.kind]}"))
    elif walk.rows > head_rows and (uow.audit.head_unlocked() or (0, None))[0] < walk.rows:
        # rows past the head: committed while we read (they moved the head too), or added by hand
        problems.append(_audit_problem(INSERTED, head_rows + 1, f"审计日志第 {head_rows + 1} 条记录起是被插入的"
                                       f"（链尾登记为 {head_rows} 条，现有 {walk.rows} 条）"))
    elif walk.rows < head_rows:
        n = head_rows - walk.rows
        problems.append(_audit_problem(DELETED, walk.rows + 1, f"审计日志最后 {n} 条记录被删除"
                                       f"（应有 {head_rows} 条，现有 {walk.rows} 条）"))
    elif walk.rows >= head_rows and at_head != head_hash:
        problems.append(_audit_problem(CHANGED, head_rows, f"审计日志第 {head_rows} 条记录与登记的链尾不符"
                                       "（记录被改动、替换或链尾登记被改动）"))
    return AuditChain(problems, walk.rows, walk.last, marked)


@dataclass
class VerifyReport:
    candidates: int = 0
    events: int = 0
    audit_rows: int = 0
    seconds: float = 0.0
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "candidates": self.candidates,
            "events": self.events,
            "audit_rows": self.audit_rows,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second),
            "mismatches": self.mismatches,
        }


def _deadline_set(rows) -> set[tuple]:
    return {(r.step, r.kind, r.due_on, bool(r.provisional), r.article or "") for r in rows}


def _json_value(value: Any) -> Any:
    """A mismatch detail as `--json` documents values: dates as ISO text, None as null."""
    return value.isoformat() if isinstance(value, date) else value


def _deadline_json(keys) -> list[dict[str, Any]]:
    return [{"step": step, "kind": kind, "due_on": due.isoformat(), "provisional": provisional, "article": article}
            for step, kind, due, provisional, article in sorted(keys)]


def _tenure_json(tenures) -> list[dict[str, Any]]:
    return [{"branch_id": t.branch_id, "held_from": _json_value(t.held_from), "held_until": _json_value(t.held_until)}
            for t in tenures]


class _Merge:
    """Rows of a stream ordered by candidate id, taken one candidate at a time."""

    def __init__(self, rows, key):
        self._rows, self._key = rows, key
        self._head = next(rows, None)

    def take(self, cid: int) -> list:
        """The rows of candidate `cid` (rows of smaller ids are skipped: they belong to none)."""
        out = []
        while self._head is not None and self._key(self._head) <= cid:
            if self._key(self._head) == cid:
                out.append(self._head)
            self._head = next(self._rows, None)
        return out


def verify(app: App, *, check_deadlines: bool = True, batch: int = 2000) -> VerifyReport:
    report = VerifyReport()
    started = time.perf_counter()
    cal = app.calendar
    with app.uow(read_only=True) as uow:
        candidates = uow.candidates.iter_all(batch=batch)
        current = next(candidates, None)
        statuses = _Merge(uow.candidates.iter_latest_person_status(batch=batch), key=lambda r: r[0])
        stored_milestones = _Merge(uow.milestones.iter_all(batch=batch), key=lambda r: r["candidate_id"])
        stored_tenures = _Merge(uow.tenures.iter_all(), key=lambda r: r[0])
        stored_deadlines = _Merge(uow.deadlines.iter_all(batch=batch), key=lambda r: r.candidate_id) \
            if check_deadlines else None
        for cid, rows, _, brk in event_chains(uow, batch):
            if brk is not None:
                report.mismatches.append({"candidate_id": cid, **event_chain_problem(brk)})
            seq_of = {r.id: r.seq for r in rows}
            report.events += len(rows)
            while current is not None and current.id < cid:
                report.mismatches.append({"candidate_id": current.id, "problem": "候选人没有任何事件记录"})
                current = next(candidates, None)
            if current is None or current.id != cid:
                report.mismatches.append({"candidate_id": cid, "problem": "事件记录对应的候选人不存在"})
                continue
            row, current = current, next(candidates, None)
            report.candidates += 1
            try:
                events = [to_event(r, seq_of) for r in rows]
                state = replay(events, app.definition, cal)
            except Exception as exc:  # a log the engine cannot replay is itself a finding
                report.mismatches.append({"candidate_id": cid, "problem": f"事件记录无法重放：{exc}"})
                continue
            stored = row.state
            have_rows = stored_deadlines.take(cid) if check_deadlines else ()
            person_status = statuses.take(cid)
            if (state.to_dict() != stored or state.stage != row.stage or state.branch_id != row.branch_id
                    or state.definition_key != row.definition_key
                    or (state.applied_on is not None and state.applied_on != row.applied_on)):
                report.mismatches.append(
                    {"candidate_id": cid, "problem": "当前状态与事件记录重放结果不一致", "stored": stored, "replayed": state.to_dict(),
                     "applied_on": row.applied_on.isoformat()}
                )
                continue
            have_m = stored_milestones.take(cid)
            # only a log with a transfer has a branch history (a correction keeps its event's kind)
            past, since = branch_history(effective_events(events)) if any(
                e.kind == "transfer" for e in events) else ([], None)
            want_m = {"candidate_id": cid, "person_id": row.person_id,
                      **milestones(state, app.definition(state.definition_key)).as_row(), "held_from": since}
            if not have_m or have_m[0] != want_m:
                report.mismatches.append(
                    {"candidate_id": cid, "problem": "里程碑日期（统计用）与事件记录重放结果不一致",
                     "stored": {k: _json_value(v) for k, v in (have_m[0] if have_m else {}).items()},
                     "replayed": {k: _json_value(v) for k, v in want_m.items()}}
                )
            have_t = [t for _, t in stored_tenures.take(cid)]
            if have_t != past:
                report.mismatches.append(
                    {"candidate_id": cid, "problem": "转接前所在党支部的记录（统计用）与事件记录重放结果不一致",
                     "stored": _tenure_json(have_t), "replayed": _tenure_json(past)})
            want_status = party_status_for(state, app.definition(state.definition_key))
            if person_status and person_status[0][1] != want_status:
                report.mismatches.append(
                    {"candidate_id": cid, "person_id": row.person_id, "problem": "人员政治面貌与其最近一次入党申请的阶段不一致",
                     "stored": person_status[0][1], "replayed": want_status}
                )
            if check_deadlines:
                want = _deadline_set(deadlines(process_for(app.definition(state.definition_key)), state, cal))
                have = _deadline_set(have_rows)
                wrong_branch = [r.step for r in have_rows if r.branch_id != state.branch_id]
                if wrong_branch:  # reports and scans scope deadlines by this copy of the branch
                    report.mismatches.append(
                        {"candidate_id": cid, "problem": "到期日表中的党支部与候选人所在党支部不一致", "steps": wrong_branch})
                elif want != have:
                    report.mismatches.append(
                        {"candidate_id": cid, "problem": "到期日表与计算结果不一致",
                         "missing": _deadline_json(want - have), "extra": _deadline_json(have - want)}
                    )
        while current is not None:
            report.mismatches.append({"candidate_id": current.id, "problem": "候选人没有任何事件记录"})
            current = next(candidates, None)
        for cid, what in uow.milestones.iter_person_mismatches(batch=batch):
            report.mismatches.append({"candidate_id": cid, "problem": f"里程碑（统计用）中的{what}与人员信息不一致"})
        audit = check_audit_chain(uow)
        report.audit_rows = audit.rows
        report.mismatches.extend(audit.problems)
    report.seconds = time.perf_counter() - started
    return report
