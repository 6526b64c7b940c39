"""Import of household and resident registers (户籍/花名册) from the spreadsheets villages keep.

One row per resident (see docs/registers.md). The package is split along the way a file goes:

- ``readers``: the file is read as a stream (.xlsx through openpyxl's read-only mode, .csv in UTF-8 with or
  without BOM, or GBK/GB18030);
- ``columns``: its header row is mapped onto the register's columns;
- ``validation``: every row is checked in batches, with a handful of queries per batch (``lookups``) and
  none per row;
- ``writing``: nothing is written unless every row is valid; then all households, care tags and residents
  are written in bulk through the DB-API cursor (COPY on PostgreSQL, executemany elsewhere) inside one
  transaction together with one hash-chained audit entry, so a failure at any point leaves the registers
  unchanged;
- ``register``: ``register_import`` ties these together and returns an ``ImportReport`` (``report``);
- ``jobs``: pages run an import as an ``ImportJob``: small files in the request, large ones in a
  background thread that reports progress (see ``import_job_start``).
"""

from .columns import COLUMN_BY_KEY, COLUMNS, RELATIONSHIP_LABELS_ZH, Column
from .jobs import (
    JOB_ERROR_LIMIT,
    JOB_STALE_AFTER,
    _progress_file,
    import_job_claim,
    import_job_create,
    import_job_live,
    import_job_run,
    import_job_size,
    import_job_start,
)
from .readers import FileProblem
from .register import register_import
from .report import ImportReport, ProgressCallback, RowError
from .validation import BATCH_ROWS
from .writing import PROGRESS_EVERY

__all__ = [
    "BATCH_ROWS",
    "COLUMNS",
    "COLUMN_BY_KEY",
    "JOB_ERROR_LIMIT",
    "JOB_STALE_AFTER",
    "RELATIONSHIP_LABELS_ZH",
    "PROGRESS_EVERY",
    "Column",
    "FileProblem",
    "ImportReport",
    "ProgressCallback",
    "RowError",
    "_progress_file",
    "import_job_claim",
    "import_job_create",
    "import_job_live",
    "import_job_run",
    "import_job_size",
    "import_job_start",
    "register_import",
]
