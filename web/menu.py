"""The tools a user can reach from the 「功能」 page (and the header), by role.

One line per page: (label, href, who may see it). A page that adds a capability adds its line here;
the route itself still checks access (this list only decides what is offered).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from services.accounts.access import Principal


class MenuItem(NamedTuple):
    label: str
    href: str
    group: str
    allowed: Callable[[Principal], bool]


def _branch(who: Principal) -> bool:
    return who.acts_anywhere("branch") or who.is_admin


def _township(who: Principal) -> bool:
    return who.acts_anywhere("township") or who.is_admin


def _anyone(who: Principal) -> bool:
    return True


def _admin(who: Principal) -> bool:
    return who.is_admin


MENU: list[MenuItem] = [
    MenuItem("本周待办", "/", "日常", _anyone),
    MenuItem("审批队列", "/queue", "日常", _township),
    MenuItem("候选人", "/candidates", "日常", _anyone),
    MenuItem("登记入党申请人", "/candidates/new", "日常", _branch),
    MenuItem("站内通知", "/notices", "日常", _anyone),
    MenuItem("党员和群众", "/people", "日常", _anyone),
    MenuItem("逾期情况", "/overdue", "查询与报告", _anyone),
    MenuItem("报告", "/reports", "查询与报告", _anyone),
    MenuItem("合规检查", "/findings", "查询与报告", _anyone),
    MenuItem("提醒联系人", "/contacts", "提醒", _anyone),
    MenuItem("发送记录", "/contacts/log", "提醒", _anyone),
    MenuItem("导入台账", "/imports", "台账与计划", _township),
    MenuItem("发展计划", "/plans", "台账与计划", _anyone),
    MenuItem("节假日安排", "/holidays", "系统", _anyone),
    MenuItem("管理", "/admin/orgs", "系统", _admin),
]


def menu_for(who: Principal) -> list[tuple[str, list[MenuItem]]]:
    """The menu items this user may use, grouped in the order of first appearance."""
    groups: dict[str, list[MenuItem]] = {}
    for item in MENU:
        if item.allowed(who):
            groups.setdefault(item.group, []).append(item)
    return list(groups.items())
