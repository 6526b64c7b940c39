"""Apache ECharts, served as a local static file.

The library comes from the npm registry: ``grassroots/insights/frontend/package.json`` pins it (with its
lockfile), ``run.py`` installs it there with ``npm ci`` at set-up, and this finder offers the one built file
the pages load, ``echarts/echarts.min.js`` (and its licence), to ``collectstatic`` and the development
server. Nothing is fetched from a CDN and no copy is kept in the repository. Without the install the pages
still show every figure as tables; only the charts are missing (``echarts_available`` tells the templates).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

FRONTEND = Path(__file__).resolve().parent / "frontend"
PACKAGE = FRONTEND / "node_modules" / "echarts"
FILES = {
    "echarts/echarts.min.js": PACKAGE / "dist" / "echarts.min.js",
    "echarts/LICENSE": PACKAGE / "LICENSE",
}
PREFIX = "echarts"


def echarts_available() -> bool:
    return FILES["echarts/echarts.min.js"].is_file()


class EChartsFinder(BaseFinder):
    """Finds ``echarts/echarts.min.js`` in the npm install (and nothing else)."""

    def check(self, **kwargs: Any) -> list:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        target = FILES.get(path)
        if target is None or not target.is_file():
            return [] if find_all or kwargs.get("all") else ""
        return [str(target)] if find_all or kwargs.get("all") else str(target)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for target in FILES.values():
            if target.is_file():
                storage = FileSystemStorage(location=str(target.parent))
                storage.prefix = PREFIX
                yield target.name, storage
