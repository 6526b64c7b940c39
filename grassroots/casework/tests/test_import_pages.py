import pytest
from django.urls import reverse

from grassroots.casework.models import ImportMappingPreset, Request, RequestImportJob
from grassroots.casework.tests.test_import import MAPPING, rows, write_csv
from grassroots.common.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path, catalogue):
    settings.MEDIA_ROOT = tmp_path / "media"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client, tmp_path, data, county="410225", **extra):
    path = write_csv(tmp_path, data)
    with path.open("rb") as handle:
        return client.post(reverse("casework:import"), {"file": handle, "county": county, **extra})


def mapping_post(mapping=MAPPING, save_as=""):
    data = {"source": mapping["source"], "save_as": save_as, "default_kind": "", "default_channel": ""}
    for key, header in mapping["columns"].items():
        data[f"col_{key}"] = header
    for key, pairs in mapping["values"].items():
        data[f"values_{key}"] = "\n".join(f"{k} = {v}" for k, v in pairs.items())
    return data


def test_upload_map_check_confirm(client, world, tmp_path):
    login(client, world.user_officer_a1)
    assert "410225" in client.get(reverse("casework:import")).content.decode()
    response = upload(client, tmp_path, rows()[:3])
    job = RequestImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "casework:import-job", args=[job.pk]
    )
    page = client.get(response["Location"]).content.decode()
    # The mapping form offers the file's columns, with a first guess from the header names.
    assert 'value="工单编号" selected' in page and "办理状态" in page
    response = client.post(reverse("casework:import-job", args=[job.pk]), mapping_post(save_as="兰考12345"))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "validated" and job.report["created"] == 3
    assert ImportMappingPreset.objects.get(name="兰考12345").mapping["source"] == "lankao-12345"
    assert not Request.objects.exists()
    page = client.get(reverse("casework:import-job", args=[job.pk])).content.decode()
    assert reverse("casework:import-confirm", args=[job.pk]) in page
    client.post(reverse("casework:import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done" and Request.objects.count() == 3
    status = client.get(reverse("casework:import-status", args=[job.pk])).content.decode()
    assert "hx-trigger" not in status and "3" in status


def test_errors_are_listed_with_row_and_column(client, world, tmp_path):
    login(client, world.user_officer_a1)
    data = rows()
    data[1][1] = "昨天"
    upload(client, tmp_path, data)
    job = RequestImportJob.objects.get()
    client.post(reverse("casework:import-job", args=[job.pk]), mapping_post())
    page = client.get(reverse("casework:import-job", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == "rejected"
    assert "<td>3</td><td>登记时间</td>" in page
    assert reverse("casework:import-confirm", args=[job.pk]) not in page
    client.post(reverse("casework:import-confirm", args=[job.pk]))
    assert not Request.objects.exists()


def test_bad_mapping_is_refused_on_the_form(client, world, tmp_path):
    login(client, world.user_officer_a1)
    upload(client, tmp_path, rows())
    job = RequestImportJob.objects.get()
    data = mapping_post()
    data["col_region"] = ""
    response = client.post(reverse("casework:import-job", args=[job.pk]), data)
    assert response.status_code == 200 and "region must be mapped" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "queued"


def test_preset_fills_the_mapping(client, world, tmp_path):
    preset = ImportMappingPreset.objects.create(name="p", mapping=MAPPING)
    login(client, world.user_officer_a1)
    upload(client, tmp_path, rows(), preset=preset.pk)
    job = RequestImportJob.objects.get()
    assert job.mapping == MAPPING
    assert (
        'value="lankao-12345"' in client.get(reverse("casework:import-job", args=[job.pk])).content.decode()
    )


def test_scope(client, world, tmp_path):
    login(client, world.user_officer_b)
    # Another county cannot be chosen …
    response = upload(client, tmp_path, rows(), county="410225")
    assert response.status_code == 200 and not RequestImportJob.objects.exists()
    # … and another county's job answers 404, like a missing one.
    login(client, world.user_officer_a1)
    upload(client, tmp_path, rows())
    job = RequestImportJob.objects.get()
    login(client, world.user_officer_b)
    for name in ("casework:import-job", "casework:import-status"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("casework:import-confirm", args=[job.pk])).status_code == 404
    # HR and residents may not import at all.
    for user in (world.user_hr, world.resident_user):
        login(client, user)
        assert client.get(reverse("casework:import")).status_code == 403
