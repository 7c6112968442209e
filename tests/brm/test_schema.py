"""The OpenAPI schema and its documentation pages, served from the sidecar with no CDN."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

DOC_PAGES = ["/api/docs/", "/api/redoc/"]
# The URL of every script, stylesheet, icon or image a page makes the browser load.
ASSET_URL = re.compile(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", re.I)


@pytest.fixture
def client(client, integration):
    """The docs are for people with an account: every test here reads them logged in."""
    client.force_login(integration)
    return client


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def asset_urls(client, page: str) -> list[str]:
    response = client.get(page)
    assert response.status_code == 200
    urls = ASSET_URL.findall(response.content.decode())
    assert urls, f"{page} loads no assets at all"
    return urls


def test_it_serves_a_valid_openapi_3_document(schema) -> None:
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on anything the OpenAPI 3 JSON schema rejects


def test_it_serves_the_schema_to_a_bearer_token(as_user, integration) -> None:
    response = as_user(integration).get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")


def test_it_refuses_the_schema_without_credentials(api, db) -> None:
    assert api.get("/api/schema/").status_code == 401


@pytest.mark.parametrize("page", DOC_PAGES)
def test_it_sends_anonymous_visitors_of_the_docs_to_log_in(page: str, db) -> None:
    from django.test import Client

    response = Client().get(page)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/units/",
        "/api/v1/units/{id}/",
        "/api/v1/stakeholders/",
        "/api/v1/stakeholders/{id}/",
        "/api/v1/interactions/",
        "/api/v1/interactions/{id}/",
        "/api/v1/action-items/",
        "/api/v1/action-items/{id}/",
        "/api/v1/action-items/{id}/transition/",
    ],
)
def test_it_lists_the_stakeholder_register_paths(schema, path: str) -> None:
    assert path in schema["paths"]


def test_it_describes_the_bearer_security_scheme(schema) -> None:
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]

    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"


def test_it_requires_the_bearer_scheme_on_api_operations(schema) -> None:
    operation = schema["paths"]["/api/v1/stakeholders/"]["get"]

    assert {"bearerAuth": []} in operation["security"]


def test_it_documents_the_list_filters_and_pagination(schema) -> None:
    parameters = schema["paths"]["/api/v1/stakeholders/"]["get"]["parameters"]
    names = {p["name"] for p in parameters}

    assert {"page", "page_size", "unit", "role_type", "influence", "search", "ordering"} <= names


def test_it_documents_enums_as_lower_case_strings(schema) -> None:
    role_type = schema["components"]["schemas"]["RoleTypeEnum"]

    assert role_type["enum"] == ["customer", "user", "sponsor", "supplier", "other"]


def test_it_documents_the_transition_request(schema) -> None:
    body = schema["paths"]["/api/v1/action-items/{id}/transition/"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]

    assert component["required"] == ["action"]
    assert set(component["properties"]) == {"action", "reason"}


@pytest.mark.parametrize("page", DOC_PAGES)
def test_it_loads_doc_assets_from_this_site_only(client, db, page: str) -> None:
    for url in asset_urls(client, page):
        assert not re.match(r"(?i)^(https?:)?//", url), f"{page} loads {url} from another site"
        assert url.startswith("/"), url


def test_it_never_mentions_a_remote_url_in_doc_asset_tags(client, db) -> None:
    for page in DOC_PAGES:
        html = client.get(page).content.decode()
        for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", html, re.I):
            assert "http://" not in tag and "https://" not in tag, f"{page}: {tag}"


@pytest.mark.parametrize("page", DOC_PAGES)
def test_it_finds_every_static_doc_asset_with_the_staticfiles_finders(
    client, db, page: str
) -> None:
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    static = [url for url in asset_urls(client, page) if url.startswith(prefix)]

    assert static, f"{page} loads nothing from {prefix}"
    for url in static:
        assert "drf_spectacular_sidecar/" in url
        assert finders.find(url.removeprefix(prefix).split("?")[0]), f"{url} is not collected"


def test_it_serves_the_swagger_ui_init_script_locally(client, db) -> None:
    local_scripts = [
        url for url in asset_urls(client, "/api/docs/") if url.startswith("/api/docs/")
    ]
    assert local_scripts == ["/api/docs/?script="]

    response = client.get(local_scripts[0])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()


def test_the_schema_generates_without_a_warning_or_error_and_validates(tmp_path, capsys) -> None:
    """`manage.py spectacular --validate --fail-on-warn`: every view, serializer field and
    parameter resolves (no guessed types, no free-form fallbacks) and the document is valid."""
    from django.core.management import call_command
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()  # warnings of schemas generated earlier in this process
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert not GENERATOR_STATS, capsys.readouterr().err
    assert out.read_text().startswith("openapi: 3.")
