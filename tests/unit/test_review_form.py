"""The committee's form is read from the step's definition: a 备案 step is filed (its own 备案文号,
no 审批意见), an approval asks 审批意见 and 批复文号 unless the step has its own — in every shipped
definition, 2026's 报上级党委同意 an approval though it keeps the id target_filing."""
from __future__ import annotations

import pytest

from services.review.form import form_evidence, review_form
from tests.helpers import definition
from workflows.review import is_filing, is_reviewed, verb

KEYS = ["cpc_2014@1", "cpc_2014@2", "cpc_2026@1", "cpc_2026@2"]


@pytest.mark.parametrize("key", KEYS)
def test_filing_steps_are_filed_not_approved(key):
    defn = definition(key)
    filed = {s.id for s in defn.steps if is_reviewed(s) and is_filing(s)}
    expected = {"activist_filing", "admission_filing"} | ({"target_filing"} if key != "cpc_2026@2" else set())
    assert filed == expected
    for sid in filed:
        form = review_form(defn.step(sid))
        assert form.verb == "备案" and form.opinion is None and not form.opinion_required and form.doc_no is None
        assert [(f.name, f.label, f.required) for f in form.fields] == [("filing_no", "备案文号", False)]


def test_an_approval_asks_its_opinion_and_document_number():
    defn = definition("cpc_2014@2")
    form = review_form(defn.step("admission_approval"))
    assert (form.verb, form.opinion, form.opinion_required, form.doc_no) == ("审批", "审批意见", True, "批复文号")
    assert [f.label for f in form.fields] == ["党委表决情况", "超过三个月审批的特殊原因"]  # optional, its own
    pre = review_form(defn.step("pre_review"))  # its own 预审意见 is the opinion: not asked twice
    assert (pre.own_opinion, pre.opinion, pre.doc_no) == ("result", None, "批复文号")
    agreed = review_form(definition("cpc_2026@2").step("target_filing"))  # 报上级党委同意
    assert (agreed.verb, agreed.opinion, agreed.doc_no) == ("审批", "审批意见", None)
    assert [f.label for f in agreed.fields] == ["上级党委同意的文号"]


def test_form_evidence_fills_the_steps_own_fields():
    defn = definition("cpc_2014@2")
    step = defn.step("admission_filing")
    form = review_form(step)
    assert form_evidence(step, form, {"filing_no": "县备〔2018〕27号"}) == {"filing_no": "县备〔2018〕27号"}
    assert form_evidence(step, form, {"filing_no": ""}) == {}  # an empty optional field is left out
    approval = defn.step("admission_approval")
    assert form_evidence(approval, review_form(approval), {"decision_vote": "", "special_reason": ""}) == {"approved": True}
    assert verb(approval) == "审批" and verb(step) == "备案"
