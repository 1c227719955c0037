"""The review loop on the command line (issue 15): `submit` (报送), `return` (退回), `approve`
(审批 with opinion and 批复文号) and `thread` (the 往来记录). Same services as the web
(services/review); shapes of --json: docs/cli.md (报送与审批)."""

from typing import Annotated, Optional

import typer

from cli.options import Run, command, parse_day, parse_sets, recorder


def register(app: typer.Typer) -> None:
    from cli.main import ActorOpt, CandidateArg, ExpectOpt, PreviewOpt, SetOpt, _finish_write

    StepArg = Annotated[str, typer.Argument(help="步骤编号（1–25）或名称，如 上级党委预审", metavar="步骤")]
    OnOpt = Annotated[Optional[str], typer.Option("--date", help="日期，默认今天", metavar="日期")]

    @command(app, "submit", help="报送上级党委：党支部把需上级办理的步骤（备案、预审、谈话、审批）报上去。")
    def submit_cmd(run: Run, candidate: CandidateArg, step: StepArg,
                   note: Annotated[str, typer.Option("--note", help="报送说明", metavar="说明")] = "",
                   date: OnOpt = None, actor: ActorOpt = None, expect_version: ExpectOpt = None,
                   preview: PreviewOpt = False) -> None:
        from services.review import submit

        result = submit(run.app, None, candidate, step, note=note, occurred_on=parse_day(date) if date else None,
                        expected_version=expect_version, preview=preview, actor=recorder(actor, preview))
        _finish_write(run, result, lambda v: f"已报送：{v['event']['step_name']}，候选人 {candidate}")

    @command(app, "return", help="退回党支部：写明原因，可指定须重新办理的步骤（以其为前提的已办步骤一并重新办理）。")
    def return_cmd(run: Run, candidate: CandidateArg, step: StepArg,
                   reason: Annotated[str, typer.Option("--reason", help="退回原因（必填）", metavar="原因")],
                   reopen: Annotated[Optional[list[str]], typer.Option(
                       "--reopen", help="须重新办理的步骤（编号或名称），可多次使用", metavar="步骤")] = None,
                   date: OnOpt = None, actor: ActorOpt = None, expect_version: ExpectOpt = None,
                   preview: PreviewOpt = False) -> None:
        from services.review import return_to_branch

        result = return_to_branch(run.app, None, candidate, step, reason=reason, reopen=tuple(reopen or ()),
                                  occurred_on=parse_day(date) if date else None, expected_version=expect_version,
                                  preview=preview, actor=recorder(actor, preview))
        redo = result.decision.event.evidence.get("reopened") or []
        defn = run.app.definition(result.decision.state.definition_key)
        names = "、".join(defn.step(s).name for s in redo)
        _finish_write(run, result, lambda v: f"已退回：{v['event']['step_name']}，候选人 {candidate}"
                      + (f"；须重新办理：{names}" if names else ""))

    @command(app, "approve", help="审批或备案（上级党委）：记录审批意见和批复文号；记录项用 --set 填写（备案文号：--set filing_no=文号）。")
    def approve_cmd(run: Run, candidate: CandidateArg, step: StepArg,
                    date: Annotated[str, typer.Option("--date", help="审批（备案）的实际日期", metavar="日期")],
                    opinion: Annotated[str, typer.Option("--opinion", help="审批意见（审批必填，备案可不填）", metavar="意见")] = "",
                    doc_no: Annotated[str, typer.Option("--doc-no", help="批复文号", metavar="文号")] = "",
                    set_: SetOpt = None, actor: ActorOpt = None, expect_version: ExpectOpt = None,
                    preview: PreviewOpt = False) -> None:
        from services.review import approve

        on = parse_day(date)
        result = approve(run.app, None, candidate, step, occurred_on=on, evidence=parse_sets(set_), opinion=opinion,
                         doc_no=doc_no, expected_version=expect_version, preview=preview, actor=recorder(actor, preview))
        from workflows.review import is_filing

        spec = run.app.definition(result.decision.state.definition_key).step(result.decision.event.step)
        done = "已备案" if is_filing(spec) else "已办理"
        _finish_write(run, result, lambda v: f"{done}：{v['event']['step_name']}（{on}），候选人 {candidate}")

    @command(app, "thread", help="报送、退回、审批的往来记录。")
    def thread_cmd(run: Run, candidate: CandidateArg) -> None:
        from services.review import review_thread

        threads = review_thread(run.app, candidate)
        if run.json:
            run.emit(threads)
            return
        if not threads:
            run.line("没有报送或待报送的步骤")
        for t in threads:
            run.line(f"第{t['number']}步 {t['step_name']}：{t['status_name']}", "bold")
            for e in t["entries"]:
                extra = f"（须重新办理：{'、'.join(e['reopened'])}）" if e["reopened"] else ""
                run.line(f"  {e['on']} {e['kind_name']} {e['who']}" + (f"：{e['text']}" if e["text"] else "") + extra)
