"""What an import returns: the report with every problem found, and the progress callback's shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# progress(phase, rows_done, rows_total_or_None); phase is "validate" or "write".
ProgressCallback = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (the header is row 1; 0 = the file itself), column and reason."""

    row: int
    column: str
    message: str
    code: str = "invalid"

    def as_tuple(self) -> tuple[int, str, str]:
        return (self.row, self.column, self.message)


@dataclass
class ImportReport:
    file_name: str
    sha256: str = ""
    dry_run: bool = False
    rows_read: int = 0
    # Created, or (in a dry run or a rejected import) that would be created.
    households: int = 0
    residents: int = 0
    first_number: str = ""
    last_number: str = ""
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors

    def as_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "households": self.households,
            "residents": self.residents,
            "first_number": self.first_number,
            "last_number": self.last_number,
            "committed": self.committed,
            "error_count": len(self.errors),
            "errors": [[e.row, e.column, e.message, e.code] for e in errors],
        }
