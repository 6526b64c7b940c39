import csv
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook

from grassroots.casework.history import replay_status
from grassroots.casework.importing.run import request_import
from grassroots.casework.models import Category, FollowUp, ImportMappingPreset, Request
from grassroots.common.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db

HEADER = ["工单编号", "登记时间", "标题", "内容", "诉求类型", "来源", "办理状态", "所属村", "来电人", "联系电话",
          "分类", "办结时间", "满意度", "承办单位"]  # fmt: skip
MAPPING = {
    "source": "lankao-12345",
    "columns": {"record_id": "工单编号", "created_at": "登记时间", "title": "标题", "description": "内容",
                "kind": "诉求类型", "channel": "来源", "status": "办理状态", "region": "所属村",
                "reporter_name": "来电人", "reporter_phone": "联系电话", "category": "分类",
                "resolved_at": "办结时间", "satisfaction": "满意度", "lead_unit": "承办单位"},
    "values": {"status": {"已归档(满意)": "closed"}, "channel": {"市长热线": "hotline"}},
    "defaults": {"urgency": "normal"},
}  # fmt: skip


def day(n, hour=9):
    moment = timezone.localtime() - timedelta(days=n)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).strftime("%Y-%m-%d %H:%M:%S")


def rows():
    return [
        ["A-1", day(60), "路灯不亮", "村口路灯坏了", "投诉", "市长热线", "已归档(满意)", "东街村", "刘大爷", "13800138000",
         "城乡建设/市政/路灯", day(55), "满意", "CA-T1"],
        ["A-2", day(40), "咨询低保", "如何申请低保", "咨询", "12345", "办结", "410225101001", "陈阿姨", "", "低保", day(39), "", ""],
        ["A-3", day(20), "排水沟堵", "排水沟堵了", "求助", "网站", "办理中", "城关镇/东街村", "", "", "", "", "", "城关人民法庭"],
        ["A-4", day(10), "邻里纠纷", "院墙纠纷", "纠纷", "窗口", "结案", "西村", "张三", "13900139000", "", day(5),
         "不满意", "CA-T2"],
    ]  # fmt: skip


def write_csv(tmp_path, data, name="history.csv", encoding="utf-8-sig"):
    path = tmp_path / name
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(data)
    return path


def run(world, path, **extra):
    return request_import(actor=world.user_officer_a1, path_or_file=path, file_name=path.name,
                          county=world.county_a, mapping=MAPPING, **extra)  # fmt: skip


def test_import_maps_columns_and_values_and_keeps_history(world, catalogue, tmp_path):
    report = run(world, write_csv(tmp_path, rows()))
    assert report.errors == [] and report.committed
    assert report.created == 4
    by_id = {r.events.first().data["record"]: r for r in Request.objects.all()}
    lamp = by_id["A-1"]
    assert (lamp.status, lamp.kind, lamp.channel) == ("closed", "complaint", "hotline")
    assert lamp.category == Category.objects.get(name="路灯")
    assert lamp.region == world.village_a1 and lamp.county == world.county_a
    assert lamp.reporter_phone_masked == "138****8000"
    assert lamp.units.get(role="lead").unit == world.tribunal_a1
    assert timezone.localtime(lamp.created_at).strftime("%Y-%m-%d %H:%M:%S") == rows()[0][1]
    assert FollowUp.objects.get(request=lamp).satisfaction == "satisfied"
    assert by_id["A-2"].category.name == "低保" and by_id["A-2"].region == world.village_a2
    assert by_id["A-3"].is_anonymous and by_id["A-3"].status == "in_progress"
    assert by_id["A-3"].units.get(role="lead").unit == world.tribunal_a1
    # 不满意 reopened the dispute before it was closed: two rounds in the trail.
    assert by_id["A-4"].reopen_count == 1
    for request in Request.objects.all():
        trail = list(request.events.order_by("at", "id").values_list("action", "from_status", "to_status"))
        assert replay_status(trail) == request.status


def test_reimport_never_duplicates(world, catalogue, tmp_path):
    path = write_csv(tmp_path, rows())
    run(world, path)
    again = run(world, path)
    assert (again.created, again.already_imported, again.committed) == (0, 4, True)
    more = run(world, write_csv(tmp_path, [*rows(), ["A-5", day(3), "新", "新内容", "咨询", "12345", "受理", "东街村",
                                                      "王五", "", "", "", "", ""]], "more.csv"))  # fmt: skip
    assert (more.created, more.already_imported) == (1, 4)
    assert Request.objects.count() == 5


def test_every_bad_row_is_reported_and_nothing_is_written(world, catalogue, tmp_path):
    data = rows()
    data[1][1] = "昨天"  # created_at
    data[2][6] = "搁置"  # unknown status
    data[3][7] = "南村"  # a place in the other county
    data[3][9] = "电话未留"  # not a phone number
    data.append(list(data[0]))  # the same record twice
    report = run(world, write_csv(tmp_path, data))
    assert not report.committed and report.created == 0
    found = {(e.row, e.column) for e in report.errors}
    assert {(3, "登记时间"), (4, "办理状态"), (5, "所属村"), (5, "联系电话"), (6, "工单编号")} <= found
    assert any("搁置" in e.message for e in report.errors)
    assert not Request.objects.exists()


def test_one_bad_row_blocks_the_whole_file(world, catalogue, tmp_path):
    data = rows()
    data[3][10] = "不存在的分类"
    report = run(world, write_csv(tmp_path, data))
    assert [(e.row, e.column) for e in report.errors] == [(5, "分类")]
    assert Request.objects.count() == 0


def test_dry_run_writes_nothing(world, catalogue, tmp_path):
    report = run(world, write_csv(tmp_path, rows()), dry_run=True)
    assert report.created == 4 and not report.committed and report.by_status["closed"] == 2
    assert not Request.objects.exists()


def test_xlsx_and_gbk_csv_are_read(world, catalogue, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows()[:2]:
        sheet.append(row)
    path = tmp_path / "history.xlsx"
    book.save(path)
    assert run(world, path).created == 2
    gbk = write_csv(tmp_path, rows()[2:], "gbk.csv", encoding="gb18030")
    assert run(world, gbk).created == 2


def test_wrong_mapping_and_scope(world, catalogue, tmp_path):
    path = write_csv(tmp_path, rows())
    with pytest.raises(ValidationFailed, match="Not imported") as caught:
        request_import(actor=world.admin, path_or_file=path, file_name="x.csv", county=world.county_a,
                       mapping={**MAPPING, "columns": {**MAPPING["columns"], "title": "主题"}})  # fmt: skip
    assert "主题" in caught.value.errors[0].message
    with pytest.raises(Forbidden):
        run(world, path) if False else request_import(actor=world.user_officer_b, path_or_file=path,
                                                      file_name="x.csv", county=world.county_a, mapping=MAPPING)  # fmt: skip
    with pytest.raises(Forbidden):
        request_import(
            actor=world.user_hr, path_or_file=path, file_name="x.csv", county=world.county_a, mapping=MAPPING
        )


def test_command_with_mapping_file_and_preset(world, catalogue, tmp_path, capsys):
    path = write_csv(tmp_path, rows())
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    call_command("import_requests", str(path), mapping=str(mapping_file), county="410225", username="officer_a1",
                 dry_run=True)  # fmt: skip
    assert "would create: 4 requests" in capsys.readouterr().out and not Request.objects.exists()
    ImportMappingPreset.objects.create(name="兰考12345", mapping=MAPPING)
    call_command("import_requests", str(path), mapping="兰考12345", county="410225", username="officer_a1")
    assert Request.objects.count() == 4
    bad = write_csv(
        tmp_path,
        [["A-9", "not a date", "t", "d", "咨询", "12345", "受理", "东街村", "x", "", "", "", "", ""]],
        "bad.csv",
    )
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_requests", str(bad), mapping="兰考12345", county="410225", username="officer_a1")
    assert "登记时间" in capsys.readouterr().out
