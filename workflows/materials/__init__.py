"""Materials as data (材料清单): what each step of a definition needs on paper.

National lists per definition family and version (`national/*.yaml`), township overrides that add
or tighten (`local/*.yaml`), validated like the definitions; docs/materials.md says where each
national item comes from and why the lists are an overlay on pinned versions.
"""
from workflows.materials.catalogue import available_overrides, catalogue_for
from workflows.materials.loader import Materials, MaterialsError, load, load_all
from workflows.materials.model import (
    CONDITIONS,
    GENERATED_KINDS,
    MISSING_MODES,
    CatalogueStep,
    MaterialCatalogue,
    MaterialSpec,
)

__all__ = [
    "CONDITIONS",
    "GENERATED_KINDS",
    "MISSING_MODES",
    "CatalogueStep",
    "MaterialCatalogue",
    "MaterialSpec",
    "Materials",
    "MaterialsError",
    "available_overrides",
    "catalogue_for",
    "load",
    "load_all",
]
