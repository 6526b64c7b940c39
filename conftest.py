import pytest
from django.db import connection


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrated database's rows (serialized rollback) instead of
    leaving an emptied one. Flushing after a plain transactional test re-creates the content types under new
    ids, and a later test that restores the serialized rows then collides with them; with every transactional
    test serialized, no flush re-creates them and the rows of the data migrations are always there."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker is not None
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            item.add_marker(
                pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}), append=False
            )


@pytest.fixture(autouse=True)
def _forget_process_caches():
    """Each test's database is rolled back or flushed afterwards: what a process keeps between requests
    (loaded routing models, cached deadline policies and county ids, the cache backend) must not outlive it."""
    yield
    from django.core.cache import cache

    from grassroots.casework.services import _forget_all
    from grassroots.routing.serving import forget_loaded_models

    forget_loaded_models()
    _forget_all()
    cache.clear()


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
