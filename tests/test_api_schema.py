"""The API against its own OpenAPI document, by Schemathesis: requests generated from the document
(valid and invalid ones) get no server error, every answer matches the document (status, headers,
body), a request the document calls valid is not refused as invalid, and one it calls invalid is
not accepted.

The API is called through the app's WSGI interface with a device token, on both databases. Rate
limits are off: thousands of generated requests would spend every budget in seconds. The app and
its rows are shared by the examples of one operation (what one request writes, the next may meet),
which is why Hypothesis's check for function-scoped fixtures is off.
"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from conftest import make_test_app
from factories import make_ticket
from ticketing.api.openapi import spec
from ticketing.extensions import db
from ticketing.services.events import MAX_SEATS_MAX
from ticketing.services.accounts import create_device

pytestmark = pytest.mark.slow


@pytest.fixture
def app(database_url, tmp_path):
    """The app without rate limits (overrides conftest's `app`)."""
    app = make_test_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def token(app, make_screening):
    """A device token, on a world with a published screening (id 1) that has tickets, so that
    generated ids meet real rows as well as missing ones. One person may book the most seats any
    screening allows: a screening's own lower limit is a rule of its data, which the document
    states in words (a 422 naming the limit, tested in test_api)."""
    screening_id = make_screening(is_published=True, max_seats=MAX_SEATS_MAX, capacity=10_000)
    for number in range(3):
        make_ticket(screening_id, f"Person {number}", app=app)
    with app.app_context():
        return create_device("Schemathesis")[1]


class TheTestsApp:
    """The WSGI app Schemathesis calls, its own requests and its probes alike: the app of the
    test running now (the document is the same for every app; each test has its own database)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


current = TheTestsApp()
schema = schemathesis.openapi.from_dict(spec())
schema.app = current


@schema.parametrize()
@settings(max_examples=int(os.environ.get("SCHEMA_EXAMPLES", 60)), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_document(case, app, token):
    current.app = app
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
