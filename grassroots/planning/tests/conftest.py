from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

CURTOIS_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "rostering" / "curtois"


@pytest.fixture
def curtois_dir() -> Path:
    if not CURTOIS_DIR.is_dir():
        pytest.skip(f"benchmark instances not found at {CURTOIS_DIR} (../shared/data is absent)")
    return CURTOIS_DIR
