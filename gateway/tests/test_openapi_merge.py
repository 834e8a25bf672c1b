from __future__ import annotations

from recert_gateway.openapi import UNAVAILABLE, merge_documents
from recert_gateway.routes import Route, RouteTable

ROUTES = RouteTable([Route("accounts", "identity"), Route("auth", "identity"),
                     Route("portfolio", "portfolio"), Route("admin/accounts", "identity"),
                     Route("admin", "portfolio")])
PROBLEM = {"type": "object", "properties": {"title": {"type": "string"}}}
BEARER = {"type": "http", "scheme": "bearer"}


def ref(name, section="schemas"):
    return {"$ref": f"#/components/{section}/{name}"}


def op(schema_name, secured=True):
    operation = {"responses": {"200": {"content": {"application/json": {"schema": ref(schema_name)}}},
                               "default": {"$ref": "#/components/responses/DEFAULT_ERROR"}}}
    if secured:
        operation["security"] = [{"bearerAuth": []}]
    return operation


def identity_doc():
    return {
        "openapi": "3.0.3",
        "info": {"title": "Identity", "version": "1"},
        "tags": [{"name": "Accounts"}],
        "paths": {
            "/v1/accounts/{account_id}": {"get": op("Account")},
            "/v1/auth/login": {"post": op("Session", secured=False)},
            "/v1/admin/accounts": {"get": op("Account")},
            "/v1/portfolio/oops": {"get": op("Account")},  # routed to portfolio: not identity's to publish
            "/v1/internal/keys": {"get": op("Account")},  # not routed at all
        },
        "components": {
            "schemas": {"Account": {"type": "object", "properties": {"address": ref("Address")}},
                        "Address": {"type": "object", "properties": {"city": {"type": "string"}}},
                        "Session": {"type": "object"}, "Problem": PROBLEM},
            "responses": {"DEFAULT_ERROR": {"description": "error", "content": {
                "application/problem+json": {"schema": ref("Problem")}}}},
            "securitySchemes": {"bearerAuth": BEARER},
        },
    }


def portfolio_doc():
    return {
        "openapi": "3.0.3",
        "info": {"title": "Portfolio", "version": "1"},
        "tags": [{"name": "Accounts", "description": "a different description"}, {"name": "Portfolio"}],
        "paths": {
            "/v1/portfolio/{cycle_id}": {"get": op("Cycle")},
            "/v1/admin/cycles": {"get": op("Account")},
            "/v1/accounts/x": {"get": op("Account")},  # identity's prefix: dropped
        },
        "components": {
            # Same name, other content: must be renamed, and so must Cycle, which refers to it.
            "schemas": {"Address": {"type": "object", "properties": {"street": {"type": "string"}}},
                        "Account": {"type": "object", "properties": {"address": ref("Address")}},
                        "Cycle": {"type": "object", "properties": {"owner": ref("Account")}},
                        "Problem": PROBLEM},
            "responses": {"DEFAULT_ERROR": {"description": "error", "content": {
                "application/problem+json": {"schema": ref("Problem")}}}},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "opaque"}},
        },
    }


def merged(*docs, unavailable=()):
    return merge_documents(list(docs), ROUTES, unavailable=unavailable, title="API", version="1")


def test_only_routed_paths_of_each_service_are_kept_under_api_prefix():
    doc = merged(("identity", identity_doc()), ("portfolio", portfolio_doc()))
    assert sorted(doc["paths"]) == ["/api/v1/accounts/{account_id}", "/api/v1/admin/accounts",
                                    "/api/v1/admin/cycles", "/api/v1/auth/login",
                                    "/api/v1/portfolio/{cycle_id}"]
    assert doc["openapi"] == "3.0.3"
    assert doc[UNAVAILABLE] == []


def test_identical_components_are_kept_once_and_clashes_renamed_with_refs_rewritten():
    doc = merged(("identity", identity_doc()), ("portfolio", portfolio_doc()))
    schemas = doc["components"]["schemas"]
    assert schemas["Problem"] == PROBLEM and "Problem_portfolio" not in schemas
    assert schemas["Address"]["properties"] == {"city": {"type": "string"}}
    assert schemas["Address_portfolio"]["properties"] == {"street": {"type": "string"}}
    # Account's text is the same in both, but portfolio's refers to its own Address: a clash after all.
    assert schemas["Account"]["properties"]["address"] == ref("Address")
    assert schemas["Account_portfolio"]["properties"]["address"] == ref("Address_portfolio")
    assert schemas["Cycle"]["properties"]["owner"] == ref("Account_portfolio")
    portfolio_op = doc["paths"]["/api/v1/portfolio/{cycle_id}"]["get"]
    assert portfolio_op["responses"]["200"]["content"]["application/json"]["schema"] == ref("Cycle")
    cycles_op = doc["paths"]["/api/v1/admin/cycles"]["get"]
    assert cycles_op["responses"]["200"]["content"]["application/json"]["schema"] == ref("Account_portfolio")
    identity_op = doc["paths"]["/api/v1/accounts/{account_id}"]["get"]
    assert identity_op["responses"]["200"]["content"]["application/json"]["schema"] == ref("Account")
    # The shared error response survives once and still points at the shared Problem.
    assert doc["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/problem+json"]["schema"] \
        == ref("Problem")


def test_clashing_security_scheme_is_renamed_in_security_requirements():
    doc = merged(("identity", identity_doc()), ("portfolio", portfolio_doc()))
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == BEARER
    assert schemes["bearerAuth_portfolio"]["bearerFormat"] == "opaque"
    assert doc["paths"]["/api/v1/portfolio/{cycle_id}"]["get"]["security"] == [{"bearerAuth_portfolio": []}]
    assert doc["paths"]["/api/v1/admin/accounts"]["get"]["security"] == [{"bearerAuth": []}]


def test_tags_are_merged_by_name_first_one_wins():
    doc = merged(("identity", identity_doc()), ("portfolio", portfolio_doc()))
    assert doc["tags"] == [{"name": "Accounts"}, {"name": "Portfolio"}]


def test_unavailable_services_are_listed_and_the_rest_is_served():
    doc = merged(("portfolio", portfolio_doc()), unavailable=["identity"])
    assert doc[UNAVAILABLE] == ["identity"]
    assert "/api/v1/portfolio/{cycle_id}" in doc["paths"]
    # With identity absent, portfolio's schemas keep their own names.
    assert doc["components"]["schemas"]["Address"]["properties"] == {"street": {"type": "string"}}


def test_inputs_are_not_modified():
    identity, portfolio = identity_doc(), portfolio_doc()
    merged(("identity", identity), ("portfolio", portfolio))
    assert identity == identity_doc() and portfolio == portfolio_doc()


def test_the_gateway_adds_its_own_answers_with_their_types():
    from recert_common.errors import problem_answer
    from recert_gateway.openapi import document_gateway_answers

    routes = RouteTable([Route("auth", "identity", public=("POST auth/login/verify",),
                               rate_limited=("POST auth/login/verify",)),
                         Route("files", "files", uploads=("POST files/*",))])
    document = {"paths": {
        "/api/v1/auth/login/verify": {"post": {"responses": {
            "200": {"description": "ok"}, "429": problem_answer(429, ["account-locked"])}}},
        "/api/v1/files/{id}": {"post": {"requestBody": {"content": {"application/octet-stream": {}}},
                                        "security": [{"bearerAuth": []}],
                                        "responses": {"413": problem_answer(413, ["payload-too-large"])}}},
        "/api/v1/dashboard": {"get": {"responses": {"403": {"description": "Only for jobcoaches."}}}},
    }, "components": {"schemas": {}}}
    document_gateway_answers(document, routes)

    def types(path, method, status):
        answer = document["paths"][path][method]["responses"][status]
        schema = answer["content"]["application/problem+json"]["schema"]
        enum = schema["allOf"][1]["properties"]["type"]["enum"]
        named = [t["type"].rsplit("/", 1)[1] for t in answer["x-problem-types"]]
        assert [uri.rsplit("/", 1)[1] for uri in enum] == named
        return named

    verify = "/api/v1/auth/login/verify"
    assert types(verify, "post", "429") == ["account-locked", "too-many-requests"]
    assert sorted(document["paths"][verify]["post"]["responses"]) == ["200", "400", "414", "417", "429",
                                                                      "431", "502", "503", "504"]
    # What its server answers for a request it cannot read, before any route (web_worker).
    assert [types(verify, "post", s) for s in ("400", "414", "417", "431")] == [
        ["bad-request"], ["uri-too-long"], ["expectation-failed"], ["header-fields-too-large"]]
    assert types("/api/v1/files/{id}", "post", "413") == ["payload-too-large", "upload-too-large"]
    assert types("/api/v1/files/{id}", "post", "401") == ["unauthorized"]
    assert types("/api/v1/files/{id}", "post", "502") == ["bad-gateway"]
    dashboard = document["paths"]["/api/v1/dashboard"]["get"]["responses"]
    assert sorted(dashboard) == ["400", "403", "414", "417", "431"]  # the gateway's own: nothing forwarded
    assert dashboard["403"]["description"].startswith("Only for jobcoaches. Forbidden. Problem types:")
    assert "max_bytes" in document["components"]["schemas"]["Problem"]["properties"]
