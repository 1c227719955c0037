"""台账导入 from the web: an uploaded file kept under a token, its preview, confirm and undo.

A thin layer over `services/ledger/intake.py` (the CLI's import): the same reader, the same plan, the
same one-transaction confirm and the same undo refusals. What it adds is what a web user needs:
who may import into which organisation (`scope`), the upload kept between the preview and the
confirmation, checked by its content and converted from CSV when needed (`uploads`), and the
service's messages worded for a page instead of a terminal (no commands, no ids: `flow`).
"""
from services.imports.flow import confirm_upload, history, import_item, preview_upload, undo_import
from services.imports.scope import importable_orgs, import_org
from services.imports.uploads import UploadTooLarge, discard, store_upload

__all__ = ["confirm_upload", "history", "import_item", "preview_upload", "undo_import", "importable_orgs", "import_org",
           "UploadTooLarge", "discard", "store_upload"]
