from __future__ import annotations

import pytest

from recert_gateway.ratelimit import RateLimit


@pytest.mark.parametrize("text, count, seconds", [
    ("10/minute", 10, 60), ("5/30s", 5, 30), ("100 / hour", 100, 3600), ("3/second", 3, 1),
    ("2/1.5m", 2, 90)])
def test_parse(text, count, seconds):
    assert RateLimit.parse(text) == RateLimit(count, seconds)


@pytest.mark.parametrize("text", ["ten/minute", "10/fortnight", "10", "0/minute", "-1/minute"])
def test_parse_refuses_nonsense(text):
    with pytest.raises(ValueError):
        RateLimit.parse(text)


def test_off_means_no_limit():
    assert RateLimit.parse("off") is None


def test_a_limit_in_the_words_of_the_limits_library():
    assert str(RateLimit(3, 60.0).item()) == "3 per 60 second"
    assert RateLimit(5, 0.5).item().get_expiry() == 1  # whole seconds, at least one
