"""Issue 14 (ADR 0026): the calendar feed is public and rate limited; the rest of portfolio is not."""
from __future__ import annotations

from recert_gateway.routes import ROUTES, split_path


def test_the_calendar_feed_alone_is_public_and_it_is_rate_limited():
    feed = split_path("portfolio/calendar")
    route = ROUTES.match(feed)
    assert route.service == "portfolio"
    assert route.is_public("GET", feed) and route.is_public("HEAD", feed)
    assert str(route.rate_limit_rule("GET", feed)) == "GET portfolio/calendar"
    assert not route.is_public("POST", feed)
    for path in ("portfolio/calendar/anything", "portfolio/wegwijzer", "portfolio/wegwijzer/calendar",
                 "portfolio/wegwijzer/calendar/renew", "portfolio/cycles/current"):
        segments = split_path(path)
        assert ROUTES.match(segments).service == "portfolio"
        assert not ROUTES.match(segments).is_public("GET", segments), path
        assert not ROUTES.match(segments).is_public("POST", segments), path
