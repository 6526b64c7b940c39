import pytest
from django.core.management import CommandError, call_command

from grassroots.casework.categories import (
    CategoryIndex,
    category_catalogue_load,
    category_full_name,
    dispute_type_resolve,
)
from grassroots.casework.models import Category, DisputeType, Request
from grassroots.casework.services import IntakeInput, request_intake
from grassroots.common.errors import Forbidden, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.routing.data import load_lawbench_disputes, shared_data_dir

pytestmark = pytest.mark.django_db

HEADER = "一级分类,二级分类,三级分类\n"


@pytest.fixture
def shared_routing_data():
    if not shared_data_dir().is_dir():
        pytest.skip(f"shared reference data not found at {shared_data_dir()}")
    return shared_data_dir()


def write(tmp_path, body, name="tree.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_loader_builds_three_levels_with_deterministic_codes(tmp_path):
    path = write(
        tmp_path,
        "城乡建设,安全生产,事故处理\n城乡建设,安全生产,安全隐患\n城乡建设,市政管理,路灯\n民政,救助,低保\n",
    )
    report = category_catalogue_load(actor=None, path=path)
    assert report.created == 9
    leaf = Category.objects.get(name="安全隐患")
    assert (leaf.code, leaf.path) == ("010102", "01/0101/010102/")
    assert leaf.parent.parent.name == "城乡建设"
    assert Category.objects.get(name="低保").code == "020101"
    assert category_full_name(leaf) == "城乡建设/安全生产/安全隐患"
    assert AuditEntry.objects.filter(action="category.catalogue_load").count() == 1


def test_loader_is_idempotent_and_adds_new_rows(tmp_path):
    path = write(tmp_path, "城乡建设,安全生产,事故处理\n民政,救助,低保\n")
    category_catalogue_load(actor=None, path=path)
    before = list(Category.objects.order_by("code").values_list("code", "name", "path", "parent_id"))
    again = category_catalogue_load(actor=None, path=path)
    assert (again.created, again.unchanged) == (0, 6)
    assert list(Category.objects.order_by("code").values_list("code", "name", "path", "parent_id")) == before
    bigger = write(tmp_path, "民政,救助,特困供养\n城乡建设,安全生产,事故处理\n民政,救助,低保\n", "b.csv")
    added = category_catalogue_load(actor=None, path=bigger)
    assert added.created == 1
    assert list(Category.objects.order_by("code").values_list("code", "name", "path", "parent_id"))[
        : len(before)
    ]
    new = Category.objects.get(name="特困供养")
    assert new.code == "020102" and new.parent.code == "0201"
    assert set(before) <= set(Category.objects.values_list("code", "name", "path", "parent_id"))


def test_default_source_is_the_shared_catalogue(shared_routing_data):
    report = category_catalogue_load(actor=None)
    leaves = Category.objects.filter(children__isnull=True).count()
    assert report.created == Category.objects.count() and leaves == 517
    assert Category.objects.filter(parent__isnull=True).count() == 15


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("城乡建设,安全生产\n", "row 2"),
        ("城乡建设,安全生产,事故处理\n民政,,低保\n", "row 3"),
        ("城乡建设,安全生产,事故处理\n城乡建设,安全生产,事故处理\n", "row 3"),
    ],
)
def test_bad_files_are_refused_naming_the_row(tmp_path, body, expected):
    path = write(tmp_path, body)
    with pytest.raises(ValidationFailed) as caught:
        category_catalogue_load(actor=None, path=path)
    assert expected in caught.value.errors[0].message
    assert not Category.objects.exists()
    with pytest.raises(CommandError, match=expected):
        call_command("load_categories", file=str(path))


def test_wrong_header_and_missing_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 1"):
        call_command("load_categories", file=str(path))
    with pytest.raises(CommandError, match="nope.csv"):
        call_command("load_categories", file=str(tmp_path / "nope.csv"))


def test_command_reports_counts(tmp_path, capsys):
    path = write(tmp_path, "民政,救助,低保\n")
    call_command("load_categories", file=str(path))
    call_command("load_categories", file=str(path))
    out = capsys.readouterr().out
    assert "3 categories added" in out and "0 categories added, 0 reactivated, 3 already there" in out


def test_only_admins_load(world, tmp_path):
    with pytest.raises(Forbidden):
        category_catalogue_load(actor=world.user_leader_a, path=write(tmp_path, "民政,救助,低保\n"))
    category_catalogue_load(actor=world.admin, path=write(tmp_path, "民政,救助,低保\n"))
    assert Category.objects.count() == 3


def test_category_index_by_path_and_unique_leaf(tmp_path):
    category_catalogue_load(actor=None, path=write(tmp_path, "甲,乙,丙\n甲,丁,丙\n甲,丁,戊\n"))
    index = CategoryIndex()
    assert index.find("甲/丁/丙")[0] == Category.objects.get(code="010201").pk
    assert index.find("甲 > 乙 > 丙")[0] == Category.objects.get(code="010101").pk
    assert index.find("戊")[0] == Category.objects.get(code="010202").pk
    assert "2 times" in index.find("丙")[1]
    assert index.find("己")[0] is None


def test_dispute_types_cover_the_routing_labels(world, shared_routing_data):
    labels = {example.label for example in load_lawbench_disputes()}
    assert len(labels) == 20
    names = set(DisputeType.objects.values_list("name", flat=True))
    assert labels <= names
    assert dispute_type_resolve("婚姻家庭") == "marriage_family"
    assert dispute_type_resolve("Labour") == "labour"
    DisputeType.objects.filter(code="labour").update(is_active=False)
    assert dispute_type_resolve("labour") is None


def intake(world, dispute_type):
    return request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(
            channel="window",
            kind="dispute",
            title="邻里排水纠纷",
            description="两户因排水沟发生争执",
            region=world.village_a1,
            reporter_resident=world.resident_a1,
            dispute_type=dispute_type,
        ),
    )


def test_intake_validates_and_stores_the_dispute_type_code(world):
    request, _ = intake(world, "邻里纠纷")
    assert request.dispute_type == "neighbour"
    with pytest.raises(ValidationFailed) as caught:
        intake(world, "打架斗殴")
    assert [e.field for e in caught.value.errors] == ["dispute_type"]
    assert Request.objects.count() == 1


def test_without_the_shared_data_the_built_in_catalogue_is_loaded(tmp_path, monkeypatch):
    from grassroots.casework.builtin import BUILTIN_CATALOGUE, BUILTIN_SOURCE

    monkeypatch.setenv("GRASSROOTS_SHARED_DATA", str(tmp_path / "absent"))
    report = category_catalogue_load(actor=None)
    assert report.source == BUILTIN_SOURCE
    leaves = sum(len(thirds) for seconds in BUILTIN_CATALOGUE.values() for thirds in seconds.values())
    assert Category.objects.filter(children__isnull=True).count() == leaves
    assert set(Category.objects.filter(parent__isnull=True).values_list("name", flat=True)) == set(
        BUILTIN_CATALOGUE
    )
    leaf = Category.objects.get(name="拖欠工资")
    assert category_full_name(leaf) == "劳动和社会保障/工资报酬/拖欠工资"
    assert category_catalogue_load(actor=None).created == 0  # idempotent like a file


def test_a_named_file_that_is_missing_is_an_error_not_the_built_in_catalogue(tmp_path):
    with pytest.raises(ValidationFailed):
        category_catalogue_load(actor=None, path=tmp_path / "missing.csv")
    assert not Category.objects.exists()


def test_built_in_texts_are_deterministic_and_labelled_with_known_names():
    import random

    from grassroots.casework.builtin import BUILTIN_CATALOGUE, builtin_dispute_texts, builtin_request_texts

    requests = builtin_request_texts(random.Random(5))
    assert requests == builtin_request_texts(random.Random(5))
    assert {label for _, _, label in requests} == set(BUILTIN_CATALOGUE)
    assert all(title and body and "{" not in title + body for title, body, _ in requests)
    disputes = builtin_dispute_texts(random.Random(5))
    known = set(DisputeType.objects.values_list("name", flat=True))
    assert disputes and {label for _, label in disputes} <= known
    assert all("{" not in body for body, _ in disputes)
