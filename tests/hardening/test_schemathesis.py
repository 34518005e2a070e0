"""schemathesis over the OpenAPI schema: no 500, no response the schema does not describe.

Bounded and deterministic (a few examples per operation, derandomised), run on
SQLite and PostgreSQL like the rest of the suite, against the WSGI application
in-process with a work-committee administrator's token (sees every record).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dangjian.core.actor import Actor
from dangjian.core.tokens import token_issue
from dangjian.web.testing import build_tree

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def token(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = build_tree()
    # As Django's test client does: a request ending must not close the test's
    # connection (it holds the test transaction on PostgreSQL).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield token_issue(user=tree.users["wc"], actor=Actor.system("test")).key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# The schema view needs no database: loaded once, at collection.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
