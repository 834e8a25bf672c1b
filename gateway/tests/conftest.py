from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator

import pytest
from gateway_fakes import IDENTITY_ROUTES, FakeService, TokenMaker, serve

from recert_gateway.app import create_app
from recert_gateway.routes import RouteTable
from recert_gateway.settings import GatewaySettings


@pytest.fixture
def maker() -> TokenMaker:
    return TokenMaker()


@pytest.fixture
def identity(maker: TokenMaker) -> Iterator[tuple[FakeService, str]]:
    service = FakeService("identity", jwks=maker.jwks)
    with serve(service) as url:
        try:
            yield service, url
        finally:
            service.release.set()  # frees requests still waiting in a slow answer


@pytest.fixture
def start_gateway(identity: tuple[FakeService, str]) -> Iterator[Callable[..., str]]:
    """Starts a gateway served for real; returns its base URL. Services default to the fake identity."""
    _, identity_url = identity
    stack = contextlib.ExitStack()

    def start(*, routes: RouteTable | None = None, services: dict[str, str] | None = None,
              jwks_url: str | None = None, **env: str) -> str:
        settings = GatewaySettings.from_env("gateway", env={
            "RECERT_JWKS_URL": jwks_url or f"{identity_url}/v1/.well-known/jwks.json",
            "RECERT_GATEWAY_CONNECT_TIMEOUT": "1",
            "RECERT_GATEWAY_READ_TIMEOUT": "2",
            "RECERT_LOG_LEVEL": "WARNING",
            # Counters of their own in the shared Redis: no other test or test run counts with them.
            "RECERT_GATEWAY_RATE_LIMIT_PREFIX": f"test-{uuid.uuid4()}",
            **env,
        }, service_urls={"identity": identity_url, **(services or {})})
        return stack.enter_context(serve(create_app(settings, routes=routes or IDENTITY_ROUTES)))

    with stack:
        yield start
