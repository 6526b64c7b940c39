import pytest
from django.db import connection


@pytest.fixture
def world(db):
    from grassroots.common.testing import build_world

    return build_world()


@pytest.fixture
def api():
    """An API client factory: ``api(user)`` is authenticated as that user, ``api()`` anonymous."""
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")
