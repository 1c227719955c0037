"""Generated documents: the standard forms of 发展党员 (备案报告, 公示, 函调函, 决议, 批复, 决定,
档案目录) filled from a candidate's recorded facts into Word files.

Pure — no database, no clock: `services.materials.documents` builds the facts from the record;
this package knows the forms (forms.yaml) and fills their templates (docxtpl). A township
replaces a template with its own .docx of the same name (docs/documents.md).
"""
from .forms import FORMS, FormSpec, file_name, form
from .render import BLANK, ENV_VAR, PACKAGED, find_template, render, tags, template_dirs

__all__ = ["BLANK", "ENV_VAR", "FORMS", "PACKAGED", "FormSpec", "file_name", "find_template", "form", "render", "tags", "template_dirs"]
