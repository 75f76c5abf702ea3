"""What an import did, file by file: counts, refused rows with their reasons, whole-file failures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowIssue:
    """One row of a file: ``row`` is the 1-based position of the record (JSON element, CSV data line)."""

    row: int
    id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "reason": self.reason}

    def line(self) -> str:
        who = f" (id {self.id})" if self.id else ""
        return f"row {self.row}{who}: {self.reason}"


@dataclass
class FileReport:
    """Counts are of the entities written (structures, or communes), ``rows`` of the records read.

    ``warnings`` are rows taken with a value dropped or cleaned; ``details`` holds counts specific to a
    kind of file (postal codes added, records of a type not imported...).
    """

    path: str
    format: str | None = None
    rows: int = 0
    taken: int = 0
    updated: int = 0
    unchanged: int = 0
    # rows that differ from the stored version but are not newer by date_maj: the stored version stands
    stale: int = 0
    refused: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    details: dict[str, int] = field(default_factory=dict)
    failed: str | None = None

    def refuse(self, row: int, source_id: str | None, reason: str) -> None:
        self.refused.append(RowIssue(row, source_id, reason))

    def warn(self, row: int, source_id: str | None, reason: str) -> None:
        self.warnings.append(RowIssue(row, source_id, reason))

    def fail(self, reason: str) -> None:
        """The whole file is refused: nothing of it was written, so nothing of it is counted."""
        self.failed = reason
        self.taken = self.updated = self.unchanged = self.stale = 0
        self.refused.clear()
        self.warnings.clear()
        self.details.clear()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "rows": self.rows,
            "taken": self.taken,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "stale": self.stale,
            "refused": [issue.to_dict() for issue in self.refused],
            "warnings": [issue.to_dict() for issue in self.warnings],
            "details": dict(self.details),
            "failed": self.failed,
        }

    def line(self) -> str:
        name = self.path.rsplit("/", 1)[-1]
        kind = f" [{self.format}]" if self.format else ""
        if self.failed is not None:
            return f"{name}{kind}: FAILED, nothing written: {self.failed}"
        extra = "".join(f", {value} {key.replace('_', ' ')}" for key, value in self.details.items())
        return (
            f"{name}{kind}: {self.rows} rows; {self.taken} taken, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.stale} not newer than stored, "
            f"{len(self.refused)} refused, {len(self.warnings)} warnings{extra}"
        )


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(report.failed is None for report in self.files)

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "failed": sum(1 for report in self.files if report.failed is not None),
            "rows": sum(report.rows for report in self.files),
            "taken": sum(report.taken for report in self.files),
            "updated": sum(report.updated for report in self.files),
            "unchanged": sum(report.unchanged for report in self.files),
            "stale": sum(report.stale for report in self.files),
            "refused": sum(len(report.refused) for report in self.files),
            "warnings": sum(len(report.warnings) for report in self.files),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "totals": self.totals(), "files": [report.to_dict() for report in self.files]}

    def summary(self) -> str:
        lines = [report.line() for report in self.files]
        t = self.totals()
        lines.append(
            f"total: {t['files']} files ({t['failed']} failed), {t['rows']} rows; {t['taken']} taken, "
            f"{t['updated']} updated, {t['unchanged']} unchanged, {t['stale']} not newer than stored, "
            f"{t['refused']} refused, "
            f"{t['warnings']} warnings"
        )
        for report in self.files:
            if report.refused:
                lines.append(f"refused in {report.path.rsplit('/', 1)[-1]}:")
                lines.extend(f"  {issue.line()}" for issue in report.refused)
        return "\n".join(lines)
