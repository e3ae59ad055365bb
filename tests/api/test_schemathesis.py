"""Property-based checks of the whole API against its own OpenAPI schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from config.wsgi import application


@pytest.fixture
def api_schema(db, settings_allow_localhost):
    # Calling the WSGI app directly would close the test's database connection
    # at the end of each request, as Django's test client avoids doing.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def settings_allow_localhost(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [],
    }


def test_the_api_keeps_to_its_schema_and_never_fails(api_schema):
    # schemathesis' own pytest decorator does not yet work with this pytest, so
    # each operation's strategy is driven with hypothesis directly.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            database=None,
        )
        def check(case):
            case.call_and_validate()

        check()
