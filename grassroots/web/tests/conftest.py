import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.signals import setting_changed
from django.test import Client


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The .mo catalogues are build output (not committed): compile them once per test session, then
    drop the catalogues Django may already have loaded without them (as changing LOCALE_PATHS does)."""
    call_command("compile_translations", verbosity=0)
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=True)


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client logged in as that user."""

    def make(user, **kwargs):
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make
