"""The OpenAPI schema generates cleanly and the docs page works without the internet."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_spectacular_validate_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ["/api/v1/activities/", "/api/v1/trainings/{id}/", "/api/v1/auth/token/"]:
        assert f"{path}:" in text


def test_schema_endpoint_lists_every_resource(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = set(schema["paths"])
    for resource in [
        "organizations",
        "people",
        "positions",
        "terms",
        "activities",
        "trainings",
        "filings",
        "notices",
        "disclosures",
    ]:
        assert f"/api/v1/{resource}/" in paths
    assert "/api/v1/notices/{id}/receipts/" in paths
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_loads_assets_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert srcs, html
    for src in srcs:
        assert not src.startswith(("http://", "https://", "//")), src
    bundle = next(s for s in srcs if s.endswith("swagger-ui-bundle.js"))
    asset = client.get(bundle)
    assert asset.status_code == 200
    assert b"SwaggerUI" in b"".join(asset.streaming_content)
    assert client.get("/api/docs/assets/..%2Fsettings.py").status_code == 404
