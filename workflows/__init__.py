"""Process definitions: the data the engine runs (YAML), its loader/validator and the version registry."""
from workflows.loader import DefinitionError, Problem, definition_to_data, load_definition, load_text
from workflows.model import (
    COMPUTED_ANCHORS,
    FIELD_TYPES,
    RULE_KINDS,
    Citation,
    Definition,
    FieldSpec,
    Outcome,
    RuleSpec,
    StageSpec,
    StepSpec,
)
from workflows.registry import Registry

__all__ = [
    "COMPUTED_ANCHORS",
    "FIELD_TYPES",
    "RULE_KINDS",
    "Citation",
    "Definition",
    "DefinitionError",
    "FieldSpec",
    "Outcome",
    "Problem",
    "Registry",
    "RuleSpec",
    "StageSpec",
    "StepSpec",
    "definition_to_data",
    "load_definition",
    "load_text",
]
