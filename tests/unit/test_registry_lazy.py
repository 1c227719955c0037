"""Registry.default() loads each shipped version when first asked for (issue 19, CLI start):
what it gives must be what loading every file at once gives (Registry.from_paths)."""
from __future__ import annotations

from datetime import date

import pytest

from workflows import registry as registry_module
from workflows.loader import DefinitionError
from workflows.registry import Registry, _Shipped, default_paths


def test_the_lazy_registry_gives_what_loading_every_file_gives():
    eager, lazy = Registry.from_paths(default_paths()), Registry(shipped=_Shipped(default_paths()))
    assert lazy.keys() == eager.keys() and all(k in lazy for k in eager.keys()) and "cpc_2014@9" not in lazy
    assert [(d.key, d.sha256) for d in lazy.definitions()] == [(d.key, d.sha256) for d in eager.definitions()]
    for day in (date(2014, 6, 10), date(2020, 1, 1), date(2026, 5, 11), date(2026, 6, 1)):
        for variants in (None, {"cpc_2014": "cpc_2014_notice7"}):
            assert lazy.for_date(day, variants).key == eager.for_date(day, variants).key
    assert lazy.get("cpc_2014").key == eager.get("cpc_2014").key


def test_a_version_is_loaded_when_first_asked_for_with_its_base_only():
    shipped = _Shipped(default_paths())
    reg = Registry(shipped=shipped)
    assert shipped._loaded == {}
    assert reg.get("cpc_2026@2").key == "cpc_2026@2"
    assert set(shipped._loaded) == {"cpc_2026@2", "cpc_2014@2", "cpc_2014@1"}  # the version and its bases
    again = Registry(shipped=shipped)  # another registry of the process shares the loaded versions
    assert again.get("cpc_2014@1") is reg.get("cpc_2014@1")
    assert Registry.default().get("cpc_2014@1") is registry_module._shipped().load("cpc_2014@1")


def test_adding_a_shipped_key_with_other_content_is_still_refused():
    shipped = _Shipped(default_paths())
    other = Registry.from_paths(default_paths()).get("cpc_2014@2")
    reg = Registry(shipped=shipped)
    from dataclasses import replace

    with pytest.raises(ValueError, match="已发布的版本不能修改"):
        reg.add(replace(other, version=1))  # key cpc_2014@1, the content of @2
    reg.add(Registry.from_paths(default_paths()).get("cpc_2014@1"))  # the same content: harmless


def test_a_broken_file_is_refused_when_its_version_is_used(tmp_path):
    base = next(p for p in default_paths() if p.name == "cpc_2014.yaml")
    (tmp_path / "base.yaml").write_text(base.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("id: broken\nversion: 1\nextends: cpc_2014@1\nsteps: 5\n", encoding="utf-8")
    shipped = _Shipped(sorted(tmp_path.glob("*.yaml")))
    reg = Registry(shipped=shipped)
    assert reg.get("cpc_2014@1").key == "cpc_2014@1"
    for _ in range(2):  # the same refusal each time
        with pytest.raises(DefinitionError):
            reg.get("broken@1")
    (tmp_path / "twice.yaml").write_text("id: broken\nversion: 1\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="重复"):
        _Shipped(sorted(tmp_path.glob("*.yaml")))
