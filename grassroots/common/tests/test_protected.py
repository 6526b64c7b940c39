from datetime import date

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from grassroots.common import protected
from grassroots.common.testing import make_id_number


def test_known_valid_id_number():
    # GB 11643 worked example: 11010519491231002X has check character X.
    assert protected.id_number_problem("11010519491231002X") is None
    assert protected.id_number_check_digit("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("110105194912310021", "check digit is wrong"),
        ("11010519491331002X", "impossible birth date"),
        ("1101051949123100", "must be 17 digits"),
        ("", "must be 17 digits"),
    ],
)
def test_invalid_id_numbers_say_why(value, problem):
    assert problem in protected.id_number_problem(value)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_generated_id_numbers_are_valid(day, seq):
    value = make_id_number("410225", day.strftime("%Y%m%d"), seq)
    assert protected.id_number_problem(value) is None
    assert protected.id_number_birth_date(value) == day


def test_masking():
    assert protected.mask_id_number("41022519500101011X") == "4102**********011X"
    assert protected.mask_phone("13800138000") == "138****8000"


def test_encryption_round_trip_and_blind_index():
    token = protected.encrypt("13800138000")
    assert "13800138000" not in token
    assert protected.decrypt(token) == "13800138000"
    assert protected.encrypt("13800138000") != token  # random IV: equal values are not linkable
    assert protected.blind_index("13800138000") == protected.blind_index("13800138000")
    assert protected.blind_index("13800138000") != protected.blind_index("13800138001")


def test_key_rotation_keeps_old_values_readable():
    from django.conf import settings

    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    token = protected.encrypt("secret")
    new_key = "n3wKeyn3wKeyn3wKeyn3wKeyn3wKeyn3wKeyn3wKey0="
    try:
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *old_keys]):
            protected.reset_key_cache()
            assert protected.decrypt(token) == "secret"
            rotated = protected.rotate(token)
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
            protected.reset_key_cache()
            assert protected.decrypt(rotated) == "secret"
    finally:
        protected.reset_key_cache()


@pytest.mark.django_db
def test_rotate_command_re_encrypts_every_resident(world):
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command

    from grassroots.territory.models import Resident

    new_key = "n3wKeyn3wKeyn3wKeyn3wKeyn3wKeyn3wKeyn3wKey0="
    try:
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
            protected.reset_key_cache()
            call_command("rotate_field_keys", stdout=StringIO(), stderr=StringIO())
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
            protected.reset_key_cache()
            for resident in Resident.objects.all():
                assert protected.id_number_problem(protected.decrypt(resident.id_number_encrypted)) is None
    finally:
        protected.reset_key_cache()


@pytest.mark.django_db
def test_personal_data_is_not_stored_in_clear(world):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM territory_resident")
        dump = repr(cursor.fetchall())
    assert "13800138000" not in dump
    assert world.resident_a1.id_number_masked in dump
    assert protected.decrypt(world.resident_a1.id_number_encrypted) not in dump
