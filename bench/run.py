#!/usr/bin/env python3
"""Run the benchmarks: ``python bench/run.py [--only demo,import] [--scale county] [--pg]``.

Every module ``bench/bench_<name>.py`` exposes ``run(options) -> list[dict]``; each dict has ``name``,
``value`` and ``unit``, and may have ``reference_value`` (a reference measured in the same run),
``ratio`` (measured / reference), ``median`` and ``notes``. The table is printed and the results are
written to ``var/bench/latest.json`` (with the machine, the time and the options).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUTPUT = ROOT / "var" / "bench" / "latest.json"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def discover() -> dict[str, Path]:
    return {path.stem.removeprefix("bench_"): path for path in sorted(BENCH.glob("bench_*.py"))}


def load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(results: list[dict[str, Any]]) -> str:
    headers = ["benchmark", "value", "unit", "reference", "ratio", "median"]
    rows = [
        [
            r["name"],
            _cell(r.get("value")),
            r.get("unit", ""),
            _cell(r.get("reference_value")),
            _cell(r.get("ratio")),
            _cell(r.get("median")),
        ]
        for r in results
    ]
    widths = [max(_width(x) for x in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
    notes = [f"  {r['name']}: {r['notes']}" for r in results if r.get("notes")]
    return "\n".join(lines + (["", "notes:", *notes] if notes else []))


def validate(module: str, results: Any) -> list[dict[str, Any]]:
    if not isinstance(results, list):
        raise TypeError(f"bench_{module}.run() must return a list of dicts")
    for row in results:
        missing = {"name", "value", "unit"} - set(row)
        if missing:
            raise TypeError(f"bench_{module}: result {row!r} lacks {', '.join(sorted(missing))}")
    return results


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(description="Run the Grassroots benchmarks.")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(available)}")
    parser.add_argument(
        "--scale", default=None, help="data scale (each benchmark has its default, e.g. county on SQLite)"
    )
    parser.add_argument("--pg", action="store_true", help="run against PostgreSQL instead of SQLite")
    parser.add_argument("--pg-server", default=os.environ.get("BENCH_PG_SERVER", PG_SERVER))
    parser.add_argument("--households", type=int, default=None, help="override the household count")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    options = parser.parse_args(argv)
    chosen = [n.strip() for n in options.only.split(",") if n.strip()] or list(available)
    unknown = [n for n in chosen if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")

    results: list[dict[str, Any]] = []
    failures: dict[str, str] = {}
    for name in chosen:
        print(f"==> bench_{name}", flush=True)
        started = time.perf_counter()
        try:
            rows = validate(name, load(name, available[name]).run(options))
        except Exception:  # one failing benchmark must not hide the others' figures
            failures[name] = traceback.format_exc()
            print(failures[name], file=sys.stderr, flush=True)
            continue
        for row in rows:
            row.setdefault("module", name)
        results.extend(rows)
        print(f"    {len(rows)} figures in {time.perf_counter() - started:.1f}s", flush=True)

    print()
    print(table(results))
    options.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(options).items()},
        "results": results,
        "failures": failures,
    }
    options.output.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\nwritten to {options.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
