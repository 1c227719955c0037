"""Chinese titles and bodies of the review loop's in-app notices, from notifications/templates
(submitted.j2, returned.j2, approved.j2, refused.j2; overridable like every template)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from notifications.render import Renderer
from storage.tables import REVIEW_NOTICE_KINDS


@lru_cache(maxsize=1)
def renderer() -> Renderer:
    """One Renderer per process (PARTYFLOW_TEMPLATE_DIR is read once)."""
    return Renderer()


def review_text(kind: str, *, candidate_name: str, step_name: str, step_number: int, branch: str, township: str,
                on: date | str | None = None, reason: str = "", reopened: str = "", opinion: str = "",
                doc_no: str = "", note: str = "", filing: bool = False,
                doc_label: str = "批复文号") -> tuple[str, str]:
    """(title, body) for `notify`. `reason`: the return's (退回原因); `reopened`: the step names
    it reopens, joined ("政治审查、…"); `opinion` / `doc_no`: the approval's 意见 and 批复文号;
    `note`: what the branch wrote when submitting; `filing`: an approval of a 备案 step (worded
    已备案), `doc_label` what its document number is called (备案文号)."""
    if kind not in REVIEW_NOTICE_KINDS:
        raise ValueError(f"not a review notice kind: {kind!r}")
    item = {"candidate_name": candidate_name, "step_name": step_name, "step_number": step_number, "branch": branch,
            "township": township, "on": on, "reason": reason, "reopened": reopened, "opinion": opinion,
            "doc_no": doc_no, "note": note, "filing": filing, "doc_label": doc_label}
    return renderer().render(kind, item=item)
