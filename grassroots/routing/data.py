"""Loaders for labelled routing data: the shared reference files and an organisation's own exports.

The reference files are read where they are (``../shared/data/routing/`` beside the project, or the folder
named by ``GRASSROOTS_SHARED_DATA``); they are never copied into the repository. Every loader raises
:class:`RoutingDataError` naming the file and, for tabular files, the row (counted as a spreadsheet shows
it: the header is row 1) when the input is malformed.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grassroots.routing.text import PROJECT_ROOT

GOV_MESSAGES_FILE = "gov_messages_labelled.csv"
LAWBENCH_FILE = "lawbench_2-4_dispute_types.json"
TAXONOMY_FILE = "gov_category_taxonomy.csv"

GOV_MESSAGE_COLUMNS = ("留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级分类")
TAXONOMY_COLUMNS = ("一级分类", "二级分类", "三级分类")


class RoutingDataError(ValueError):
    """Malformed labelled data; the message names the file and the row."""

    def __init__(self, path: Path | str, message: str, row: int | None = None) -> None:
        self.path = Path(path)
        self.row = row
        where = f"{self.path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class LabelledText:
    """One labelled example: a title (may be empty), a body and the label (category or dispute type)."""

    title: str
    body: str
    label: str
    source_id: str = ""


@dataclass
class CategoryNode:
    """One node of a category tree; ``children`` keep the order of the file."""

    name: str
    children: list[CategoryNode] = field(default_factory=list)

    def child(self, name: str) -> CategoryNode:
        for node in self.children:
            if node.name == name:
                return node
        node = CategoryNode(name)
        self.children.append(node)
        return node

    def paths(self) -> list[tuple[str, ...]]:
        """Every root-to-leaf path below this node (the node itself excluded)."""
        if not self.children:
            return [()]
        return [(node.name, *rest) for node in self.children for rest in node.paths()]


def shared_data_dir() -> Path:
    """The folder holding the shared routing files (``GRASSROOTS_SHARED_DATA`` or ``../shared/data/routing``)."""
    configured = os.environ.get("GRASSROOTS_SHARED_DATA")
    if configured:
        return Path(configured) / "routing"
    return PROJECT_ROOT.parent / "shared" / "data" / "routing"


def shared_file(name: str) -> Path:
    path = shared_data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"shared routing data not found: {path}")
    return path


def _clean_cell(value: str | None) -> str:
    # Cells carry stray tabs, ideographic and non-breaking spaces at their ends.
    return (value or "").strip().strip("\u3000\xa0").strip()


def _read_csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (spreadsheet row number, cells) of a UTF-8 CSV (with or without a byte-order mark)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                header = [_clean_cell(cell) for cell in next(reader)]
            except StopIteration:
                raise RoutingDataError(path, "the file is empty") from None
            rows = []
            for cells in reader:
                # reader.line_num is the physical line where the record ends; quoted cells may span lines,
                # so count records instead: the header is row 1.
                rows.append((len(rows) + 2, cells))
    except UnicodeDecodeError as error:
        raise RoutingDataError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise RoutingDataError(path, f"not a readable CSV file ({error})") from None
    return header, rows


def load_labelled_csv(
    path: Path | str,
    *,
    text_columns: Sequence[str],
    label_column: str,
    title_column: str | None = None,
    id_column: str | None = None,
) -> list[LabelledText]:
    """Labelled examples from any UTF-8 CSV export (an organisation's own request history).

    ``title_column`` (optional) becomes the title; ``text_columns`` are joined into the body. Rows whose
    text is blank are rejected rather than skipped, so a broken export is noticed.
    """
    path = Path(path)
    header, rows = _read_csv_rows(path)
    wanted = [*text_columns, label_column, *([title_column] if title_column else [])]
    wanted += [id_column] if id_column else []
    missing = [name for name in wanted if name not in header]
    if missing:
        raise RoutingDataError(
            path, f"missing column(s) {', '.join(missing)}; the header has {', '.join(header)}"
        )
    index = {name: header.index(name) for name in wanted}
    examples = []
    for row_number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise RoutingDataError(
                path, f"expected {len(header)} cells as in the header, found {len(cells)}", row_number
            )
        label = _clean_cell(cells[index[label_column]])
        if not label:
            raise RoutingDataError(path, f"the label column {label_column} is empty", row_number)
        title = _clean_cell(cells[index[title_column]]) if title_column else ""
        body = "\n".join(
            value for value in (_clean_cell(cells[index[name]]) for name in text_columns) if value
        )
        if not (title or body):
            raise RoutingDataError(path, "the text is empty", row_number)
        source_id = _clean_cell(cells[index[id_column]]) if id_column else str(row_number)
        examples.append(LabelledText(title=title, body=body, label=label, source_id=source_id))
    if not examples:
        raise RoutingDataError(path, "no labelled rows")
    return examples


def load_gov_messages(path: Path | str | None = None) -> list[LabelledText]:
    """The government message board sample: title 留言主题, body 留言详情, label 一级分类 (7 departments)."""
    path = Path(path) if path is not None else shared_file(GOV_MESSAGES_FILE)
    header, _ = _read_csv_rows(path)
    missing = [name for name in GOV_MESSAGE_COLUMNS if name not in header]
    if missing:
        raise RoutingDataError(path, f"missing column(s) {', '.join(missing)}", 1)
    return load_labelled_csv(
        path,
        text_columns=["留言详情"],
        label_column="一级分类",
        title_column="留言主题",
        id_column="留言编号",
    )


def load_lawbench_disputes(path: Path | str | None = None) -> list[LabelledText]:
    """Legal consultation questions labelled with one of 20 dispute types (fields ``question``, ``answer``).

    A question is a single short text, so it becomes the body and the title stays empty.
    """
    path = Path(path) if path is not None else shared_file(LAWBENCH_FILE)
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RoutingDataError(path, f"not a readable JSON file ({error})") from None
    if not isinstance(records, list):
        raise RoutingDataError(path, "expected a JSON list of records")
    examples = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise RoutingDataError(path, "expected an object with question and answer", number)
        question, answer = record.get("question"), record.get("answer")
        if not isinstance(question, str) or not question.strip():
            raise RoutingDataError(path, "question is missing or empty", number)
        if not isinstance(answer, str) or not answer.strip():
            raise RoutingDataError(path, "answer is missing or empty", number)
        examples.append(
            LabelledText(title="", body=question.strip(), label=answer.strip(), source_id=str(number))
        )
    if not examples:
        raise RoutingDataError(path, "no records")
    return examples


def load_category_taxonomy(path: Path | str | None = None) -> CategoryNode:
    """The three-level category tree (一级分类 → 二级分类 → 三级分类) under an unnamed root.

    Every row must fill all three levels; a repeated path is rejected (it would seed a duplicate category).
    """
    path = Path(path) if path is not None else shared_file(TAXONOMY_FILE)
    header, rows = _read_csv_rows(path)
    if tuple(header) != TAXONOMY_COLUMNS:
        raise RoutingDataError(path, f"expected the columns {', '.join(TAXONOMY_COLUMNS)}", 1)
    root = CategoryNode("")
    seen: set[tuple[str, ...]] = set()
    for row_number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(TAXONOMY_COLUMNS):
            raise RoutingDataError(path, f"expected 3 cells, found {len(cells)}", row_number)
        levels = tuple(_clean_cell(cell) for cell in cells)
        if not all(levels):
            raise RoutingDataError(path, "every level must be named", row_number)
        if levels in seen:
            raise RoutingDataError(path, f"duplicate category {' / '.join(levels)}", row_number)
        seen.add(levels)
        node = root
        for name in levels:
            node = node.child(name)
    if not root.children:
        raise RoutingDataError(path, "no categories")
    return root


ENGLISH_SAMPLE = Path(__file__).resolve().parent / "samples" / "en_city_messages.csv"


def load_english_sample(path: Path | str = ENGLISH_SAMPLE) -> list[LabelledText]:
    """84 short English service requests, 12 for each of the seven first-level departments of the gov
    message sample. Unlike the reference files, this sample was written for the project (no real English
    labelled messages are available to it): it measures how routing treats English text, not how well it
    serves a real English-speaking office, which should train on its own history."""
    return load_labelled_csv(
        path, title_column="title", text_columns=["body"], label_column="label", id_column="id"
    )
