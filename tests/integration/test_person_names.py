"""The service that adds a person (the CLI's `person add`, tests, scripts) applies the one name rule
itself, so a name the ledger import would refuse on the way back cannot be stored: found when an
exported 45-character name failed its own re-import. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from engine.errors import DomainError
from services.organisation import directory
@pytest.mark.parametrize("name, ok", [("王" * 40, True), ("王" * 41, False), ("王\u200b五", False)])
def test_add_person_applies_the_name_rule(app, town, name, ok):
    if ok:
        assert directory.add_person(app, name, "男", date(1990, 1, 1)) > 0
    else:
        with pytest.raises(DomainError) as e:
            directory.add_person(app, name, "男", date(1990, 1, 1))
        assert e.value.violations[0].code == "person.name"
