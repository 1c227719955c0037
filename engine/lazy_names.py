"""Package names loaded on first use (PEP 562), for the packages whose `__init__` re-exports names.

Why: `from engine import outlook` used to import every module of the engine, and `import
storage.errors` SQLAlchemy, the tables and every repository; a CLI command that reads one
candidate paid for all of it at each start (issue 19). With these, `from package import Name`
imports the one module that defines `Name`, and `package.Name` and `dir(package)` work as before.
"""
from __future__ import annotations

import sys
from importlib import import_module
from typing import Any, Callable, Mapping


def lazy_names(package: str, sources: Mapping[str, tuple[str, ...]]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module `__getattr__` and `__dir__` of `package`, whose names are `sources`' values,
    each defined in the module named by its key; a name is kept in the package once loaded."""
    where = {name: module for module, names in sources.items() for name in names}
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(import_module(module), name)
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__
