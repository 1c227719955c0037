"""What the people pages show: the list of the user's branches' people, and one person."""
from __future__ import annotations

from datetime import date
from typing import Any

from services.accounts.access import Principal
from services.app import App
from services.organisation.directory import PARTY_STATUS_NAMES
from storage.tables import PARTY_STATUSES

from .categories import legacy
from .records import can_write, load_person, stamp

PAGE_SIZE = 50
STATUS_FILTERS = tuple((s, PARTY_STATUS_NAMES[s]) for s in ("full_member", "probationary", "none"))


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _branch_names(uow) -> dict[int, str]:
    return {o.id: o.name for o in uow.orgs.list() if o.level == "branch"}


def people_page(app: App, who: Principal, *, status: str = "", q: str = "", page: int = 1) -> dict[str, Any]:
    """{people, total, page, pages, status, q}: the people of the branches the user reads (admin:
    everyone), members and applicants, by name; `status` one of PARTY_STATUSES ('' = all), `q` a
    part of the name."""
    status = status if status in PARTY_STATUSES else ""
    q = (q or "").strip()[:40]
    page = max(1, page)
    today = app.today()
    with app.uow(read_only=True) as uow:
        rows, total = uow.people.search(who.scope(), status=status or None, name=q, limit=PAGE_SIZE,
                                        offset=(page - 1) * PAGE_SIZE)
        names = _branch_names(uow)
    items = [{
        "id": r.id, "name": r.name, "gender": r.gender, "age": age_on(r.birth_date, today),
        "status": r.party_status, "status_name": PARTY_STATUS_NAMES.get(r.party_status, ""),
        "suspended": bool(r.rights_suspended), "branch": names.get(branch, "未定党支部"),
        "details": [v for v in (r.ethnicity if r.ethnicity not in ("汉族", "汉") else "", r.education, r.occupation) if v],
        "tags": list(r.tags or []), "writable": can_write(who, branch),
    } for r, branch in rows]
    return {"people": items, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
            "status": status, "q": q}


def person_page(app: App, who: Principal, person_id: int) -> dict[str, Any]:
    """One person: the row, branch name, the candidacies (linked where readable), whether the user
    may change them, the form's stamp and the values on record the lists no longer offer."""
    row, branch_id = load_person(app, who, person_id)
    with app.uow(read_only=True) as uow:
        names = _branch_names(uow)
        cands = uow.candidates.for_person(person_id)
        writable = can_write(who, branch_id)
        # 政治面貌 / 所在党支部 of someone entered by hand: the branches the user may move them to
        moves = [(b, n) for b, n in names.items() if can_write(who, b)] if writable and not cands else []
    candidacies = []
    for c in sorted(cands, key=lambda c: c.id):
        defn = app.definition(c.definition_key)
        candidacies.append({"id": c.id, "stage": defn.stage_name(c.stage), "branch": names.get(c.branch_id, ""),
                            "applied_on": c.applied_on, "readable": who.can_read(c.branch_id)})
    on_record = {f: getattr(row, f) for f in ("ethnicity", "education", "occupation") if legacy(f, getattr(row, f))}
    legacy_tags = [t for t in row.tags or () if legacy("tags", t)]
    return {"person": row, "branch": names.get(branch_id, "未定党支部"), "branch_id": branch_id,
            "status_name": PARTY_STATUS_NAMES.get(row.party_status, ""), "age": age_on(row.birth_date, app.today()),
            "candidacies": candidacies, "writable": writable, "stamp": stamp(row), "moves": moves,
            "legacy": on_record, "legacy_tags": legacy_tags, "member": row.party_status != "none"}
