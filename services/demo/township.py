"""A demo township walked through the process on a simulated clock.

Modelled on the seed report (xx乡/南川乡, 2018): 10 rural and 4 organ branches, members who can
mentor and sponsor, and a cohort of candidates who apply between 2015 and 2017. Every action goes
through the same use cases as the CLI, with the App's clock set to the simulated day, and the
engine decides every date: a step is scheduled at max(earliest date, a few days later) and, for
most candidates, before its due date. Some candidates take the exceptional paths.
"""
from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from engine import DomainError, outlook, process_for
from services.casework import candidates as uc
from services.accounts.access import step_side
from services.app import SHANGHAI, App
from services.demo.accounts import demo_actor
from services.demo.materials import file_step_materials
from services.demo.resolutions import record_step
from services.people.roll import roll_on
from services.demo.sample_evidence import sample_evidence, sample_vote

TOWNSHIP = ("nanchuan", "南川乡党委")
COUNTY = ("zhenyuan", "镇原县委组织部")
RURAL = ["贺丰村", "东王村", "沟卢村", "南川村", "西沟村", "高岭村", "杨庄村", "马渠村", "李塬村", "王岔村"]
ORGAN = ["乡机关", "乡中心学校", "乡卫生院", "乡农业服务中心"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "建国志强海燕秀英丽娟伟华明亮春梅晓东玉兰红霞国庆永刚桂芳文博军辉雪梅振华"
END = date(2018, 6, 30)  # the seed report's date


@dataclass(order=True)
class _Action:
    on: date
    order: int
    cid: int = field(compare=False)
    kind: str = field(compare=False)  # "step" or an exceptional action
    step: str = field(compare=False, default="")


@dataclass
class DemoLog:
    """What happened, for the printout: special paths, refused attempts, warnings."""

    lines: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    steps: int = 0
    files: int = 0  # 材料 put on record (services/demo/materials.py)
    with_files: bool = True

    def say(self, text: str) -> None:
        self.lines.append(text)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))


def build_township(app: App, rng: random.Random) -> dict:
    """County → township → 14 branches, each with six full members."""
    with app.uow() as uow:
        county = uow.orgs.add(code=COUNTY[0], name=COUNTY[1], level="county")
        town = uow.orgs.add(code=TOWNSHIP[0], name=TOWNSHIP[1], level="township", parent_id=county)
        branches = []
        for i, name in enumerate(RURAL):
            branches.append(uow.orgs.add(code=f"nc-r{i + 1:02d}", name=f"{name}党支部", level="branch", kind="rural", parent_id=town))
        for i, name in enumerate(ORGAN):
            branches.append(uow.orgs.add(code=f"nc-o{i + 1:02d}", name=f"{name}党支部", level="branch", kind="organ", parent_id=town))
        members = {}
        for b in branches:
            members[b] = [
                uow.people.add(
                    name=_name(rng), gender=rng.choice("男男女"), birth_date=date(1960 + rng.randrange(25), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                    party_status="full_member", branch_id=b, education="高中/中专",
                )
                for _ in range(6)
            ]
    return {"county": county, "township": town, "branches": branches, "members": members}


# Special paths: candidate index -> what happens to them.
SPECIAL = {
    0: "late_talk",
    1: "withdraw",
    2: "disqualify",
    3: "failed_vote",
    4: "extension",
    5: "transfer",
    6: "correction",
    7: "too_young",
    8: "cancel",
}


def run_demo(app: App, *, candidates: int = 36, seed: int = 2018, end: date = END,
             progress: Callable[[str], None] | None = None, materials: bool = True) -> dict:
    """Build the township, simulate until `end`, return ids and the log for the printout.

    With `materials`, the steps' required files are put on record as they are done (most of them)."""
    rng = random.Random(seed)
    town = build_township(app, rng)
    log = DemoLog(with_files=materials)
    sim = {"today": date(2015, 1, 5)}
    app.clock = lambda: datetime.combine(sim["today"], datetime.min.time().replace(hour=10), SHANGHAI)
    queue: list[_Action] = []
    counter = iter(range(10**9))
    info: dict[int, dict] = {}
    tags_pool = [["致富带头人"], ["致富带头人", "青年农民"], ["村(社区)干部"], ["干部党员"], ["外出务工/流动人员"], ["退役军人"], []]

    pending: set[tuple[int, str, str]] = set()

    def schedule(cid: int, on: date, kind: str = "step", step: str = "") -> None:
        if (cid, kind, step) in pending:
            return  # already planned
        pending.add((cid, kind, step))
        heapq.heappush(queue, _Action(on, next(counter), cid, kind, step))

    # Applications spread over 2015-01 .. 2017-06
    for i in range(candidates):
        branch = town["branches"][i % len(town["branches"])]
        special = SPECIAL.get(i)
        # the special paths apply early so their stories finish before the report date
        applied = date(2015, 1, 10) + timedelta(days=rng.randrange(0, 90 if special else 900))
        birth = date(1975 + rng.randrange(22), 1 + rng.randrange(12), 1 + rng.randrange(28))
        if special == "too_young":
            birth = applied.replace(year=applied.year - 18) + timedelta(days=20)
        kind = "organ" if branch in town["branches"][10:] else "rural"
        tags = rng.choice(tags_pool) if kind == "rural" else ["干部党员"]
        with app.uow() as uow:
            pid = uow.people.add(
                name=_name(rng), gender=rng.choice("男男女"), birth_date=birth, ethnicity=rng.choice(["汉族"] * 9 + ["回族"]),
                education=rng.choice(["初中及以下", "高中/中专", "大专", "大学本科"]), occupation=rng.choice(["农牧渔民", "农牧渔民", "管理人员", "专业技术人员"]) if kind == "rural" else "党政机关工作人员",
                tags=tags,
            )
        info[-(i + 1)] = {"person": pid, "branch": branch, "special": special, "applied": applied, "index": i}
        schedule(-(i + 1), applied, "apply")

    while queue:
        act = heapq.heappop(queue)
        if act.on > end:
            break
        sim["today"] = act.on
        pending.discard((act.cid, act.kind, act.step))
        _perform(app, act, info, town, rng, log, schedule)
        if progress and log.steps % 100 == 0:
            progress(f"{act.on} 已办理 {log.steps} 个步骤")
    return {"town": town, "info": {k: v for k, v in info.items() if k > 0}, "log": log, "end": end}


def _evidence(app: App, cid: int, step: str, on: date, info: dict, town: dict, rng: random.Random) -> dict:
    members = town["members"][info[cid]["branch"]]
    ev = sample_evidence(step, on, mentors=members[:2], sponsors=members[2:4], cal=app.calendar, seq=cid)
    special = info[cid]["special"]
    if "vote" in ev:  # the meeting counts the branch's roll on the day (应到, 第二十条); probationary members attend
        with app.uow(read_only=True) as uow:
            roll = roll_on(uow, info[cid]["branch"], on)
        fail = step == "admission_meeting" and special == "failed_vote" and not info[cid].get("failed")
        ev["vote"] = sample_vote(len(roll.voters), passed=not fail)
        if roll.probationary:
            ev["vote"]["probationary_present"] = len(roll.probationary)
        if fail:
            info[cid]["failed"] = True
    if step == "conversion_meeting" and special == "extension" and not info[cid].get("extended"):
        ev.update(decision="extend", extension_months=6)
        info[cid]["extended"] = True
    if step == "conversion_meeting" and special == "cancel":
        ev.update(decision="cancel")
    return ev


def _next(app: App, cid: int, info: dict, rng: random.Random, schedule) -> None:
    """Schedule the candidate's next action from the engine's own earliest/due dates."""
    with app.uow() as uow:
        row = uow.candidates.get(cid)
    state = uc.CandidateState.from_dict(row.state)
    defn = app.definition(row.definition_key)
    today = app.today()
    opens = outlook(process_for(defn), state, app.calendar)
    if not opens:
        return
    special = info[cid]["special"]
    steps = [o for o in opens if not o.step.repeatable and not o.waiting_for]
    for o in opens:
        if o.step.repeatable and o.recurring and (not steps or o.recurring.date < today + timedelta(days=200)):
            schedule(cid, max(today + timedelta(days=1), o.recurring.date - timedelta(days=rng.randrange(3, 20))), "step", o.step.id)
            break
    if not steps:
        return
    o = steps[0]
    gap = rng.randrange(3, 25)
    on = today + timedelta(days=gap)
    if o.earliest:
        on = max(on, o.earliest.date + timedelta(days=rng.randrange(0, 20)))
    if o.step.id in ("target_selection", "conversion_meeting") and o.earliest:
        on = max(on, o.earliest.date + timedelta(days=rng.randrange(20, 120)))
    if o.due and o.due.rule.params.get("after") == "probation_end":  # the conversion application
        on = max(on, o.due.date - timedelta(days=rng.randrange(5, 40)))
    if o.due and not (special == "late_talk" and o.step.id == "first_talk"):
        on = min(on, o.due.date) if on > today else on
        on = max(on, today)
    if special == "late_talk" and o.step.id == "first_talk":
        on = o.due.date + timedelta(days=9)
    schedule(cid, on, "step", o.step.id)


def _perform(app: App, act: _Action, info: dict, town: dict, rng: random.Random, log: DemoLog, schedule) -> None:
    cid = act.cid
    if info.get(cid, {}).get("ended"):
        return  # plans made before the candidate left the process
    try:
        if act.kind == "apply":
            i = info[cid]
            res = uc.register_applicant(app, person_id=i["person"], branch_id=i["branch"], occurred_on=act.on,
                                        actor=demo_actor(town, i["branch"], "branch"))
            info[res.candidate_id] = info.pop(cid)
            cid = res.candidate_id
            log.steps += 1
            if log.with_files:
                log.files += file_step_materials(app, town, cid, "application", act.on)
            _special_after_apply(app, cid, info, rng, schedule, log)
        elif act.kind == "step":
            ev = _evidence(app, cid, act.step, act.on, info, town, rng)
            res = record_step(app, cid, act.step, act.on, info[cid], ev, _actor(app, town, cid, info, act.step), log)
            if res is None:
                return  # held back by a story of services/demo/resolutions (nothing recorded)
            log.steps += 1
            for w in res.decision.warnings:
                if not w.startswith("缺少材料"):  # the files come just below
                    log.say(f"{act.on} 候选人{cid}：{w}")
            if log.with_files:
                log.files += file_step_materials(app, town, cid, act.step, act.on)
            if res.decision.state.stage == "rejected":
                schedule(cid, act.on + timedelta(days=90), "reconsider")
                return
            _special_after_step(app, cid, act, info, town, schedule, log)
        else:
            res = uc.exceptional(app, cid, act.kind, occurred_on=act.on, actor=demo_actor(town, info[cid]["branch"], "branch"),
                                 reason=_reason(act.kind),
                                 to_branch_id=act.step and int(act.step) or None)
            log.steps += 1
            log.say(f"{act.on} 候选人{cid}：{_reason(act.kind)}")
            if act.kind == "transfer":
                info[cid]["branch"] = int(act.step)
    except DomainError as e:
        log.refused.append(f"{act.on} {'候选人' + str(cid) if cid > 0 else '登记申请'}：{e}")
        i = info.get(cid)
        if act.kind == "apply" and i and i["special"] == "too_young":
            i["special"] = None
            schedule(cid, act.on + timedelta(days=30), "apply")
        return
    if cid > 0 and cid in info:
        if res.decision.state.stage in process_for(app.definition(res.decision.state.definition_key)).end_states:
            info[cid]["ended"] = res.decision.state.stage != "rejected"
        _next(app, cid, info, rng, schedule)


def _special_after_apply(app, cid, info, rng, schedule, log) -> None:
    if info[cid]["special"] == "withdraw":
        schedule(cid, app.today() + timedelta(days=40), "withdraw")


def _special_after_step(app, cid, act, info, town, schedule, log) -> None:
    special = info[cid]["special"]
    if special == "disqualify" and act.step == "mentors_assigned":
        schedule(cid, act.on + timedelta(days=150), "disqualify")
    if special == "transfer" and act.step == "mentors_assigned" and not info[cid].get("moved"):
        info[cid]["moved"] = True
        others = [b for b in town["branches"] if b != info[cid]["branch"]]
        schedule(cid, act.on + timedelta(days=60), "transfer", str(others[0]))
    if special == "correction" and act.step == "activist_selection" and not info[cid].get("corrected"):
        info[cid]["corrected"] = True
        res = uc.correct(app, cid, act_seq(app, cid, "activist_selection"), actor=demo_actor(town, info[cid]["branch"], "branch"),
                         reason="会议记录核对后发现日期录入错误", occurred_on=act.on - timedelta(days=3))
        log.say(f"{act.on} 候选人{cid}：更正“推荐和确定入党积极分子”日期为 {res.decision.state.done['activist_selection']}（原记录保留）")


def act_seq(app: App, cid: int, step: str) -> int:
    with app.uow() as uow:
        rows = uow.events.list_for(cid)
    return max(r.seq for r in rows if r.step == step and r.kind == "step")


def _actor(app: App, town: dict, cid: int, info: dict, step: str) -> str:
    """The demo account that records `step` (the side its definition actor belongs to)."""
    with app.uow(read_only=True) as uow:
        key = uow.candidates.get(cid).definition_key
    actor = app.definition(key).step(step).actor
    side = "county" if actor == "county_org_dept" else step_side(actor)
    return demo_actor(town, info[cid]["branch"], side)


def _reason(action: str) -> str:
    return {"withdraw": "本人申请撤回入党申请", "disqualify": "培养考察期间表现不合格，支委会决定取消入党积极分子资格",
            "reconsider": "条件成熟，支委会决定重新提交支部大会讨论", "transfer": "工作调动，转接组织关系，培养考察时间连续计算",
            "death": "病故"}.get(action, action)
