"""The audit log in words an administrator reads: each action, object and detail in Chinese.

The log stores keys (`step.complete`, `{"step": "first_talk", "late": false}`); the page shows
「办理步骤」「步骤：党组织派人谈话；逾期：否」. An action or detail key not named here is shown as
stored — tests/web/test_visible_words.py then fails, which is the reminder to name it here.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from services.accounts.users import ROLE_NAMES

ACTIONS = {
    "login": "登录", "user.create": "新建用户", "user.enable": "启用用户", "user.disable": "停用用户",
    "user.role_add": "添加角色", "user.role_remove": "移除角色", "user.password": "修改密码",
    "user.logout_all": "退出所有设备",
    "org.create": "新建组织", "definition.install": "安装流程定义", "definition.migrate": "迁移候选人到另一流程版本",
    "candidate.register": "登记入党申请", "candidate.exceptional": "特殊情形", "step.complete": "办理步骤",
    "step.return": "退回党支部", "review.submit": "报送审核", "review.return": "退回党支部",
    "review.approve": "审核同意", "record.correct": "更正记录", "record.void": "作废记录",
    "person.add": "添加人员", "person.edit": "修改人员信息", "person.rights_suspended": "停止党员权利",
    "person.rights_restored": "恢复党员权利", "contact.add": "添加提醒接收人", "contact.edit": "修改提醒接收人",
    "contact.remove": "删除提醒接收人", "ledger.import": "导入台账", "ledger.undo": "撤销导入",
    "ledger.export": "导出台账", "report.download": "下载报告", "holidays.load": "载入节假日安排",
    "plan.set": "设置发展计划",
    "material.attach": "上传材料", "material.download": "下载材料", "material.remove": "移除材料",
    "material.archive": "导出档案", "material.missing_list": "导出缺少材料清单", "material.document": "下载文书",
    "org.material_list": "选择材料清单",
}
TARGETS = {"candidate": "候选人", "person": "人员", "org": "组织", "user": "用户", "import": "导入批次",
           "definition": "流程定义", "contact": "提醒接收人", "organisation": "组织"}
LABELS = {
    "ip": "来源地址", "username": "用户名", "display_name": "姓名", "roles": "角色", "role": "角色", "org_id": "组织",
    "org": "组织", "active": "启用", "step": "步骤", "step_name": "步骤", "occurred_on": "日期", "evidence": "记录内容",
    "version": "记录版本", "late": "逾期", "reason": "原因", "note": "说明", "reopened": "重新办理",
    "opinion": "意见", "doc_no": "批复文号", "action": "操作", "title": "名称", "name": "名称", "code": "代码",
    "level": "层级", "key": "版本", "sha256": "校验值", "period": "统计期间", "format": "格式", "rows": "行数",
    "file": "文件", "candidates": "候选人数", "people": "人数", "seq": "第几条记录", "kind": "类别",
    "to_branch_id": "转入党支部", "from_branch_id": "转出党支部", "person_name": "姓名", "year": "年度",
    "from": "原版本", "to": "目标版本", "moved": "迁移人数", "pending": "待审批决议", "skipped": "未迁移",
    "sessions": "结束的登录",
    "attachment": "文件编号", "material": "材料", "filename": "文件名", "size": "大小（字节）", "generated": "生成的文书",
    "files": "文件数", "material_list": "材料清单", "document": "文书",
    "review": "审核",  # an approval's evidence: the township's review {opinion, …}
}
FORMATS = {"xlsx": "Excel", "docx": "Word", "md": "带排版标记的文本", "text": "纯文本"}
HIDDEN = frozenset({"step"})  # shown through step_name when both are there


def describe(row: Mapping[str, Any], step_of: Callable[[str], Any], org_name: Callable[[Any], str]) -> dict[str, Any]:
    """{action, target, target_href, detail} of one audit row for the page. `step_of(id)`: the
    step's spec (or None), for its name and its fields' labels; `org_name(id)`: an org's name."""
    detail = dict(row.get("detail") or {})
    step = step_of(str(detail["step"])) if detail.get("step") else None
    parts = []
    for key, value in detail.items():
        if key in HIDDEN and "step_name" in detail:
            continue
        if key == "step":
            value = f"第{step.number}步 {step.name}" if step is not None else value
        elif key in ("org_id", "to_branch_id", "from_branch_id") and value is not None:
            value = org_name(value)
        elif key == "format":
            value = FORMATS.get(str(value), value)
        elif key == "evidence" and isinstance(value, Mapping):
            field = (lambda k: step.field(k)) if step is not None else (lambda k: None)
            value = {(f.label if (f := field(k)) is not None else k): v for k, v in value.items()} or None
        elif key == "role":
            value = ROLE_NAMES.get(str(value), value)
        elif key == "generated" and value:
            from documents import FORMS

            value = FORMS[value].title if value in FORMS else value
        elif key == "material_list" and value:
            from workflows.materials import available_overrides

            value = available_overrides().get(str(value), value)
        parts.append(f"{LABELS.get(key, key)}：{_text(value, org_name)}")
    kind = row.get("target_kind") or ""
    href = {"candidate": "/candidates/{}", "person": "/people/{}"}.get(kind)
    return {"action": ACTIONS.get(row["action"], row["action"]), "target": TARGETS.get(kind, kind),
            "target_href": href.format(row["target_id"]) if href and row.get("target_id") is not None else None,
            "detail": "；".join(parts)}


def _text(value: Any, org_name: Callable[[Any], str]) -> str:
    if value is None:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Mapping):
        if "role" in value:  # a role grant: {role, org_id}
            org = org_name(value["org_id"]) if value.get("org_id") is not None else ""
            return ROLE_NAMES.get(value["role"], value["role"]) + (f"（{org}）" if org else "")
        return "，".join(f"{LABELS.get(k, k)}：{_text(v, org_name)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "、".join(_text(v, org_name) for v in value) or "（无）"
    return str(value)
