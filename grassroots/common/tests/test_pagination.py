"""Keys-first pages hold the same rows in the same order as Django's paginator, with their related rows."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grassroots.common.pagination import KeysFirstPaginator
from grassroots.territory.models import Region

pytestmark = pytest.mark.django_db


def test_pages_equal_the_plain_paginators(world):
    qs = Region.objects.select_related("parent").order_by("-level", "name", "id")
    assert qs.count() > 4
    plain, keys_first = Paginator(qs, 3), KeysFirstPaginator(qs, 3)
    assert keys_first.num_pages == plain.num_pages > 1
    for number in plain.page_range:
        expected = list(plain.page(number))
        with CaptureQueriesContext(connection) as queries:
            got = list(keys_first.page(number))
            parents = [r.parent.name if r.parent else None for r in got]  # no query per row
        assert got == expected
        assert parents == [r.parent.name if r.parent else None for r in expected]
        assert len(queries) == 2  # the keys, then the rows
    assert list(keys_first.get_page(99)) == list(plain.get_page(99))  # out of range: the last page
