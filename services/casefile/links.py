"""Where a list item leads: straight to its step's form when this user records that step there,
else to the candidate's page (which opens with what to do now)."""
from __future__ import annotations

from typing import Any

from services.accounts.access import Principal
from workflows.review import approval_href, reviewed


def step_href(who: Principal, candidate_id: int, branch_id: int | None, step_id: str | None,
              actor: str | None) -> str:
    if step_id and actor and branch_id is not None and who.can_act(branch_id, actor):
        if reviewed(step_id, actor):  # the committee records it with its opinion (the review loop)
            return approval_href(candidate_id, step_id)
        return f"/candidates/{candidate_id}/steps/{step_id}"
    return f"/candidates/{candidate_id}"


def with_links(who: Principal, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worklist items (services/worklist/reads.py `_build`) with `href` set by `step_href`."""
    for i in items:
        i["href"] = step_href(who, i["candidate_id"], i.get("branch_id"), i.get("step"), i.get("actor"))
    return items
