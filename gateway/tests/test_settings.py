from __future__ import annotations

import pytest

from recert_common.config import ConfigError
from recert_gateway.ratelimit import RateLimit
from recert_gateway.settings import DEFAULT_SERVICE_URLS, GatewaySettings


def test_defaults():
    settings = GatewaySettings.from_env("gateway", env={})
    assert settings.service_urls == DEFAULT_SERVICE_URLS
    assert settings.service_url("pe-registry") == "http://127.0.0.1:8003"
    assert settings.auth_rate_limit == RateLimit(10, 60)
    assert settings.cors_origins == ()
    assert settings.max_upload_bytes > settings.max_body_bytes


def test_from_environment():
    settings = GatewaySettings.from_env("gateway", env={
        "RECERT_IDENTITY_URL": "http://identity:8000/",
        "RECERT_PE_REGISTRY_URL": "http://pe:8000",
        "RECERT_GATEWAY_CORS_ORIGINS": "https://app.example.nl, http://localhost:5173",
        "RECERT_GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8",
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_GATEWAY_READ_TIMEOUT": "7.5",
    })
    assert settings.service_url("identity") == "http://identity:8000"
    assert settings.service_url("pe-registry") == "http://pe:8000"
    assert settings.cors_origins == ("https://app.example.nl", "http://localhost:5173")
    assert [str(net) for net in settings.trusted_proxies] == ["10.0.0.0/8"]
    assert settings.auth_rate_limit is None
    assert settings.read_timeout == 7.5


@pytest.mark.parametrize("origins", ["*", "https://*.example.nl", "app.example.nl", "https://a.nl/path"])
def test_origins_must_be_exact(origins):
    with pytest.raises(ConfigError, match="RECERT_GATEWAY_CORS_ORIGINS"):
        GatewaySettings.from_env("gateway", env={"RECERT_GATEWAY_CORS_ORIGINS": origins})


def test_unknown_service_says_which_variable_to_set():
    with pytest.raises(LookupError, match="RECERT_ARCHIVE_URL"):
        GatewaySettings.from_env("gateway", env={}).service_url("archive")
