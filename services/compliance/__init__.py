"""Compliance (合规检查) for a logged-in user: the audit findings of `partyflow audit`
(services/compliance/audit.py) over the organisations the user reads, filtered, in plain Chinese
(`findings.py`)."""
from services.compliance.findings import KIND_NAMES, SOURCE_NAMES, findings_for, period_choices

__all__ = ["KIND_NAMES", "SOURCE_NAMES", "findings_for", "period_choices"]
