"""The wegwijzer's use cases on the fake unit of work: the calendar feed's secret address and the nudge."""
from __future__ import annotations

import dataclasses
from datetime import date

import icalendar
import pytest

from recert_common.domain_errors import NotFoundError
from recert_portfolio.calendar_feed import token_hash
from recert_portfolio.domain import CalendarUnavailable, NoCurrentCycle

KEY = "k" * 40


@pytest.fixture
def keyed(world):
    world.service.settings = dataclasses.replace(world.settings, calendar_secret=KEY)
    return world


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_without_a_calendar_secret_there_is_no_feed(world):
    coach = world.coach()
    world.certificate(coach)
    with pytest.raises(CalendarUnavailable):
        world.service.calendar_feed(coach.account_id)


def test_the_feed_address_stays_until_renewed_and_the_old_one_ends_at_once(keyed):
    coach = keyed.coach()
    keyed.certificate(coach)
    feed, token = keyed.service.calendar_feed(coach.account_id)
    assert keyed.service.calendar_feed(coach.account_id)[1] == token
    # Only the token's hash is stored, never the token.
    stored_feed, stored_hash = keyed.data.calendar_feeds[coach.account_id]
    assert stored_hash == token_hash(token) and token not in repr(stored_feed)

    events = _events(keyed.service.calendar(token, "nl"))
    cycle = keyed.service.current(coach.account_id).cycle
    expiry = events[f"{cycle.id}-expiry@wegwijzer.registerjobcoach.nl"]
    assert expiry["DTSTART"].dt == cycle.expires_on and expiry["DTSTART"].params.get("VALUE") == "DATE"
    assert str(expiry["SUMMARY"]).startswith("Je certificaat verloopt")
    assert "DTSTAMP" in expiry
    assert set(_events(keyed.service.calendar(token, "en"))) == set(events)  # stable UIDs

    _, renewed = keyed.service.renew_calendar_feed(coach.account_id)
    assert renewed != token
    with pytest.raises(NotFoundError):
        keyed.service.calendar(token, "nl")
    assert set(_events(keyed.service.calendar(renewed, "nl"))) == set(events)


def test_another_persons_token_is_not_a_feed(keyed):
    with pytest.raises(NotFoundError):
        keyed.service.calendar("x" * 43, "nl")


def test_the_wegwijzer_needs_a_cycle(world):
    with pytest.raises(NoCurrentCycle):
        world.service.wegwijzer(world.coach().account_id)


def test_a_milestone_behind_is_announced_once_per_cycle(world):
    # World's day is 2027-04-15: a certificate expiring 2027-06-30 has its window open, and nothing is done.
    coach = world.coach()
    world.certificate(coach, date(2027, 6, 30))
    behind = {str(m.key) for m in world.service.wegwijzer(coach.account_id).behind}
    assert behind == {"plan_start", "pe_points", "reflection_meetings", "portfolio_parts", "expiry"}
    assert world.service.nudge_behind() == 5
    events = world.published("portfolio.milestone.behind")
    assert sorted(e.data["milestone"] for e in events) == sorted(behind)
    pe = next(e.data for e in events if e.data["milestone"] == "pe_points")
    assert pe["account_id"] == str(coach.account_id) and pe["milestone_date"] == "2027-03-30"
    assert pe["deadline"] == "2027-06-30" and pe["pe_points_needed"] == "75"
    assert world.service.nudge_behind() == 0  # the next day's run: nothing new
    assert len(world.published("portfolio.milestone.behind")) == 5


def test_a_jobcoach_on_track_is_not_nudged(world):
    coach = world.coach()
    world.certificate(coach, date(2031, 6, 30))
    assert world.service.nudge_behind() == 0
