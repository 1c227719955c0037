"""Assemble a `Report`: the counting (query.py), the display categories (categories.py), the
pipeline's health (health.py), the branches without development (dormant.py) and the plan
(plan.py), with the notes that say what each figure counts and by which article.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, String, and_, bindparam, cast, or_, select
from sqlalchemy.engine import Connection

from storage.tables import candidate, event, organisation

from .categories import breakdowns
from .dormant import dormant_branches
from .health import RuleOf, health
from .model import MEASURES, Measure, OrgRef, Period, PlanLine, Report
from .period import next_period, year_to_date
from .plan import plan_lines
from .query import narrowest_scope, count

_o = organisation.c

ARTICLE_NOTES = (
    "发展党员：按上级党委审批（接收为预备党员）的日期统计（细则第二十四条）；预备期自支部大会通过之日起计算（第三十二条）。",
    "预备党员转正：按上级党委审批转正的日期统计（第三十四条）。",
    "延长预备期、取消预备党员资格：按决定生效的日期统计——须经上级党委批准的（党章第七条），按上级党委批准的日期；"
    "按第1版规则办理、支部大会决议即生效的，按支部大会作出决议的日期（第三十二条）。",
    "收到入党申请：按递交入党申请书的日期统计（第五条）。",
    "培养入党积极分子：统计期末已确定为入党积极分子（第八条）、尚未确定为发展对象且未退出的人数；"
    "发展对象：统计期末已确定为发展对象（第十三条）、尚未被批准入党且未退出的人数。",
    "年龄：发展党员按被批准入党（上级党委审批）之日的年龄计算，其他各项按统计期末计算；"
    "分30岁及以下、31至35岁、36至40岁、41至45岁、46至50岁、51至55岁、56至60岁、61岁及以上，"
    "35岁及以下含30岁及以下、31至35岁；学历按填写内容归类，高中及以上含研究生、大学本科、大专、高中/中专，"
    "大专及以上含研究生、大学本科、大专；职业按填写内容归入工人、农牧渔民、专业技术人员、管理人员、"
    "党政机关工作人员、学生、离退休人员、其他（村干部计入农牧渔民）；"
    "类别（致富带头人、村干部等）一人可有多项，各类别之和可能大于总数；"
    "汇报段落中归为同一提法的类别（如村干部、干部党员均称干部党员）每人只计一次。",
    "党支部：各项按发生时人员所在的党支部统计——本系统内转接组织关系的（细则第十二条），转接前发生的计入原党支部，"
    "转接之日及以后发生的计入转入党支部；期末人数计入统计期末所在的党支部。",
    "逾期办理：本期内办理时已超过规定期限的环节（以更正后的记录为准），按环节及其期限规定的条款分项统计。",
)





_parent = organisation.alias("parent")


@lru_cache(maxsize=2)
def _branches_statement(every: bool):
    """The branches by id (`:ids`, expanded when it runs) — or every branch — with the name of the
    organisation each sits under: built once."""
    where = _o.level == "branch" if every else _o.id.in_(bindparam("ids", expanding=True))
    return (select(_o.id, _o.name, _o.level, _o.parent_id, _parent.c.name.label("parent_name"))
            .select_from(organisation.outerjoin(_parent, _parent.c.id == _o.parent_id)).where(where))


def branches_in_scope(conn: Connection, branch_ids: Iterable[int] | None) -> list[OrgRef]:
    """The branches with their names, in display order (township, then creation order); a name
    that two branches share is prefixed with the name of the organisation each sits under.
    `branch_ids` None: every branch (a list of a whole deployment's ids costs more to send than
    the rows it reads)."""
    ids = None if branch_ids is None else list(branch_ids)
    if ids is not None and not ids:
        return []
    rows = conn.execute(_branches_statement(ids is None), {} if ids is None else {"ids": ids}).all()
    rows = [tuple(r) for r in rows]  # (id, name, level, parent id, parent name): a county's 27,778 rows
    rows.sort(key=lambda r: (r[3] or 0, r[0]))
    names = Counter(r[1] for r in rows)
    return [OrgRef(oid, f"{pname or ''}{name}" if names[name] > 1 else name, level, parent, pname or "")
            for oid, name, level, parent, pname in rows]


def dormant_note(day: date) -> str:
    return (f"两年以上未发展党员的党支部：截至{day.year}年{day.month}月{day.day}日，最近一次发展党员（上级党委审批，第二十四条）"
            "在两年前的当日或更早（即此前整两年内未发展党员；“以上”含本数），或无发展党员记录的党支部；"
            "满三年的标为“3年以上”。年数按日历年计算，按党支部当前所属人员统计。")


# A pending resolution's decisions that are not a conversion (cpc_2014@2 / cpc_2026@2 step 23:
# engine/resolution.py); a pending conversion is the ordinary open 转正审批.
WAITING_DECISIONS = frozenset({"extend", "cancel"})


def waiting_resolutions(conn: Connection, branch_ids: Sequence[int] | None) -> int:
    """Extensions and cancellations resolved by a branch meeting and waiting for the higher
    committee now (the candidates' current state: `pending`; `branch_ids` None: every branch).
    Only probationary members with a pending resolution are decoded."""
    if branch_ids is not None and not branch_ids:
        return 0
    c = candidate.c
    where = [c.stage == "probationary", cast(c.state, String).like('%"pending"%')]
    chunks = [None] if branch_ids is None else [list(branch_ids)[i:i + 900] for i in range(0, len(branch_ids), 900)]
    n = 0
    for chunk in chunks:
        rows = conn.execute(select(c.state).where(*where, *([c.branch_id.in_(chunk)] if chunk is not None else [])))
        for (state,) in rows:
            state = json.loads(state) if isinstance(state, str) else state
            if ((state or {}).get("pending") or {}).get("decision") in WAITING_DECISIONS:
                n += 1
    return n


@lru_cache(maxsize=8)
def _resolving_statement(resolving: tuple[str, ...], scoped: bool):
    """The candidates with a resolving sitting or a migration by `:as_of` (in `:bids`): built once."""
    e, c = event.c, candidate.c
    return select(e.candidate_id).join(candidate, c.id == e.candidate_id).where(
        e.occurred_on <= bindparam("as_of", type_=Date()),
        or_(e.kind == "migrate", and_(e.kind == "step", e.step.in_(resolving))),
        *([c.branch_id.in_(bindparam("bids", expanding=True))] if scoped else []))


def waiting_resolutions_on(conn: Connection, branch_ids: Sequence[int] | None, as_of: date,
                           definitions: Iterable[Any]) -> int:
    """Extensions and cancellations waiting for the higher committee on `as_of`, from the log: a
    branch meeting's adopted resolution dated on or before `as_of` (or one a migration carried over
    to wait) with no approval or refusal dated on or before `as_of` after it. Only candidates with a
    resolving sitting or a migration by then are read (corrections and voids applied)."""
    from engine.apply import effective_events, outcome_of
    from engine.process import process_for
    from engine.state import Event

    if branch_ids is not None and not branch_ids:
        return 0
    defs = {d.key: d for d in definitions}
    resolving = {s for d in defs.values() for s in process_for(d).resolution_for.values()}
    e = event.c
    picked = _resolving_statement(tuple(sorted(resolving)), branch_ids is not None)
    chunks = [None] if branch_ids is None else [list(branch_ids)[i:i + 900] for i in range(0, len(branch_ids), 900)]
    ids: set[int] = set()
    for chunk in chunks:
        ids.update(conn.execute(picked, {"as_of": as_of, **({"bids": chunk} if chunk is not None else {})}).scalars())
    n = 0
    for cid in sorted(ids):
        rows = conn.execute(select(event).where(e.candidate_id == cid).order_by(e.seq)).all()
        seq_of = {r.id: r.seq for r in rows}
        pending = None
        log = [Event(r.seq, r.kind, r.occurred_on, r.recorded_at, r.actor, r.step, r.evidence or {},
                     seq_of.get(r.supersedes) if r.supersedes else None, r.reason, r.late, r.definition_key)
               for r in rows]
        for ev in effective_events(log):
            defn = defs.get(ev.definition_key)
            if ev.occurred_on > as_of or defn is None:
                continue
            if ev.kind == "migrate" and (ev.evidence.get("pending") or {}).get("decision"):
                pending = ev.evidence["pending"]["decision"]
            elif ev.kind == "step" and ev.step in process_for(defn).resolution_for:
                pending = None  # approved or refused: decided
            elif ev.kind == "step" and ev.step in resolving and defn.has_step(ev.step):
                step = defn.step(ev.step)
                if step.outcome is not None and step.outcome.approved_by and outcome_of(step, ev.evidence)[1]:
                    pending = ev.evidence.get(step.outcome.field)
        n += pending in WAITING_DECISIONS
    return n


def build(conn: Connection, org: OrgRef, branch_ids: Sequence[int], period: Period, as_of: date, *,
          step_names: Mapping[str, str], plan: Mapping[str, Any] | None = None, limit: int = 50,
          rule_of: RuleOf | None = None, definitions: Iterable[Any] | None = None) -> Report:
    """The report of `org` (its branches `branch_ids`) for `period`, made on `as_of`.

    `plan`: {"admit_target": n, "targets": {...}} of the period's year, or None.
    `rule_of(definition_key, step)`: (number, name, article of the deadline rule) of a step, for
    the late steps counted per rule (services/reporting/period_report.py reads it from the definitions).
    `definitions`: the rule versions, to count the resolutions waiting on `as_of` from the log
    (without them: those waiting now, from the candidates' state).
    """
    if conn.dialect.name == "postgresql":
        # a county's grouping fits in memory (hash aggregation, no sort spilling to disk), and a
        # sub-second query gains nothing from JIT compilation (~50 ms); this transaction only
        conn.exec_driver_sql("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)")
    if org.parent_id is None:  # only a top organisation can hold every branch (else: the list is exact anyway)
        branch_ids = narrowest_scope(conn, branch_ids)
    branches = branches_in_scope(conn, branch_ids)
    names = {b.id: b.name for b in branches}
    order = [b.id for b in branches]
    raw = count(conn, branch_ids, period.start, period.end)
    rank = {b: i for i, b in enumerate(order)}
    measures = {k: Measure(k, raw[k]["total"], breakdowns(raw[k], names, order, branch_rank=rank)) for k in MEASURES}
    following = next_period(period)
    notes = list(ARTICLE_NOTES)
    # no development for two years, reckoned on the period's last day (the report day while it runs)
    dormant_on = min(period.end, as_of)
    notes.append(dormant_note(dormant_on))
    if as_of < period.end:
        notes.append(f"本期尚未结束：数字截至 {as_of.isoformat()}（入党积极分子、发展对象按期末口径统计时以当前记录为准）。")
    waiting = (waiting_resolutions(conn, branch_ids) if definitions is None
               else waiting_resolutions_on(conn, branch_ids, as_of, definitions))
    if waiting:
        notes.append(f"截至 {as_of.isoformat()}，待上级党委审批的延长/取消决议 {waiting} 项"
                     "（支部大会已作出延长预备期或取消预备党员资格的决议，上级党委批准后生效，党章第七条），未计入上述数字。")
    lines: tuple[PlanLine, ...] = ()
    if plan is not None:
        ytd = year_to_date(period)
        if ytd is not None:
            if ytd == period:
                actual = measures["admitted"]
            else:
                r = count(conn, branch_ids, ytd.start, ytd.end, ("admitted",))["admitted"]
                actual = Measure("admitted", r["total"], breakdowns(r, names, order, branch_rank=rank))
            lines = plan_lines(int(plan["admit_target"]), plan.get("targets") or {}, actual)
            if ytd != period:
                notes.append(f"计划完成情况：以{period.end.year}年全年计划对照{ytd.label}（年初至本期末）的实际发展数。")
            else:
                notes.append(f"计划完成情况：以{period.end.year}年全年计划对照本期实际发展数。")
    return Report(
        org=org, period=period, next_period=following, measures=measures,
        health=health(conn, branch_ids, period, following, as_of, step_names, limit, rule_of),
        plan=lines, branches=tuple(branches), notes=tuple(notes), as_of=as_of,
        dormant=dormant_branches(conn, branches, branch_ids, dormant_on), dormant_on=dormant_on,
    )
