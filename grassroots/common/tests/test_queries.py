"""``many_ids``/``many_texts``: a long id list filters exactly as the plain list does, on every engine."""

import pytest
from django.db import connection

from grassroots.common.queries import MANY_VALUES, many_ids, many_texts
from grassroots.territory.models import Region

pytestmark = pytest.mark.django_db


def test_a_long_list_of_ids_or_codes_selects_the_same_rows_as_the_plain_list(world):
    regions = list(Region.objects.values_list("pk", "code"))
    ids = [pk for pk, _code in regions]
    # Many more ids than rows (unknown ids and None are harmless), past the threshold.
    wanted = ids[::2] + list(range(10**9, 10**9 + MANY_VALUES + 5)) + [None]
    rhs = many_ids(wanted)
    if connection.vendor == "postgresql":
        assert not isinstance(rhs, list)  # sent as one array parameter
    found = set(Region.objects.filter(pk__in=rhs).values_list("pk", flat=True))
    assert found == set(ids[::2])
    codes = [code for _pk, code in regions][1::2] + [f"x{i}" for i in range(MANY_VALUES + 5)]
    by_code = set(Region.objects.filter(code__in=many_texts(codes)).values_list("code", flat=True))
    assert by_code == {code for _pk, code in regions[1::2]}


def test_a_short_list_stays_a_list():
    assert many_ids([3, None, 1, 3]) == [1, 3]
    assert many_texts(["b", "a"]) == ["a", "b"]
