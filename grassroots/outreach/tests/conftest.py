import pytest


@pytest.fixture
def rules(db):
    from grassroots.outreach.defaults import ensure_default_rules

    return ensure_default_rules()
