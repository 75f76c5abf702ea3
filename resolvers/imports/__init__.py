"""Importers of open data: places (national standard v1.0.2 and v0.1, France Services list) and communes."""

from resolvers.imports.communes import import_communes
from resolvers.imports.lieux import import_lieux
from resolvers.imports.report import FileReport, ImportReport, RowIssue

__all__ = ["FileReport", "ImportReport", "RowIssue", "import_communes", "import_lieux"]
