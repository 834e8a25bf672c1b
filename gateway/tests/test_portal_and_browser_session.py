"""The portal at "/" (files, deep links, caching, its CSP) and the browser's session: the refresh token in an
HttpOnly cookie for requests that say they come from the portal, in the body for every other client."""
from __future__ import annotations

import gzip
import json
import threading
from http.cookies import SimpleCookie

import pytest
import requests
import urllib3
from gateway_fakes import serve
from werkzeug.wrappers import Request, Response

from recert_gateway.browser_session import CLIENT_HEADER, COOKIE
from recert_gateway.portal import PORTAL_CONTENT_SECURITY_POLICY

WEB = {CLIENT_HEADER: "web"}


class Identity:
    """Identity's three token endpoints: r1 is a live refresh token that refreshes to r2."""

    def __init__(self):
        self.bodies: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = json.loads(request.get_data() or b"{}")
        with self.lock:
            self.bodies.append((request.path, body))
        tokens = {"access_token": "access", "token_type": "Bearer", "expires_in": 900}
        if request.path == "/v1/auth/login/verify":
            answer = _json({**tokens, "refresh_token": "r1", "recovery_codes": ["aaaa-bbbb"]})
        elif request.path == "/v1/auth/refresh" and body.get("refresh_token") == "r1":
            answer = _json({**tokens, "refresh_token": "r2"})
        elif request.path == "/v1/auth/refresh":
            answer = _json({"type": "about:blank", "title": "Sessie verlopen", "status": 401}, 401)
        elif request.path == "/v1/auth/logout":
            answer = Response(status=204)
        else:
            answer = _json({"path": request.path})
        return answer(environ, start_response)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


@pytest.fixture
def identity_app() -> Identity:
    return Identity()


@pytest.fixture
def gateway(start_gateway, identity_app):
    with serve(identity_app) as url:
        yield start_gateway(services={"identity": url}, RECERT_GATEWAY_AUTH_RATE_LIMIT="off")


def _cookie(response: requests.Response):
    header = response.headers.get("Set-Cookie")
    if header is None:
        return None
    jar = SimpleCookie()
    jar.load(header)
    return jar[COOKIE], header


def test_the_portal_gets_its_refresh_token_as_an_httponly_cookie_and_never_in_the_body(gateway):
    answer = requests.post(f"{gateway}/api/v1/auth/login/verify", json={"challenge_id": "c", "code": "1"},
                           headers=WEB)
    assert answer.status_code == 200
    assert "refresh_token" not in answer.json()
    assert answer.json()["recovery_codes"] == ["aaaa-bbbb"] and answer.json()["access_token"] == "access"
    morsel, header = _cookie(answer)
    assert morsel.value == "r1" and morsel["path"] == "/api/v1/auth"
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Strict"
    assert "Max-Age" not in header and "Expires" not in header  # ends with the browser


def test_other_clients_keep_the_refresh_token_in_the_body_and_get_no_cookie(gateway):
    answer = requests.post(f"{gateway}/api/v1/auth/login/verify", json={"challenge_id": "c", "code": "1"})
    assert answer.json()["refresh_token"] == "r1"
    assert "Set-Cookie" not in answer.headers


def test_refresh_spends_the_cookie_and_replaces_it(gateway, identity_app):
    answer = requests.post(f"{gateway}/api/v1/auth/refresh", json={}, headers=WEB,
                           cookies={COOKIE: "r1"})
    assert answer.status_code == 200 and "refresh_token" not in answer.json()
    assert identity_app.bodies[-1] == ("/v1/auth/refresh", {"refresh_token": "r1"})
    assert _cookie(answer)[0].value == "r2"


def test_refresh_without_a_cookie_is_401_and_reaches_nobody(gateway, identity_app):
    answer = requests.post(f"{gateway}/api/v1/auth/refresh", json={},
                           headers={**WEB, "Accept-Language": "en"})
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert "no longer" in answer.json()["detail"]
    assert identity_app.bodies == []


def test_a_refused_refresh_clears_the_cookie(gateway):
    answer = requests.post(f"{gateway}/api/v1/auth/refresh", json={}, headers=WEB, cookies={COOKIE: "old"})
    assert answer.status_code == 401
    morsel, header = _cookie(answer)
    assert morsel.value == "" and ("Max-Age=0" in header or "Expires=Thu, 01 Jan 1970" in header)


def test_logout_spends_the_cookie_and_clears_it(gateway, identity_app):
    answer = requests.post(f"{gateway}/api/v1/auth/logout", json={}, headers=WEB, cookies={COOKIE: "r1"})
    assert answer.status_code == 204
    assert identity_app.bodies[-1] == ("/v1/auth/logout", {"refresh_token": "r1"})
    assert _cookie(answer)[0].value == ""


@pytest.fixture
def portal(start_gateway, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/assets/app-1a2b.js">'
                                         "</script>")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log('portal')")
    (tmp_path / "assets" / "app-3c4d.css").write_text("body { color: black }" * 20)
    (tmp_path / "assets" / "app-3c4d.css.gz").write_bytes(gzip.compress(b"body { color: black }" * 20))
    (tmp_path / "manifest.webmanifest").write_text("{}")
    return start_gateway(RECERT_GATEWAY_WEB_ROOT=str(tmp_path))


@pytest.mark.parametrize("path", ["/", "/pe/activiteiten", "/register/RJ-123"])
def test_every_page_of_the_portal_answers_its_index_uncached_with_a_strict_csp(portal, path):
    answer = requests.get(portal + path)
    assert answer.status_code == 200 and "app-1a2b.js" in answer.text
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "no-cache" in answer.headers["Cache-Control"]
    assert answer.headers["Content-Security-Policy"] == PORTAL_CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in PORTAL_CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in PORTAL_CONTENT_SECURITY_POLICY


def test_the_csp_lets_evidence_images_show_from_blobs_but_never_run_a_file(portal):
    """The assessor's and DNV's screens fetch evidence with the token into a Blob and draw an image as
    <img src="blob:...">: images from blob: are allowed; scripts come only from the portal's own files, and
    no plugin (a PDF viewer's <object>) may load."""
    policy = {directive.split()[0]: directive.split()[1:]
              for directive in requests.get(portal + "/beoordelingen/dossier").headers[
                  "Content-Security-Policy"].split("; ")}
    assert "blob:" in policy["img-src"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_hashed_assets_are_cached_for_a_year_and_other_files_briefly(portal):
    asset = requests.get(portal + "/assets/app-1a2b.js")
    assert asset.status_code == 200 and asset.text == "console.log('portal')"
    cache = asset.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache
    manifest = requests.get(portal + "/manifest.webmanifest")
    assert manifest.status_code == 200 and "max-age=300" in manifest.headers["Cache-Control"]


def test_an_asset_with_a_gzip_copy_goes_compressed_to_a_browser_that_takes_gzip(portal):
    raw = urllib3.PoolManager().request("GET", portal + "/assets/app-3c4d.css",
                                        headers={"Accept-Encoding": "gzip, br"}, decode_content=False)
    assert raw.status == 200 and raw.headers["Content-Encoding"] == "gzip"
    assert raw.headers["Content-Type"].startswith("text/css") and "Accept-Encoding" in raw.headers["Vary"]
    assert gzip.decompress(raw.data) == b"body { color: black }" * 20
    assert "immutable" in raw.headers["Cache-Control"]
    plain = urllib3.PoolManager().request("GET", portal + "/assets/app-3c4d.css",
                                          headers={"Accept-Encoding": "identity"}, decode_content=False)
    assert "Content-Encoding" not in plain.headers and plain.data == b"body { color: black }" * 20
    # No copy: the file as it is, whatever the browser takes.
    js = urllib3.PoolManager().request("GET", portal + "/assets/app-1a2b.js",
                                       headers={"Accept-Encoding": "gzip"}, decode_content=False)
    assert "Content-Encoding" not in js.headers and js.data == b"console.log('portal')"


def test_the_api_and_files_outside_the_build_are_not_the_portals(portal):
    missing = requests.get(portal + "/api/v1/no-such-route")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    outside = requests.get(portal + "/assets/../../etc/passwd")
    assert "root:" not in outside.text


def test_without_a_build_the_portal_says_so_and_the_api_still_answers(start_gateway, tmp_path):
    gateway = start_gateway(RECERT_GATEWAY_WEB_ROOT=str(tmp_path / "absent"))
    answer = requests.get(gateway + "/", headers={"Accept-Language": "en"})
    assert answer.status_code == 404 and "portal is not installed" in answer.json()["detail"]
    assert requests.get(gateway + "/healthz").status_code == 200


def test_the_document_names_the_header_and_the_gateways_own_401_beside_identitys():
    from recert_gateway import browser_session

    identity_401 = {"description": "x", "x-problem-types": [
        {"type": "https://recert.noloc.nl/problems/refresh-token-invalid", "title": "Sessie verlopen",
         "members": []}],
        "content": {"application/problem+json": {"schema": {"allOf": [
            {"$ref": "#/components/schemas/Problem"},
            {"type": "object", "properties": {"type": {"type": "string", "enum": [
                "https://recert.noloc.nl/problems/refresh-token-invalid"]}}}]}}}}
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshToken"}}}}
    document = {"components": {"schemas": {"RefreshToken": {
        "type": "object", "properties": {"refresh_token": {"type": "string"}},
        "required": ["refresh_token"]}}},
        "paths": {
        "/api/v1/auth/refresh": {"post": {"description": "Refresh.", "requestBody": body,
                                          "responses": {"401": identity_401}}},
        "/api/v1/auth/logout": {"post": {"responses": {"204": {"description": "Gone."}}}},
        "/api/v1/auth/login/verify": {"post": {"responses": {"200": {"description": "Tokens."}}}}}}
    browser_session.document(document)
    refresh = document["paths"]["/api/v1/auth/refresh"]["post"]
    enum = refresh["responses"]["401"]["content"]["application/problem+json"]["schema"]["allOf"][1][
        "properties"]["type"]["enum"]
    assert enum == ["https://recert.noloc.nl/problems/refresh-token-invalid",
                    "https://recert.noloc.nl/problems/unauthorized"]
    assert [p["name"] for p in refresh["parameters"]] == [CLIENT_HEADER]
    assert "cookie" in refresh["description"]
    schema = refresh["requestBody"]["content"]["application/json"]["schema"]
    assert "required" not in schema and "refresh_token" in schema["properties"]
    # The shared component keeps it required for every other use.
    assert document["components"]["schemas"]["RefreshToken"]["required"] == ["refresh_token"]
    logout = document["paths"]["/api/v1/auth/logout"]["post"]
    assert "401" in logout["responses"] and "204" in logout["responses"]
    verify = document["paths"]["/api/v1/auth/login/verify"]["post"]
    assert "401" not in verify["responses"] and COOKIE in verify["description"]
