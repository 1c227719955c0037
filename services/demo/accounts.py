"""Web accounts for the demo township (services/demo/township.py): who to log in as.

One secretary for each pair of branches, one township officer, one county viewer, one
administrator — all with the same well-known password. Demo data only: never use these accounts
on a real installation.
"""
from __future__ import annotations

from services.app import App
from services.accounts.users import create_user

DEMO_PASSWORD = "nanchuan-demo"


TOWNSHIP = ("zuzhi", "乡组织委员")  # (username, display name) of the township officer
COUNTY = ("xianwei", "县委组织部")


def _secretary(index: int) -> tuple[str, str]:
    """(username, display name) of the secretary of the branch at `index` (one per pair of branches)."""
    n = index // 2 + 1
    return f"shuji{n:02d}", f"书记{n}"


def demo_actor(town: dict, branch_id: int | None, side: str) -> str:
    """Who the demo's records name as their recorder: the demo account that would have entered
    them on the web, written as the web writes a signed-in user ("书记1（shuji01）")."""
    if side == "township":
        username, display = TOWNSHIP
    elif side == "county":
        username, display = COUNTY
    else:
        username, display = _secretary(list(town["branches"]).index(branch_id))
    return f"{display}（{username}）"


def create_demo_accounts(app: App, town: dict) -> list[tuple[str, str, str, str]]:
    """Create the accounts; `town` is `build_township`'s result ({county, township, branches, …}).

    Returns [(username, password, role name, organisation names)] for the printout.
    """
    with app.uow(read_only=True) as uow:
        names = {o.id: o.name for o in uow.orgs.list()}
    made: list[tuple[str, str, str, str]] = []

    def add(username: str, display: str, roles: list[tuple[str, int | None]], role_name: str) -> None:
        create_user(app, username, display, DEMO_PASSWORD, roles, by="演示")
        made.append((username, DEMO_PASSWORD, role_name,
                     "、".join(names.get(o, "") for _, o in roles if o) or "全部"))

    branches = list(town["branches"])
    for i in range(0, len(branches), 2):
        pair = branches[i:i + 2]
        username, display = _secretary(i)
        add(username, display, [("branch_secretary", b) for b in pair], "党支部书记")
    add(*TOWNSHIP, [("township_officer", town["township"])], "乡镇党委组织委员")
    add(*COUNTY, [("county_viewer", town["county"])], "县委组织部（只读）")
    add("admin", "系统管理员", [("admin", None)], "系统管理员")
    return made
