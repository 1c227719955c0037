"""Which required materials a candidate has, lacks, or has stood in by a generated document — for
one candidate (its page), for a whole queue (one indexed query for all of them), and as the facts
the material guard of a step needs (engine/materials.py decides; this only looks things up)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from engine.materials import Completeness, MaterialFacts, completeness
from engine.state import CandidateState
from services.accounts.access import Principal
from services.app import App
from services.materials.catalogue import branch_override, catalogue_of, catalogue_with
from storage.repositories import MaterialCount
from storage.unit_of_work import UnitOfWork


def _split(counts: Mapping[str, MaterialCount]) -> tuple[dict[str, int], frozenset[str]]:
    """(uploaded files per material, materials that have a generated document attached)."""
    present = {m: c.uploaded for m, c in counts.items() if c.uploaded}
    return present, frozenset(m for m, c in counts.items() if c.generated)


def of_state(app: App, uow: UnitOfWork, defn, state: CandidateState, branch_id: int, candidate_id: int) -> Completeness:
    """The completeness of one candidate, inside the caller's unit of work."""
    catalogue = catalogue_of(app, uow, defn, branch_id)
    present, generated = _split(uow.attachments.present([candidate_id]).get(candidate_id, {}))
    return completeness(catalogue, state, present, generated)


def facts_for_step(app: App, uow: UnitOfWork, defn, branch_id: int, candidate_id: int, step_id: str) -> MaterialFacts | None:
    """What the material guard of `step_id` needs, or None when no material is checked there (the
    common case: no query at all)."""
    catalogue = catalogue_of(app, uow, defn, branch_id)
    if not catalogue.needed_at(step_id):
        return None
    present, generated = _split(uow.attachments.present_for(candidate_id))
    return MaterialFacts(catalogue, present, generated)


MEMO_SIZE = 200_000  # candidates' completeness kept per process (for_rows)


def for_rows(app: App, uow: UnitOfWork, rows: Iterable[Any]) -> dict[int, Completeness]:
    """{candidate id: completeness} for candidate rows (a queue, a list): one query for every
    candidate's files, one catalogue per (rules, township choice). Kept per process while the
    candidate's version, its files and its catalogue (rules, the township's list) are the same:
    a secretary's home page of ~130 items computed them all on every visit (~0.2 s at 1 M
    candidates, issue 19)."""
    rows = list(rows)
    held = uow.attachments.present(r.id for r in rows)
    out: dict[int, Completeness] = {}
    memo = app.__dict__.setdefault("_completeness_memo", {})
    if len(memo) > MEMO_SIZE:
        memo.clear()
    for r in rows:
        counts = held.get(r.id, {})
        files = tuple(sorted((m, c.uploaded, c.generated) for m, c in counts.items()))
        hit = memo.get(r.id)
        if hit is not None and hit[0] == r.version and hit[1] == files:
            _v, _f, key, branch_id, catalogue, result = hit
            if catalogue_with(app, app.definition(key), branch_override(app, uow, branch_id)) is catalogue:
                out[r.id] = result
                continue
        state = CandidateState.from_dict(r.state) if isinstance(r.state, dict) else r.state
        branch_id = state.branch_id or r.branch_id
        catalogue = catalogue_with(app, app.definition(state.definition_key), branch_override(app, uow, branch_id))
        present, generated = _split(counts)
        out[r.id] = result = completeness(catalogue, state, present, generated)
        memo[r.id] = (r.version, files, state.definition_key, branch_id, catalogue, result)
    return out


def completeness_view(app: App, candidate_id: int, *, who: Principal | None = None) -> dict[str, Any]:
    """The candidate page's 材料 section and the CLI's `material list`: per reached step, each
    material with its status and files; the totals; what is missing."""
    from services.materials.files import _candidate, _spec, attachment_dict

    row, state, defn = _candidate(app, who, candidate_id)
    branch_id = state.branch_id or row.branch_id
    with app.uow(read_only=True) as uow:
        catalogue = catalogue_of(app, uow, defn, branch_id)
        files = uow.attachments.for_candidate(candidate_id)
        present, generated = _split(uow.attachments.present([candidate_id]).get(candidate_id, {}))
    result = completeness(catalogue, state, present, generated)
    by_material: dict[str | None, list[dict]] = {}
    for f in files:
        spec = _spec(catalogue, f.material)
        by_material.setdefault(f.material, []).append(attachment_dict(f, defn, spec))
    return view_dict(result, defn, by_material)


def view_dict(result: Completeness, defn, by_material: Mapping[str | None, list[dict]] | None = None) -> dict[str, Any]:
    by_material = by_material or {}
    steps = []
    for srow in result.rows:
        steps.append({
            "step": srow.step, "step_name": f"第{srow.number}步 {srow.name}", "done": srow.done,
            "materials": [{
                "id": m.material.id, "name": m.material.name, "required": m.material.required, "status": m.status,
                "by": m.material.by or None,
                "status_name": m.label, "due": m.due, "generated": m.material.generated,
                "blocks": m.blocks, "article": m.material.citation.label(),
                "needed_by": [defn.step(n).name for n in m.material.needed_by if defn.has_step(n)],
                "files": by_material.get(m.material.id, []),
            } for m in srow.items],
        })
    blocking = {m.id for m in result.blocking}
    return {
        "complete": result.complete, "percent": result.percent,
        "missing": [{"id": m.id, "name": m.name, "step": m.step, "step_name": defn.step(m.step).name,
                     "blocks": m.id in blocking} for m in result.missing_required],
        "steps": steps, "other_files": list(by_material.get(None, [])),
    }
