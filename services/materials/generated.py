"""A generated document attached to its step in one action: fill the form from the record
(services/materials/documents.py), then attach it as the material it can stand for."""
from __future__ import annotations

from typing import Any

from engine.errors import refuse
from engine.materials import open_steps
from services.accounts.access import Principal
from services.app import App
from services.materials.catalogue import catalogue_of
from services.materials.files import _candidate, _may_attach, attach, remove


def stands_for(app: App, candidate_id: int, kind: str, *, who: Principal | None = None):
    """The material of the candidate's list that a generated `kind` stands in for now (or None).

    One form may serve several materials (`approval_reply`: the admission and the conversion
    批复): the latest of their steps the candidate has reached decides."""
    row, state, defn = _candidate(app, who, candidate_id)
    with app.uow(read_only=True) as uow:
        catalogue = catalogue_of(app, uow, defn, state.branch_id or row.branch_id)
    reached = set(state.done) | open_steps(catalogue, state)
    for step in reversed(catalogue.steps):
        spec = catalogue.stand_in_for(step.id, kind)
        if spec is not None and step.id in reached:
            return spec
    return None


def document(app: App, candidate_id: int, kind: str, *, who: Principal | None = None) -> tuple[str, bytes]:
    """(file name, .docx) of form `kind` filled from the record, as a download: the 档案目录 gets the
    candidate's files as its rows, a 批复 the step the candidate has reached (admission or conversion)."""
    from services.materials.documents import generate

    row, state, defn = _candidate(app, who, candidate_id)  # the scope check
    if kind == "archive_index":
        from services.materials.archive import index_rows

        with app.uow(read_only=True) as uow:
            catalogue = catalogue_of(app, uow, defn, state.branch_id or row.branch_id)
            files = uow.attachments.for_candidate(candidate_id)
        rows = [{k: v for k, v in r.items() if k != "file"} for r in index_rows(defn, catalogue, files)]
        return generate(app, candidate_id, kind, today=app.today(), rows=rows)
    spec = stands_for(app, candidate_id, kind, who=who)
    return generate(app, candidate_id, kind, today=app.today(), step=spec.step if spec else None)


def attach_generated(app: App, candidate_id: int, kind: str, *, actor: str,
                     who: Principal | None = None) -> dict[str, Any]:
    """Generates form `kind` for the candidate and attaches it as the material it stands for (an
    earlier generated copy of it is replaced)."""
    from services.materials.documents import generate, generate_dated

    spec = stands_for(app, candidate_id, kind, who=who)
    if spec is None:
        generate(app, candidate_id, kind, today=app.today())  # names the missing record, if that is why
        raise refuse("material.generated", "这份文书在该候选人目前的材料清单中没有对应的材料（或相关步骤尚未开始），"
                     "不能作为材料附上；可下载后另行保存")
    row, state, defn = _candidate(app, who, candidate_id)
    _may_attach(who, defn, state.branch_id or row.branch_id, spec.step, spec.by)
    name, data, dated = generate_dated(app, candidate_id, kind, today=app.today(), step=spec.step)
    attached = attach(app, candidate_id, data, name, actor=actor, who=who, material=spec.id, generated_kind=kind,
                      document_date=dated)
    _replace_earlier(app, candidate_id, spec.id, kind, attached["id"], actor=actor, who=who)
    return attached


def _replace_earlier(app: App, candidate_id: int, material: str, kind: str, keep: int, *, actor: str,
                     who: Principal | None) -> None:
    """A form generated again (after a correction, say) replaces the earlier generated copy of the
    same material: the file keeps one, and the earlier copy is marked removed with the reason,
    like any removal (its row and bytes stay on record)."""
    with app.uow(read_only=True) as uow:
        earlier = [f.id for f in uow.attachments.for_candidate(candidate_id)
                   if f.material == material and f.generated_kind == kind and f.id != keep and f.removed_at is None]
    for attachment_id in earlier:
        remove(app, attachment_id, actor=actor, reason="已由重新生成的文书代替", who=who)
