"""Bodies stream through the gateway both ways; limits are enforced on the way."""
from __future__ import annotations

import hashlib
import tracemalloc

import pytest
import requests
from gateway_fakes import FakeService, pattern_bytes, pattern_sha256, serve

from recert_gateway.routes import ROUTES, Route, RouteTable

MiB = 1024 * 1024
BIG = 30 * MiB
# Python-level memory all threads of this process (client, gateway, fake service) may add while 30 MiB pass
# through; holding the body anywhere would take at least 30 MiB.
MEMORY_BOUND = 4 * MiB


class LengthKnownBody:
    """A file-like body of ``size`` pattern bytes, so requests sends Content-Length."""

    def __init__(self, size: int):
        self.size = size
        self._pieces = pattern_bytes(size)
        self._pending = b""

    def __len__(self) -> int:
        return self.size

    def read(self, amount: int = -1) -> bytes:
        while len(self._pending) < amount or amount < 0:
            piece = next(self._pieces, b"")
            if not piece:
                break
            self._pending += piece
        out, self._pending = (self._pending, b"") if amount < 0 else (self._pending[:amount],
                                                                      self._pending[amount:])
        return out


@pytest.fixture
def files():
    service = FakeService("files")
    with serve(service) as url:
        yield service, url


@pytest.fixture
def gateway(start_gateway, files):
    routes = RouteTable([*ROUTES, Route("files", "files", public=("GET files/**", "POST files/**"),
                                        uploads=("POST files/uploads/**",))])
    return start_gateway(routes=routes, services={"files": files[1]},
                         RECERT_MAX_BODY_BYTES=str(1 * MiB), RECERT_GATEWAY_MAX_UPLOAD_BYTES=str(32 * MiB))


def _peak_growth(action) -> tuple[object, int]:
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - base


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_30_mib_upload_streams_with_bounded_memory(gateway, files, framing):
    body = LengthKnownBody(BIG) if framing == "content-length" else pattern_bytes(BIG)
    response, growth = _peak_growth(lambda: requests.post(gateway + "/api/v1/files/uploads/a", data=body))
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["body_bytes"] == BIG
    assert seen["body_sha256"] == pattern_sha256(BIG)
    if framing == "content-length":
        assert seen["headers"]["Content-Length"] == str(BIG)
    else:
        assert seen["headers"]["Transfer-Encoding"] == "chunked"
    assert growth < MEMORY_BOUND, f"peak grew by {growth / MiB:.1f} MiB"


def test_30_mib_download_streams_with_bounded_memory(gateway):
    def download():
        response = requests.get(gateway + f"/api/v1/files/download?bytes={BIG}", stream=True)
        digest, total = hashlib.sha256(), 0
        for chunk in response.iter_content(64 * 1024):
            digest.update(chunk)
            total += len(chunk)
        response.close()
        return response.status_code, total, digest.hexdigest()

    (status, total, sha), growth = _peak_growth(download)
    assert (status, total, sha) == (200, BIG, pattern_sha256(BIG))
    assert growth < MEMORY_BOUND, f"peak grew by {growth / MiB:.1f} MiB"


def test_the_first_bytes_of_a_download_arrive_before_the_service_has_sent_them_all(gateway):
    # 200 MiB would take a while to buffer; reading the first chunk right away shows nothing is buffered.
    response = requests.get(gateway + f"/api/v1/files/download?bytes={200 * MiB}", stream=True, timeout=5)
    first = next(response.iter_content(64 * 1024))
    response.close()
    assert first == next(pattern_bytes(64 * 1024))


def test_body_over_the_default_limit_is_refused_before_reaching_the_service(gateway, files):
    service, _ = files
    declared = requests.post(gateway + "/api/v1/files/notes", data=b"x" * (MiB + 1))
    assert declared.status_code == 413
    assert declared.headers["Content-Type"] == "application/problem+json"
    assert str(MiB) in declared.json()["detail"]
    assert service.requests_to("/v1/files/notes") == []
    assert (declared.json()["type"], declared.json()["max_bytes"]) == (
        "https://recert.noloc.nl/problems/payload-too-large", MiB)
    assert declared.json()["detail"] == "Het verzoek mag hoogstens 1 MB (1048576 bytes) groot zijn."

    chunked = requests.post(gateway + "/api/v1/files/notes", data=pattern_bytes(2 * MiB))
    assert chunked.status_code == 413
    assert chunked.headers["Content-Type"] == "application/problem+json"


def test_upload_over_the_upload_ceiling_is_refused_early(gateway, files):
    service, _ = files
    response = requests.post(gateway + "/api/v1/files/uploads/a", data=LengthKnownBody(33 * MiB))
    assert response.status_code == 413
    assert str(32 * MiB) in response.json()["detail"]
    assert service.requests_to("/v1/files/uploads") == []
    # The same problem a service gives for a file over its own limit, the limit in the same units (ADR 0015).
    problem = response.json()
    assert (problem["type"], problem["code"], problem["max_bytes"]) == (
        "https://recert.noloc.nl/problems/upload-too-large", "upload_too_large", 32 * MiB)
    assert problem["detail"] == "Het bestand is groter dan de toegestane 32 MB (33554432 bytes)."


def test_the_service_refusing_an_upload_is_passed_on(gateway):
    # Within the gateway's ceiling the service decides; its 413 comes back although it stopped reading.
    response = requests.post(gateway + "/api/v1/files/uploads/refuse", data=LengthKnownBody(20 * MiB))
    assert response.status_code == 413
    assert response.json()["title"] == "too large"
