"""Reading a run's inputs from the record: a constant number of set-based queries, whatever the number of
officers (population; casework cells in one GROUP BY; returns, visits, events, mentoring sessions: one
aggregate each; visit coverage: the outreach coverage computation grouped by officer).

The inputs are canonical JSON (sorted keys and rows), stored gzip-compressed with their SHA-256 beside the
run: ``scoring.score_run(inputs)`` recomputes the results exactly, and reading the record again for the
same window and comparing the hash shows whether the record behind a published run has changed since.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy
import scipy
import statsmodels
from django.db.models import QuerySet

from grassroots.workforce.models import Unit

from . import indicators as ind
from .definition import METHOD_VERSION, canonical_json
from .indicators import CELL_KEYS, CELL_MEASURES, Window
from .models import SchemeVersion
from .population import OFFICER_COLUMNS, population, population_officers
from .scoring import COUNT_COLUMNS

Progress = Callable[[str, int, int], None]
INPUTS_FORMAT = "grassroots-evaluation-inputs/1"
PHASES = ("population", "casework", "returns", "visits", "outreach events", "mentoring", "visit coverage")


def _quiet(phase: str, done: int, total: int) -> None:
    return None


def library_versions() -> dict[str, str]:
    return {"numpy": numpy.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__}


def extract_inputs(
    *, window: Window, scheme_version: SchemeVersion, unit: Unit | None = None, progress: Progress = _quiet
) -> dict[str, Any]:
    total = len(PHASES)
    progress("population", 0, total)
    facts = population(window, unit)
    ids = {f.officer_id for f in facts}
    # A whole-organisation run reads everything (no list of ids in the SQL); a unit's run filters by a subquery.
    officers: QuerySet | None = population_officers(window, unit).values("id") if unit is not None else None
    progress("casework", 1, total)
    cells = [c for c in ind.casework_cells(window, officers) if c["officer"] in ids]
    progress("returns", 2, total)
    returns = ind.returns_by_officer(window, officers)
    progress("visits", 3, total)
    visits = ind.visits_by_officer(window, officers)
    progress("outreach events", 4, total)
    events = ind.events_by_officer(window, officers)
    progress("mentoring", 5, total)
    mentoring = ind.mentoring_by_officer(window, officers)
    progress("visit coverage", 6, total)
    coverage = ind.coverage_by_officer(window, officers)
    count_rows = []
    for officer_id in sorted(ids):
        held, circuit = events.get(officer_id, (0, 0))
        assigned, covered = coverage.get(officer_id, (0, 0))
        count_rows.append(
            [officer_id, returns.get(officer_id, 0), visits.get(officer_id, 0), held, circuit,
             mentoring.get(officer_id, 0), assigned, covered]
        )  # fmt: skip
    cell_rows = sorted(
        (
            [c[k] if c[k] is not None else "" for k in CELL_KEYS] + [c[m] for m in CELL_MEASURES]
            for c in cells
        ),
        key=lambda row: [str(v) for v in row[: len(CELL_KEYS)]],
    )
    return {
        "format": INPUTS_FORMAT,
        "method": METHOD_VERSION,
        "period": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "as_of": window.as_of.isoformat(),
            "days": window.days,
            "coverage_day": window.day.isoformat(),
        },
        "unit": unit.pk if unit is not None else None,
        "scheme": {
            "code": scheme_version.scheme.code,
            "version": scheme_version.number,
            "sha256": scheme_version.definition_sha256,
            "definition": scheme_version.definition,
        },
        "officers": {"columns": list(OFFICER_COLUMNS), "rows": [f.row() for f in facts]},
        "cells": {"columns": [*CELL_KEYS, *CELL_MEASURES], "rows": cell_rows},
        "counts": {"columns": list(COUNT_COLUMNS), "rows": count_rows},
    }


def encode_inputs(inputs: dict[str, Any]) -> tuple[bytes, str]:
    """Compressed canonical JSON and the SHA-256 of the (uncompressed) canonical JSON."""
    text = canonical_json(inputs).encode()
    return gzip.compress(text, compresslevel=6, mtime=0), hashlib.sha256(text).hexdigest()


def decode_inputs(blob: bytes | memoryview) -> dict[str, Any]:
    return json.loads(gzip.decompress(bytes(blob)))


def window_of(run: Any) -> Window:
    as_of = run.as_of if isinstance(run.as_of, datetime) else datetime.fromisoformat(str(run.as_of))
    return Window(run.period_start, run.period_end, as_of)
