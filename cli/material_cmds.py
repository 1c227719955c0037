"""材料 on the command line (issue 18): what a candidate's rules ask for and what is there
(`material list`), attach a file (`material add`), fetch one (`material get`), remove one
(`material remove`), fill a standard form from the record (`material generate`), the whole 档案 as
a ZIP (`material archive`) and the missing-materials list as Excel (`material missing`). The same
services as the web (services/materials); shapes of --json: docs/cli.md (材料)."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.options import Run, command, file_problem, parse_day, recorder
from cli.zh import ZhGroup


def _free(out: Path) -> Path:
    """Refuses an output file that exists before anything is fetched (a download is audited)."""
    from engine.errors import refuse

    if out.exists():
        raise refuse("file.exists", f"文件 {out} 已存在，未覆盖；请换一个文件名")
    if not out.parent.is_dir():  # said before the (audited) fetch, not after it
        import errno

        raise refuse("file.write", file_problem(FileNotFoundError(errno.ENOENT, "", str(out))))
    return out


def _write(run: Run, out: Path, data: bytes) -> None:
    from engine.errors import refuse

    _free(out)
    try:
        out.write_bytes(data)
    except OSError as e:
        raise refuse("file.write", file_problem(e)) from None


def register(app: typer.Typer) -> None:
    from cli.main import ActorOpt, CandidateArg

    material_app = typer.Typer(cls=ZhGroup, no_args_is_help=True,
                               help="材料：每一步需要的材料、上传的文件、完整性，由记录生成的标准文书和档案。")
    app.add_typer(material_app, name="material")
    OutOpt = Annotated[Path, typer.Option("--out", help="保存到的文件（不会覆盖已有文件）", metavar="文件")]

    @command(material_app, "list", help="某候选人应有的材料、已上传的文件和缺少的材料。")
    def list_cmd(run: Run, candidate: CandidateArg) -> None:
        from services.materials.completeness import completeness_view

        view = completeness_view(run.app, candidate)
        if run.json:
            run.emit(view)
            return
        run.line(f"材料完整度 {view['percent']}%" + ("（必需材料齐全）" if view["complete"] else ""), "bold")
        for s in view["steps"]:
            run.line(s["step_name"], "bold")
            for m in s["materials"]:
                mark = {"present": "✓", "generated": "✓", "missing": "✗", "optional_missing": "·"}.get(m["status"], "·")
                extra = "（缺少时不能办理后续审批）" if m["blocks"] and m["status"] == "missing" else ""
                run.line(f"  {mark} {m['name']}：{m['status_name']}{extra}")
                for f in m["files"]:
                    run.line(f"      文件 {f['id']}：{f['filename']}（{f['uploaded_by']}，{f['uploaded_at'][:10]}）")
        for f in view["other_files"]:
            run.line(f"  其他文件 {f['id']}（{f['step_name'] or '未归入步骤'}）：{f['filename']}")
        if view["missing"]:
            run.line("缺少：" + "、".join(m["name"] for m in view["missing"]), "yellow")

    @command(material_app, "add", help="上传文件作为某项材料（照片、PDF 或 Word），如 material add 12 政审结论.jpg --material political_review_conclusion。")
    def add_cmd(run: Run, candidate: CandidateArg,
                file: Annotated[Path, typer.Argument(help="要上传的文件", metavar="文件")],
                material: Annotated[Optional[str], typer.Option("--material", help="材料（名称或编号，见 material list）", metavar="材料")] = None,
                step: Annotated[Optional[str], typer.Option("--step", help="不属于某项材料时，所属步骤的编号", metavar="步骤")] = None,
                on: Annotated[Optional[str], typer.Option("--date", help="材料上的日期", metavar="日期")] = None,
                note: Annotated[str, typer.Option("--note", help="备注", metavar="备注")] = "",
                actor: ActorOpt = None) -> None:
        from engine.errors import refuse
        from services.materials.files import already_filed_message, attach

        who = recorder(actor)
        try:
            data = file.read_bytes()
        except OSError as e:
            raise refuse("file.read", file_problem(e)) from None
        att = attach(run.app, candidate, data, file.name, actor=who, material=_material_id(run, candidate, material),
                     step=_step_id(run, candidate, step), document_date=parse_day(on, "材料日期") if on else None, note=note)
        if run.json:
            run.emit({"ok": True, "attachment": att, "already_filed": att["already_filed"]})
        elif att["already_filed"]:  # the same file on record for this material: nothing written
            run.line(f"{already_filed_message(att)}（文件 {att['id']}）", "yellow")
        else:
            run.line(f"已上传：{att['material_name']}「{att['filename']}」（文件 {att['id']}，{att['pages'] or 1} 页）", "green")

    @command(material_app, "get", help="取出一个文件（会记入审计日志）。")
    def get_cmd(run: Run, attachment: Annotated[int, typer.Argument(help="文件编号（见 material list）", metavar="文件编号")],
                out: OutOpt, actor: ActorOpt = None) -> None:
        from services.materials.files import download

        name, _type, data = download(run.app, attachment, actor=recorder(actor)) if _free(out) else (None, None, b"")
        _write(run, out, data)
        if run.json:
            run.emit({"ok": True, "file": str(out), "filename": name, "size": len(data)})
        else:
            run.line(f"已保存「{name}」到 {out}（{len(data)} 字节）")

    @command(material_app, "remove", help="移除一个文件（须写原因；记录保留，不再计入材料）。")
    def remove_cmd(run: Run, attachment: Annotated[int, typer.Argument(help="文件编号", metavar="文件编号")],
                   reason: Annotated[str, typer.Option("--reason", help="移除原因（必填）", metavar="原因")],
                   actor: ActorOpt = None) -> None:
        from services.materials.files import remove

        att = remove(run.app, attachment, actor=recorder(actor), reason=reason)
        if run.json:
            run.emit({"ok": True, "attachment": att})
        else:
            run.line(f"已移除「{att['filename']}」：{reason}")

    @command(material_app, "generate", help="由记录生成标准文书（Word），可直接作为材料附上（--attach）。")
    def generate_cmd(run: Run, candidate: CandidateArg,
                     kind: Annotated[str, typer.Argument(help="文书名称，如 支部大会决议（接收预备党员）；见 material forms", metavar="文书")],
                     out: Annotated[Optional[Path], typer.Option("--out", help="保存到的文件", metavar="文件")] = None,
                     attach_it: Annotated[bool, typer.Option("--attach", help="生成后作为对应材料附上")] = False,
                     actor: ActorOpt = None) -> None:
        from engine.errors import refuse
        from services.materials.generated import attach_generated, document

        kind_id, step = _form_choice(kind)
        if not out and not attach_it:
            raise refuse("generate.where", "请用 --out 指定保存的文件，或用 --attach 作为材料附上")
        if attach_it and step:
            _attaches_that_step(run, candidate, kind_id, step)
        if out:
            _free(out)
            if step:  # a form of several steps, named by the title of one (the 转正 批复)
                from services.materials.documents import generate

                name, data = generate(run.app, candidate, kind_id, today=run.app.today(), step=step)
            else:
                name, data = document(run.app, candidate, kind_id)
            _write(run, out, data)
            run.line(f"已生成「{name}」：{out}") if not run.json else None
        att = attach_generated(run.app, candidate, kind_id, actor=recorder(actor)) if attach_it else None
        if run.json:
            run.emit({"ok": True, "file": str(out) if out else None, "attachment": att})
        elif att:
            run.line(f"已作为材料附上：{att['material_name']}（文件 {att['id']}）", "green")

    @command(material_app, "forms", help="可由记录生成的标准文书。")
    def forms_cmd(run: Run) -> None:
        rows = _form_rows()
        if run.json:
            run.emit(rows)
            return
        for r in rows:
            run.line(f"{r['title']}（{r['step_name']}）" if r["step_name"] else r["title"])

    @command(material_app, "archive", help="导出某候选人的全部材料（档案目录 + 各文件，按步骤排序）为 ZIP。")
    def archive_cmd(run: Run, candidate: CandidateArg, out: OutOpt, actor: ActorOpt = None) -> None:
        from services.materials.archive import archive_zip

        _free(out)
        name, data = archive_zip(run.app, candidate, actor=recorder(actor))
        _write(run, out, data)
        if run.json:
            run.emit({"ok": True, "file": str(out), "name": name, "size": len(data)})
        else:
            run.line(f"已导出「{name}」：{out}")

    @command(material_app, "missing", help="缺少材料的候选人清单（Excel），可限定某个组织。")
    def missing_cmd(run: Run,
                    out: Annotated[Optional[Path], typer.Option("--out", help="保存到的 Excel 文件（不会覆盖已有文件；用 --json 时不需要）", metavar="文件")] = None,
                    org: Annotated[Optional[str], typer.Option("--org", help="组织代码（默认全部）", metavar="组织")] = None,
                    actor: ActorOpt = None) -> None:
        from engine.errors import refuse
        from services.materials.archive import missing_xlsx, missing_rows

        if out is None and not run.json:
            raise refuse("missing.where", "请用 --out 指定保存的 Excel 文件（或用 --json 直接列出）")
        org_id = _org_id(run, org)
        if run.json:
            run.emit(missing_rows(run.app, org_id))
            return
        _free(out)
        name, data = missing_xlsx(run.app, org_id, actor=recorder(actor))
        _write(run, out, data)
        run.line(f"已导出「{name}」：{out}")


def register_org(org_app: typer.Typer) -> None:
    """`org materials`: a township's material-list override, beside `org variant`."""

    @command(org_app, "materials", help="为乡镇党委选择材料清单（本地增补或设为“缺少时不能办理”）；--clear 恢复全国清单。")
    def org_materials(
        run: Run,
        org: Annotated[str, typer.Argument(help="乡镇党委代码", metavar="代码")],
        list_ref: Annotated[Optional[str], typer.Argument(help="材料清单的标题或编号，如 南川乡：每季度思想汇报", metavar="清单")] = None,
        clear: Annotated[bool, typer.Option("--clear", help="取消本地清单，恢复全国清单")] = False,
    ) -> None:
        from engine.errors import refuse
        from services.organisation.directory import resolve_org, set_material_list
        from workflows.materials import available_overrides

        lists = available_overrides()
        if list_ref and clear:
            raise refuse("material_list.both", "请只写一个材料清单，或只用 --clear 恢复全国清单，不要同时使用")
        if not list_ref and not clear:
            raise refuse("material_list.missing", f"请指定材料清单（标题或编号），或用 --clear 恢复全国清单；可用：{_lists_shown(lists)}")
        chosen = _list_id(lists, list_ref) if list_ref else None
        with run.app.uow(read_only=True) as uow:
            row = resolve_org(uow, org)
            before = uow.orgs.material_lists([row.id]).get(row.id)
        set_material_list(run.app, org, chosen)
        if run.json:
            run.emit({"ok": True, "org": row.code, "org_name": row.name, "material_list": chosen,
                      "material_list_title": lists.get(chosen) if chosen else None, "previous": before})
        elif chosen:
            run.line(f"{row.name}已选择材料清单“{lists[chosen]}”（对所属党支部的全部候选人立即生效）", "green")
        elif before:
            run.line(f"{row.name}已取消材料清单“{lists.get(before, '本地清单')}”，恢复全国材料清单", "green")
        else:
            run.line(f"{row.name}原本就没有选择本地材料清单，仍使用全国材料清单")


def _lists_shown(lists: dict[str, str]) -> str:
    """The material lists a township may choose, as typed back: 「标题（编号 id）」."""
    return "；".join(f"{title}（编号 {key}）" for key, title in lists.items()) or "无"  # titles hold 、


def _list_id(lists: dict[str, str], text: str) -> str:
    """A material list as typed: its id, its Chinese title, or a part of one title only."""
    from engine.errors import refuse
    from engine.input_policy import shown

    text = text.strip()
    if text in lists:
        return text
    exact = [k for k, title in lists.items() if title == text]
    part = exact or [k for k, title in lists.items() if text and text in title]
    if len(part) == 1:
        return part[0]
    if len(part) > 1:
        raise refuse("material_list.ambiguous", f"“{shown(text, 40)}”可指：{_lists_shown({k: lists[k] for k in part})}，请写全")
    raise refuse("material_list.unknown", f"找不到材料清单“{shown(text, 40)}”；可用：{_lists_shown(lists)}")


def _material_id(run: Run, candidate: int, text: str | None) -> str | None:
    """A material as typed: its id or its Chinese name (the candidate's own list decides)."""
    if not text:
        return None
    return text  # the service finds it by id or Chinese name, or refuses naming what there is


def _step_id(run: Run, candidate: int, text: str | None) -> str | None:
    if not text:
        return None
    from engine.state import CandidateState

    with run.app.uow(read_only=True) as uow:
        row = uow.candidates.get(candidate)
    if row is None:
        return text  # the service refuses the unknown candidate
    defn = run.app.definition(CandidateState.from_dict(row.state).definition_key)
    for s in defn.steps:
        if text in (s.id, s.name, str(s.number)):
            return s.id
    return text


def _form_titles() -> list[tuple[str, str, str | None]]:
    """(title, kind, step) of every title a form goes by: its own, a definition's variant (step None:
    the candidate's definition decides), and its title for each other step it serves (`also`)."""
    from documents import FORMS

    titles = []
    for k, f in FORMS.items():
        titles.append((f.title, k, f.step if f.also else None))
        titles += [(t, k, None) for t in f.variants.values()]
        titles += [(t, k, step) for step, t in f.also.items()]
    return titles


def _form_rows() -> list[dict]:
    """`material forms`: one row per title, with the step it is for, numbered and named as in the
    version in force today (the shipped definitions, no database needed); a variant's title with
    the step name it is for, the form's own title with a name the step has elsewhere."""
    from documents import FORMS
    from services.app import shanghai_now
    from workflows.registry import Registry

    registry = Registry.default()
    try:
        defn = registry.for_date(shanghai_now().date())
    except LookupError:
        defn = None

    def named(step_id: str, variants: dict[str, str], variant: str | None) -> str | None:
        if defn is None or not defn.has_step(step_id):
            return None
        names = [d.step(step_id).name for d in reversed(registry.definitions()) if not d.local and d.has_step(step_id)]
        name = variant or next((n for n in [defn.step(step_id).name, *names] if n not in variants), defn.step(step_id).name)
        return f"第{defn.step(step_id).number}步 {name}"

    rows = []
    for title, kind, step in _form_titles():
        form = FORMS[kind]
        step_id = step or form.step
        variant = next((n for n, t in form.variants.items() if t == title), None)
        rows.append({"kind": kind, "title": title, "step": step_id, "step_name": named(step_id, dict(form.variants), variant)})
    return rows


def _form_choice(text: str) -> tuple[str, str | None]:
    """A form as typed: its kind, a title it goes by, or a part of one title (every character of the
    text in one title, as 转正批复). Returns (kind, the step its title is for, or None). Several
    titles matching is a refusal naming them."""
    from engine.errors import refuse
    from engine.input_policy import shown

    text = text.strip()
    titles = _form_titles()
    if any(k == text for _t, k, _s in titles):
        return text, None
    for tests in ((lambda t: t == text), (lambda t: text in t), (lambda t: len(text) > 1 and set(text) <= set(t))):
        found = [(t, k, s) for t, k, s in titles if text and tests(t)]
        if len(found) == 1:
            return found[0][1], found[0][2]
        if found:
            raise refuse("generate.ambiguous", f"“{shown(text, 40)}”可指：{'、'.join(t for t, _k, _s in found)}，请写全")
    raise refuse("generate.unknown", f"没有文书“{shown(text, 40)}”，可生成：{'、'.join(t for t, _k, _s in titles)}")


def _attaches_that_step(run: Run, candidate: int, kind: str, step: str) -> None:
    """--attach of a form named by its title for one step: refused when the material it would be
    filed as is another step's (the admission 批复 asked for, the candidate is at conversion)."""
    from documents import FORMS
    from engine.errors import refuse
    from services.materials.generated import stands_for

    spec = stands_for(run.app, candidate, kind)
    if spec is not None and spec.step != step:
        form = FORMS[kind]
        raise refuse("material.generated", f"“{form.title_for(None, step)}”不能作为该候选人目前的材料附上（目前对应的是"
                     f"“{form.title_for(None, spec.step)}”）；可用 --out 下载后另行保存")


def _org_id(run: Run, text: str | None) -> int | None:
    if not text:
        return None
    from services.organisation.directory import resolve_org

    with run.app.uow(read_only=True) as uow:
        return resolve_org(uow, text).id
