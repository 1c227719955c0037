"""The standard forms as data (forms.yaml): what each is called, which step it belongs to, when it
may be generated and how its file is named. Kept as data so a form's wording or file name changes
without code, and so other parts (material lists, uploads) can name a form by its kind."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

FORMS_FILE = Path(__file__).with_name("forms.yaml")
WHEN = ("before", "after", "any")
SIGNERS = ("branch", "township")
# characters no file system (or a browser's download) accepts in a name
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class FormSpec:
    kind: str
    title: str  # Chinese name, e.g. 支部大会决议（接收预备党员）
    step: str  # step id the form belongs to
    when: str  # before | after | any (forms.yaml explains)
    file_name: str  # pattern with {name} and {title}
    signer: str = "branch"
    template: str = ""  # file name of the template (default <kind>.docx)
    decision: Mapping[str, Any] | None = None  # {field, value} the recorded step must have
    or_action: str | None = None  # an exceptional action that also allows the form
    variants: Mapping[str, str] = field(default_factory=dict)  # step name -> title
    also: Mapping[str, str] = field(default_factory=dict)  # other step id -> title there

    @property
    def template_name(self) -> str:
        return self.template or f"{self.kind}.docx"

    @property
    def steps(self) -> tuple[str, ...]:
        """Every step the form may be made for; the first is its own."""
        return (self.step, *self.also)

    def title_for(self, step_name: str | None, step_id: str | None = None) -> str:
        """The title for step `step_id` (default: the form's own) where the candidate's definition
        calls that step `step_name`."""
        if step_id and step_id != self.step and step_id in self.also:
            return self.also[step_id]
        return self.variants.get(step_name or "", self.title)


def _spec(kind: str, raw: Mapping[str, Any]) -> FormSpec:
    unknown = set(raw) - {"title", "step", "when", "file_name", "signer", "template", "decision", "or_action",
                          "variants", "also"}
    if unknown:
        raise ValueError(f"forms.yaml: {kind}: unknown keys {sorted(unknown)}")
    spec = FormSpec(kind=kind, title=str(raw["title"]), step=str(raw["step"]), when=str(raw.get("when", "after")),
                    file_name=str(raw.get("file_name", "{name}-{title}.docx")), signer=str(raw.get("signer", "branch")),
                    template=str(raw.get("template", "")), decision=raw.get("decision"),
                    or_action=raw.get("or_action"), variants=dict(raw.get("variants") or {}),
                    also=dict(raw.get("also") or {}))
    if spec.when not in WHEN or spec.signer not in SIGNERS:
        raise ValueError(f"forms.yaml: {kind}: when must be one of {WHEN}, signer one of {SIGNERS}")
    if spec.decision is not None and (spec.when != "after" or set(spec.decision) != {"field", "value"}):
        raise ValueError(f"forms.yaml: {kind}: decision needs when: after and exactly field, value")
    return spec


def load_forms(path: Path = FORMS_FILE) -> Mapping[str, FormSpec]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return MappingProxyType({kind: _spec(kind, raw) for kind, raw in data.items()})


FORMS: Mapping[str, FormSpec] = load_forms()


def form(kind: str) -> FormSpec:
    """The form `kind` (or the form of that Chinese title); an unknown one is a Chinese refusal
    listing the forms by title."""
    spec = FORMS.get(kind) or next((s for s in FORMS.values()
                                    if kind in (s.title, *s.variants.values(), *s.also.values())), None)
    if spec is None:
        from engine.errors import refuse

        known = "、".join(s.title for s in FORMS.values())
        raise refuse("document.kind", f"没有“{kind}”这种文书；可生成：{known}")
    return spec


def file_name(kind: str, facts: Mapping[str, Any]) -> str:
    """The generated file's name in Chinese, e.g. 「张三-支部大会决议（接收预备党员）.docx」: the
    candidate's name and the form's title (the variant's, when the facts carry one)."""
    spec = form(kind)
    person = facts.get("person") if isinstance(facts.get("person"), Mapping) else {}
    name = str(person.get("name") or "").strip() or "未填姓名"
    title = ((facts.get("form") or {}).get("title") if isinstance(facts.get("form"), Mapping) else None) or spec.title
    text = spec.file_name.format(name=name, title=title)
    text = _UNSAFE.sub("_", text).strip(" .")
    return text if text.lower().endswith(".docx") else f"{text}.docx"
