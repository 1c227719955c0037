"""What a definition file may say: its keys, the values they take, and what each rule kind needs.

Why tables: the validator reads its vocabulary from here, and the engine indexes some of these
parameters directly, so a new rule kind or key is added in one place. A kind's allowed parameter
names come from `workflows.model.RULE_KINDS`.
"""
from __future__ import annotations

import re

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ARTICLE_RE = re.compile(r"^第[零一二三四五六七八九十百]+条(第[零一二三四五六七八九十]+款)?$")
CONFIDENCE = ("V", "W", "R", "L")  # process.md's tags; L = local practice

TOP_KEYS = {
    "id", "version", "title", "effective_from", "extends", "local", "roles", "stages", "end_states",
    "reconsider_reopens", "probation", "steps",
}
TOP_REQUIRED = ("id", "version", "title", "effective_from", "roles", "stages", "end_states", "steps")
STEP_KEYS = {
    "id", "number", "name", "stage", "actor", "requires", "enters", "article", "evidence", "rules",
    "outcome", "repeatable", "optional",
}
STEP_REQUIRED = ("id", "number", "name", "stage", "actor")
ARTICLE_KEYS = {"number", "confidence", "unverified", "note", "source"}
FIELD_KEYS = {"name", "type", "label", "required", "choices", "choice_labels", "min_items", "max_items", "min", "max"}
OUTCOME_KEYS = {"field", "positive", "negative", "effects", "approved_by", "means"}
PROBATION_KEYS = {"after", "months", "article", "confidence", "unverified", "note", "source"}
# A rule's keys that are not parameters of its kind: its name, kind, citation and message.
RULE_NON_PARAMS = {"id", "kind", "article", "confidence", "unverified", "note", "source", "message"}
OUTCOME_NEGATIVES = ("stay", "rejected")
OUTCOME_EFFECTS = ("extend_probation", "cancel_probation")

# Parameter value types (a kind's allowed names come from RULE_KINDS).
PARAM_TYPE = {
    "after": "anchor", "until": "anchor",
    "years": "int", "months": "int", "weeks": "int", "days": "int", "working_days": "int",
    "max_months": "int", "every_months": "pos", "remind_days": "days", "min": "int", "max": "int",
    "min_days": "int", "min_hours": "int", "min_months": "int", "times": "pos", "periods": "periods",
}
# A kind's parameter whose type differs from PARAM_TYPE: a "not before" may open a few days before its
# anchor (转正申请 about a week before 预备期满: `days: -7`).
PARAM_KIND_TYPE = {("not_before", "days"): "signed"}
# How a recurring duty counts its periods (workflows.model.RULE_KINDS["recurring"]).
RECURRING_PERIODS = ("from_anchor", "calendar")
# Parameters naming an evidence field of the step, and the field types each accepts.
FIELD_PARAM_TYPES = {
    ("count", "field"): {"people"},
    ("full_members", "field"): {"people", "person"},
    ("vote", "field"): {"vote"},
    ("passed", "field"): {"bool"},
    ("not_if", "field"): {"bool"},
    ("extension", "field"): {"int"},
    ("training", "days_field"): {"int"},
    ("training", "hours_field"): {"int"},
    ("training", "waiver_field"): {"text"},
    ("public_notice", "start_field"): {"date"},
    ("public_notice", "end_field"): {"date"},
    ("public_notice", "objections_field"): {"text"},
    ("due_within", "reason_field"): {"text"},
}
# What the engine needs of each kind (it indexes these parameters directly).
REQUIRED_PARAMS = {
    "not_before": ("after",),
    "due_within": ("after",),
    "recurring": ("every_months", "after"),
    "min_age": ("years",),
    "full_members": ("field",),
    "count": ("field",),
    "vote": ("field",),
    "passed": ("field",),
    "training": ("days_field", "hours_field", "min_days", "min_hours"),
    "public_notice": ("start_field", "end_field"),
    "not_if": ("field",),
    "extension": ("field", "min_months", "max_months"),
}
# Exactly one interval unit: the engine would otherwise add them up silently.
ONE_INTERVAL_UNIT = {
    "not_before": ("years", "months", "days", "working_days"),
    "due_within": ("years", "months", "weeks", "days", "working_days"),
    "public_notice": ("working_days", "days"),
}
# How a parameter type is named in a message.
PARAM_TYPE_NAMES = {"int": "非负整数", "signed": "整数（负数表示提前）", "pos": "正整数", "days": "正整数列表", "anchor": "步骤 id",
                    "periods": "from_anchor（自起算日起每段）或 calendar（按自然季度/半年）"}

