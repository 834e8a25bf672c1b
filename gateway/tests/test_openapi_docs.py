from __future__ import annotations

import re
import time

import requests
from gateway_fakes import IDENTITY_ROUTES, FakeService, serve, unused_url

from recert_gateway.routes import Route, RouteTable


def doc(title, paths, schemas):
    return {"openapi": "3.0.3", "info": {"title": title, "version": "1"},
            "paths": {path: {"get": {"responses": {"200": {"description": "ok"}}}} for path in paths},
            "components": {"schemas": schemas}}


def test_merged_document_with_one_service_down(start_gateway, identity):
    service, _ = identity
    service.openapi = doc("Identity", ["/v1/accounts", "/v1/auth/login", "/v1/internal"],
                          {"Account": {"type": "object"}})
    portfolio = FakeService("portfolio", openapi=doc("Portfolio", ["/v1/portfolio/{id}", "/v1/accounts/x"],
                                                     {"Account": {"type": "string"}}))
    routes = RouteTable([*IDENTITY_ROUTES, Route("portfolio", "portfolio"), Route("invoices", "billing")])
    with serve(portfolio) as portfolio_url:
        gateway = start_gateway(routes=routes, services={"portfolio": portfolio_url, "billing": unused_url()},
                                RECERT_GATEWAY_OPENAPI_CACHE_SECONDS="0.3")
        started = time.monotonic()
        response = requests.get(gateway + "/api/v1/openapi.json")
        assert time.monotonic() - started < 2
        assert response.status_code == 200
        merged = response.json()
        assert sorted(merged["paths"]) == ["/api/v1/accounts", "/api/v1/auth/login", "/api/v1/portfolio/{id}"]
        schemas = merged["components"]["schemas"]
        assert schemas.pop("Problem")["properties"]["type"]["format"] == "uri"  # the gateway's own answers'
        assert schemas == {"Account": {"type": "object"}, "Account_portfolio": {"type": "string"}}
        assert merged["x-unavailable-services"] == ["billing"]

        # Cached for a moment, then fetched again.
        service.openapi = doc("Identity", ["/v1/accounts/new"], {})
        assert "/api/v1/accounts/new" not in requests.get(gateway + "/api/v1/openapi.json").json()["paths"]
        time.sleep(0.35)
        assert "/api/v1/accounts/new" in requests.get(gateway + "/api/v1/openapi.json").json()["paths"]


def test_openapi_document_is_public(start_gateway, identity):
    identity[0].openapi = doc("Identity", ["/v1/accounts"], {})
    gateway = start_gateway()
    assert requests.get(gateway + "/api/v1/openapi.json").status_code == 200


def test_docs_page_and_its_assets_are_served_by_the_gateway(start_gateway):
    gateway = start_gateway()
    page = requests.get(gateway + "/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # nothing loaded from elsewhere
    links = re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text)
    assert {"docs/assets/swagger-ui-bundle.js", "docs/assets/swagger-ui.css",
            "docs/assets/docs.js"} <= set(links)
    for link in links:
        asset = requests.get(f"{gateway}/api/v1/{link}")
        assert asset.status_code == 200, link
        assert asset.content
    bundle = requests.get(gateway + "/api/v1/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert "javascript" in bundle.headers["Content-Type"]
    init = requests.get(gateway + "/api/v1/docs/assets/docs.js").text
    assert 'url: "openapi.json"' in init and "validatorUrl: null" in init


def test_only_the_listed_assets_are_served(start_gateway):
    gateway = start_gateway()
    for name in ("index.html", "swagger-ui-bundle.js.map", "..%2F__init__.py", "settings.py"):
        response = requests.get(f"{gateway}/api/v1/docs/assets/{name}")
        assert response.status_code in (400, 404), name  # 400: a '..' segment, refused before routing


def test_the_event_catalogue_is_served_as_asyncapi_without_a_token(start_gateway):
    from recert_common.events import all_types

    gateway = start_gateway()
    response = requests.get(gateway + "/api/v1/asyncapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {"portfolio.submitted", "certification.certificate.renewed", "billing.invoice.paid"} <= addresses
    assert len(addresses) >= len({entry.type for entry in all_types() if not entry.type.startswith("test")})
