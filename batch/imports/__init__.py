"""Importers of open data: places (national standard v1.0.2 and v0.1, France Services list) and communes."""

from batch.imports.communes import import_communes
from batch.imports.lieux import import_lieux
from batch.imports.report import FileReport, ImportReport, RowIssue

__all__ = ["FileReport", "ImportReport", "RowIssue", "import_communes", "import_lieux"]
