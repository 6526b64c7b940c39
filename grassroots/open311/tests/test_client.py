"""A maintained Open311 client from PyPI (``georeport``), written by others, reads this server over HTTP
in both formats: what it parses must be what the server stored."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from .conftest import lamp_post


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_everything(live_server, o311, fmt):
    root = f"{live_server.url}/open311"
    created = requests.post(f"{root}/requests.json", data=lamp_post(o311), timeout=30)
    assert created.status_code == 200, created.text
    code = created.json()[0]["service_request_id"]

    client = GeoReport(root, jurisdiction=None, output_format=fmt)
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == ["LAMP", "LITTER"]
    definition = client.get_service_definition("LAMP")
    assert definition["service_code"] == "LAMP"
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["POLE", "COUNT", "SEEN", "NOTE", "KIND", "WHEN"]

    listed = client.get_service_requests(service_code="LAMP", status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert [r["service_request_id"] for r in listed] == [code]
    one = client.get_service_request(code)
    assert one["service_request_id"] == code and one["status"] == "open"
    assert one["description"] == "路灯不亮已经三天\n晚上很危险"
    assert float(one["lat"]) == pytest.approx(34.822)
    with pytest.raises(requests.HTTPError) as missing:
        client.get_service_request("NOSUCHCODE")
    assert missing.value.response.status_code == 404
