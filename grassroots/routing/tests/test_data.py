import json
from collections import Counter

import pytest

from grassroots.routing.data import (
    RoutingDataError,
    load_category_taxonomy,
    load_gov_messages,
    load_labelled_csv,
    load_lawbench_disputes,
)


def test_gov_messages_are_read_with_their_quirks_cleaned(shared_routing_data):
    messages = load_gov_messages()
    assert len(messages) == 303
    counts = Counter(m.label for m in messages)
    assert len(counts) == 7 and counts["劳动和社会保障"] == 73
    assert all(m.title and m.body for m in messages)
    assert not any(m.title != m.title.strip() or m.title.endswith("\xa0") for m in messages)
    # The sample holds message 37042 twice, labelled once 城乡建设 and once 劳动和社会保障; both are kept.
    assert len({m.source_id for m in messages}) == 302


def test_lawbench_dispute_types_are_read(shared_routing_data):
    questions = load_lawbench_disputes()
    assert len(questions) == 500
    counts = Counter(q.label for q in questions)
    assert len(counts) == 20 and set(counts.values()) == {25}
    assert all(q.body and not q.title for q in questions)


def test_the_taxonomy_is_a_three_level_tree(shared_routing_data):
    root = load_category_taxonomy()
    assert len(root.children) == 15
    paths = root.paths()
    assert len(paths) == 517 and all(len(path) == 3 for path in paths)
    assert ("城乡建设", "安全生产", "事故处理") in paths
    labour = root.child("劳动和社会保障")
    assert labour.children and all(node.children for node in labour.children)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_an_organisation_export_is_read(tmp_path):
    path = write(
        tmp_path,
        "history.csv",
        "编号,标题,内容,补充,部门\n1,\t路灯坏了 ,村口路灯,已一周,城乡建设\n2,,老板欠薪\u3000,,人社局\n\n",
    )
    rows = load_labelled_csv(path, text_columns=["内容", "补充"], label_column="部门", title_column="标题")
    assert [(r.title, r.body, r.label) for r in rows] == [
        ("路灯坏了", "村口路灯\n已一周", "城乡建设"),
        ("", "老板欠薪", "人社局"),
    ]


def test_a_malformed_csv_is_rejected_naming_the_file_and_row(tmp_path):
    path = write(tmp_path, "bad.csv", "text,label\n路灯坏了,城乡建设\n老板欠薪,人社局,多余\n")
    with pytest.raises(RoutingDataError, match=r"bad\.csv, row 3: expected 2 cells") as caught:
        load_labelled_csv(path, text_columns=["text"], label_column="label")
    assert caught.value.row == 3
    path = write(tmp_path, "nolabel.csv", 'text,label\n路灯坏了,城乡建设\n"多行\n文本",\n')
    with pytest.raises(RoutingDataError, match="row 3: the label column label is empty"):
        load_labelled_csv(path, text_columns=["text"], label_column="label")
    path = write(tmp_path, "notext.csv", "text,label\n ,城乡建设\n")
    with pytest.raises(RoutingDataError, match="row 2: the text is empty"):
        load_labelled_csv(path, text_columns=["text"], label_column="label")
    with pytest.raises(RoutingDataError, match="missing column"):
        load_labelled_csv(path, text_columns=["内容"], label_column="label")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\n路灯,城乡\n".encode("gbk"))
    with pytest.raises(RoutingDataError, match="not UTF-8"):
        load_labelled_csv(latin, text_columns=["text"], label_column="label")


def test_a_gov_messages_file_without_its_columns_is_rejected(tmp_path):
    path = write(tmp_path, "gov.csv", "留言主题,留言详情\n路灯,坏了\n")
    with pytest.raises(RoutingDataError, match=r"gov\.csv, row 1: missing column"):
        load_gov_messages(path)


def test_a_malformed_taxonomy_is_rejected(tmp_path):
    path = write(
        tmp_path,
        "tax.csv",
        "一级分类,二级分类,三级分类\n城乡建设,安全生产,事故处理\n城乡建设,安全生产,事故处理\n",
    )
    with pytest.raises(RoutingDataError, match="row 3: duplicate category"):
        load_category_taxonomy(path)
    path = write(tmp_path, "tax2.csv", "一级分类,二级分类,三级分类\n城乡建设,,事故处理\n")
    with pytest.raises(RoutingDataError, match="row 2: every level must be named"):
        load_category_taxonomy(path)


def test_malformed_lawbench_records_are_rejected(tmp_path):
    path = write(
        tmp_path, "law.json", json.dumps([{"question": "离婚", "answer": "婚姻家庭"}, {"question": "x"}])
    )
    with pytest.raises(RoutingDataError, match=r"law\.json, row 2: answer is missing"):
        load_lawbench_disputes(path)
    path = write(tmp_path, "broken.json", "[{")
    with pytest.raises(RoutingDataError, match="not a readable JSON"):
        load_lawbench_disputes(path)
