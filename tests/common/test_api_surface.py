"""The API's shared surface: JSON errors everywhere, OpenAPI schema and local docs."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


def test_a_wrong_method_is_a_json_405(api_client_with_key):
    response = api_client_with_key.get("/session/start")

    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_every_response_carries_a_request_id(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="trace-123")
    fresh = api_client.get("/healthz", HTTP_X_REQUEST_ID="bad\nid")

    assert response["X-Request-ID"] == "trace-123"
    assert fresh["X-Request-ID"] != "bad\nid" and len(fresh["X-Request-ID"]) == 32


def test_openapi_schema_describes_the_routes(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/session/start", "/session/restore", "/session/update", "/session/end"):
        assert path in schema["paths"]
    start = schema["paths"]["/session/start"]["post"]
    assert {"ApiKeyAuth": []} in start["security"]
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]


def test_openapi_schema_documents_the_json_error_responses(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    start = schema["paths"]["/session/start"]["post"]["responses"]
    assert {"400", "403", "413", "415", "503"} <= set(start)
    assert start["413"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorResponse413"
    )
    assert "503" in schema["paths"]["/readyz"]["get"]["responses"]
    assert "413" not in schema["paths"]["/readyz"]["get"]["responses"]  # no body on a GET


def test_interactive_docs_are_served_without_a_cdn(api_client):
    response = api_client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html
    assert "fonts.googleapis.com" not in html


def test_every_operation_names_the_security_scheme_of_its_callers(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    schemes = schema["components"]["securitySchemes"]
    assert {"ApiKeyAuth", "SessionToken", "BearerAuth", "StaffSession"} <= set(schemes)
    token = schemes["SessionToken"]
    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "X-Session-Token")
    paths = schema["paths"]
    assert paths["/session/update"]["post"]["security"] == [{"SessionToken": []}]
    assert paths["/session/end"]["post"]["security"] == [{"SessionToken": []}]
    assert paths["/session/restore"]["get"]["security"] == [
        {"SessionToken": []},
        {"ApiKeyAuth": []},
    ]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path in ("/healthz", "/readyz"):
                assert operation["security"] == [{}]
            else:
                assert {} not in operation["security"], f"{method} {path} takes no caller"
