"""The OpenAPI schema documents every answer an operation gives, with its body
(schemathesis checks the live app against it in CI: ``.ci/schemathesis``)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def body_schema(schema, response):
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][ref]


def enum_of(schema, component, field):
    prop = schema["components"]["schemas"][component]["properties"][field]
    ref = prop.get("$ref") or prop.get("allOf", [{}])[0].get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["enum"]


def test_a_refused_bearer_token_is_a_documented_401_invalid_token(schema):
    answer = schema["paths"]["/api/v1/me/"]["get"]["responses"]["401"]

    assert "WWW-Authenticate" in answer["headers"]
    errors = body_schema(schema, answer)["properties"]["errors"]["items"]["$ref"]
    assert "invalid_token" in enum_of(schema, errors.rsplit("/", 1)[-1], "code")


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/v1/ai-sessions/", "get"),  # a bad filter or cursor
        ("/api/v1/user-sessions/", "get"),  # a bad filter or cursor
        ("/api/v1/ai-sessions/{session_id}/interactions/", "get"),  # a bad cursor
        ("/session/end", "post"),  # no X-Session-Token
        ("/session/restore", "get"),  # neither header
    ],
)
def test_validation_errors_are_documented_wherever_they_happen(schema, path, method):
    answer = schema["paths"][path][method]["responses"]["400"]

    assert "validation_error" in str(answer["content"]["application/json"]["schema"]) or (
        "validation_error" in str(body_schema(schema, answer))
    )


def test_every_throttled_operation_documents_429_with_retry_after(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path in ("/healthz", "/readyz"):
                assert "429" not in operation["responses"]
                continue
            answer = operation["responses"]["429"]
            assert answer["headers"]["Retry-After"]["required"] is True, (path, method)


@pytest.mark.parametrize(
    "path, method, code",
    [
        ("/session/create", "post", "session_id_taken"),
        ("/api/v1/interactions/", "post", "duplicate_request_id"),
        ("/api/v1/user-sessions/", "post", "session_id_taken"),
        ("/api/v1/user-sessions/{session_id}/heartbeat/", "post", "session_ended"),
    ],
)
def test_conflicts_are_documented_with_their_codes(schema, path, method, code):
    answer = schema["paths"][path][method]["responses"]["409"]

    errors = body_schema(schema, answer)["properties"]["errors"]["items"]["$ref"]
    assert code in enum_of(schema, errors.rsplit("/", 1)[-1], "code")


@pytest.mark.parametrize(
    "path, method, code",
    [
        ("/session/restore", "get", "session_not_found"),
        ("/api/v1/ai-sessions/{session_id}/interactions/", "get", "ai_session_not_found"),
    ],
)
def test_not_found_answers_document_their_codes(schema, path, method, code):
    answer = schema["paths"][path][method]["responses"]["404"]

    errors = body_schema(schema, answer)["properties"]["errors"]["items"]["$ref"]
    assert code in enum_of(schema, errors.rsplit("/", 1)[-1], "code")
