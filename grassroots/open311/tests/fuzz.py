"""Schemathesis, driven from a description: every operation, a bounded number of generated cases each
(positive and negative data; derandomized, so every run sends the same cases), each answer checked; the counts of the run are kept.

The cases are sent to the Django application in process (WSGI), inside the test's database transaction.
A failing check is recorded, not raised at once, so that one run reports every operation."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
TITLE = re.compile(r"^- (?:ST\d+ )?(.+)$", re.M)


@dataclass
class Run:
    name: str
    operations: int = 0
    cases: int = 0
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, Counter] = defaultdict(Counter)
        examples: dict[str, str] = {}
        for failure in self.failures:
            operation = failure.split(" [", 1)[0]
            for title in TITLE.findall(failure) or ["(no title)"]:
                kinds[operation][title] += 1
                examples.setdefault(f"{operation}: {title}", failure)
        return {
            "schema": self.name,
            "operations": self.operations,
            "cases": self.cases,
            "failures": len(self.failures),
            "failures_by_operation": {op: dict(c) for op, c in sorted(kinds.items())},
            "statuses": {op: dict(sorted(c.items())) for op, c in sorted(self.statuses.items())},
            "skipped": self.skipped,
            "examples": examples,
        }

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"schemathesis-{self.name}.json"
        path.write_text(json.dumps(self.summary(), ensure_ascii=False, indent=2))
        return path


def fuzz(
    schema: Any,
    *,
    name: str,
    base_url: str,
    checks: list[Callable],
    max_examples: int,
    prepare: Callable[[Any, Any], None] | None = None,
    headers: dict[str, str] | None = None,
) -> Run:
    """Run ``max_examples`` cases per operation and generation mode through ``checks``."""
    run = Run(name)
    with connection_kept():
        for result in schema.get_all_operations():
            try:
                operation = result.ok()
            except Exception as error:  # an operation the description itself gets wrong
                run.skipped.append(str(error)[:200])
                continue
            run.operations += 1
            for mode in MODES:
                _fuzz_operation(run, operation, mode, base_url, checks, max_examples, prepare, headers)
    return run


@contextmanager
def connection_kept() -> Iterator[None]:
    """As Django's test client does: the database connection is not closed around each request, so that
    every case runs inside the test's transaction (and sees its data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz_operation(run, operation, mode, base_url, checks, max_examples, prepare, headers) -> None:
    label = operation.label

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def one(case, data) -> None:
        if prepare is not None:
            prepare(case, data)
        run.cases += 1
        response = case.call(base_url=base_url, headers=headers)
        run.statuses[label][str(response.status_code)] += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as error:  # a FailureGroup, or a custom check's assertion
            text = f"{label} [{mode.value}] {response.status_code}: {str(error).strip()[:1500]}"
            run.failures.append(text)

    try:
        one()
    except Unsatisfiable:  # e.g. no negative case exists for an operation without parameters
        run.skipped.append(f"{label} [{mode.value}]: no case could be generated")
