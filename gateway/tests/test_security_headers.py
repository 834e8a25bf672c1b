"""Security headers on every answer of the gateway: API answers, refusals, the API reference page."""
from __future__ import annotations

import requests

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def _assert_api_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == API_CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_api_answers_and_refusals_carry_the_security_headers(start_gateway, maker):
    gateway = start_gateway()
    auth = {"Authorization": f"Bearer {maker.token()}"}
    answer = requests.get(gateway + "/api/v1/accounts/me", headers=auth)
    assert answer.status_code == 200
    refused = requests.get(gateway + "/api/v1/accounts/me")
    assert refused.status_code == 401
    unknown = requests.get(gateway + "/api/v1/nowhere")
    assert unknown.status_code == 404
    for response in (answer, refused, unknown, requests.get(gateway + "/api/v1/openapi.json")):
        _assert_api_headers(response)
        # Plain HTTP, no proxy: no HSTS (a browser ignores it over HTTP anyway; it must not be claimed).
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_when_a_trusted_proxy_says_the_client_used_tls(start_gateway):
    trusting = start_gateway(RECERT_GATEWAY_TRUSTED_PROXIES="127.0.0.1")
    over_tls = requests.post(trusting + "/api/v1/auth/refresh", json={}, headers={
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert over_tls.headers["Strict-Transport-Security"] == "max-age=31536000"
    _assert_api_headers(over_tls)
    # The same header from a client we do not trust proves nothing.
    untrusting = start_gateway()
    claimed = requests.post(untrusting + "/api/v1/auth/refresh", json={},
                            headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in claimed.headers


def test_the_reference_page_has_its_own_policy_that_runs_only_its_own_scripts(start_gateway):
    gateway = start_gateway()
    page = requests.get(gateway + "/api/v1/docs")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in page.text  # no inline script: every script is a 'self' asset
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_metrics_and_readiness_answer_only_inside(start_gateway):
    gateway = start_gateway()
    assert requests.get(gateway + "/readyz").status_code == 200  # the health check, from loopback
    assert requests.get(gateway + "/metrics").status_code == 200
    # Through a proxy (the public side), or from outside the internal networks: not there.
    for path in ("/readyz", "/metrics"):
        response = requests.get(gateway + path, headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 404 and response.headers["Content-Type"] == "application/problem+json"
    outside = start_gateway(RECERT_INTERNAL_NETWORKS="10.0.0.0/8")
    assert requests.get(outside + "/metrics").status_code == 404
    assert requests.get(outside + "/readyz").status_code == 404
    assert requests.get(outside + "/healthz").status_code == 200  # "alive" says nothing: open to all


def test_a_service_file_download_keeps_its_sandbox_policy_through_the_gateway(start_gateway, maker):
    from flask import Flask
    from gateway_fakes import serve

    from recert_common.files import file_response

    files = Flask("files")

    @files.get("/v1/accounts/me/proof")
    def proof():
        return file_response(b"%PDF-1.7 ...", filename="bewijs é.pdf", mimetype="application/pdf")

    with serve(files) as files_url:
        gateway = start_gateway(services={"identity": files_url})
        response = requests.get(gateway + "/api/v1/accounts/me/proof",
                                headers={"Authorization": f"Bearer {maker.token()}"})
    assert response.status_code == 200 and response.content == b"%PDF-1.7 ..."
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"bewijs e.pdf\"; filename*=UTF-8''bewijs%20%C3%A9.pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
