"""``register_import``: read, check and (when every row is valid) write one register file."""

from __future__ import annotations

import logging
import os
from typing import IO, Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from grassroots.common.errors import Forbidden
from grassroots.common.scoping import Actor, as_actor

from .readers import FileProblem, binary, open_source, scan
from .report import ImportReport, ProgressCallback, RowError
from .validation import validate
from .writing import write_register

logger = logging.getLogger(__name__)


def register_import(
    *,
    actor: Actor | Any,
    path_or_file: str | os.PathLike[str] | IO[bytes],
    file_name: str,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate a register file and, unless ``dry_run`` or any row has an error, write all of it.

    Returns the report; raises ``Forbidden`` for roles that may not write households.
    """
    actor = as_actor(actor)
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Your role may not import registers")
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    with binary(path_or_file) as handle:
        report.sha256, lines, utf8 = scan(handle)
        try:
            source = open_source(handle, file_name, lines, utf8)
            validator = validate(actor, source, report, progress)
        except FileProblem as exc:
            report.errors.append(RowError(0, "", str(exc), "file"))
            return report
    if validator is None:
        return report
    report.errors = validator.errors
    report.households = len(validator.households)
    report.residents = len(validator.residents)
    numbers = sorted(validator.households)
    report.first_number, report.last_number = (numbers[0], numbers[-1]) if numbers else ("", "")
    if report.rows_read == 0 and not report.errors:
        report.errors.append(RowError(2, "", _("the file has no data rows"), "empty"))
    if dry_run or report.errors:
        return report
    try:
        write_register(actor, validator, report, progress)
    except IntegrityError:
        # Someone registered one of these households or ID numbers after validation: nothing was written.
        logger.warning("register import of %s lost a race and was rolled back", file_name, exc_info=True)
        report.errors.append(
            RowError(
                0,
                "",
                _("the registers changed while importing; nothing was written, check the file again"),
                "conflict",
            )
        )
        return report
    report.committed = True
    return report
