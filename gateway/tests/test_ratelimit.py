from __future__ import annotations

import pytest

from recert_gateway.ratelimit import RateLimit, SlidingWindowLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


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


def test_sliding_window_allows_count_per_window_and_says_when_to_retry():
    clock = Clock()
    limiter = SlidingWindowLimiter(RateLimit(3, 60), clock=clock)
    for offset in (0, 10, 20):
        clock.now = 1000 + offset
        assert limiter.hit("a").allowed
    clock.now = 1030
    refused = limiter.hit("a")
    assert not refused.allowed and refused.retry_after == 30  # the first hit leaves the window at 1060
    assert limiter.hit("b").allowed  # other keys are counted apart
    clock.now = 1060.5
    assert limiter.hit("a").allowed  # the hit at 1000 has left the window
    assert not limiter.hit("a").allowed


def test_refused_hits_are_not_counted():
    clock = Clock()
    limiter = SlidingWindowLimiter(RateLimit(1, 10), clock=clock)
    assert limiter.hit("a").allowed
    for _ in range(5):
        clock.now += 1
        assert not limiter.hit("a").allowed
    clock.now = 1010.01
    assert limiter.hit("a").allowed


def test_idle_keys_are_swept():
    clock = Clock()
    limiter = SlidingWindowLimiter(RateLimit(2, 10), clock=clock)
    for key in range(100):
        limiter.hit(key)
    assert len(limiter) == 100
    clock.now += 11
    limiter.hit("new")
    assert len(limiter) == 1
