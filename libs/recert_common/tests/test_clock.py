"""The service clock: which calendar day it is in the configured zone, or the fixed demonstration day."""
from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recert_common.clock import CalendarSettings, local_day, today_in, utcnow
from recert_common.config import ConfigError, ServiceSettings, env_field


@dataclasses.dataclass(frozen=True)
class DemoSettings(CalendarSettings, ServiceSettings):
    time_zone: str = env_field("RECERT_DEMO_TIME_ZONE", "Europe/Amsterdam")
    today: str = env_field("RECERT_DEMO_TODAY", "")

    def __post_init__(self):
        super().__post_init__()
        self.check_calendar()


@dataclasses.dataclass(frozen=True)
class ZoneOnlySettings(CalendarSettings, ServiceSettings):
    time_zone: str = env_field("RECERT_ZONED_TIME_ZONE", "Europe/Amsterdam")

    def __post_init__(self):
        super().__post_init__()
        self.check_calendar()


def test_utcnow_is_an_aware_instant_in_utc():
    before = datetime.now(UTC)
    now = utcnow()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


def test_an_instants_day_is_its_day_in_the_zone():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert local_day(datetime(2024, 3, 31, 22, 30, tzinfo=UTC), amsterdam) == date(2024, 4, 1)  # 00:30 CEST
    assert local_day(datetime(2024, 12, 31, 22, 59, tzinfo=UTC), amsterdam) == date(2024, 12, 31)  # 23:59 CET


def test_a_fixed_day_is_today_whatever_the_clock_says():
    clock = today_in(ZoneInfo("Europe/Amsterdam"), "2027-02-28")
    assert clock() == date(2027, 2, 28)


def test_without_a_fixed_day_today_is_the_date_in_the_zone():
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are always on different dates.
    ahead, behind = today_in(ZoneInfo("Pacific/Kiritimati"))(), today_in(ZoneInfo("Pacific/Pago_Pago"))()
    assert ahead - behind in (timedelta(days=1), timedelta(days=2))
    assert ahead == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


def test_settings_read_the_zone_and_the_fixed_day_under_the_services_names():
    settings = DemoSettings.from_env("demo", env={"RECERT_DEMO_TIME_ZONE": "America/New_York",
                                                  "RECERT_DEMO_TODAY": "2026-12-31"})
    assert settings.zone == ZoneInfo("America/New_York")
    assert settings.calendar_today()() == date(2026, 12, 31)


def test_settings_without_a_fixed_day_follow_the_calendar():
    settings = ZoneOnlySettings.from_env("zoned", env={"RECERT_ZONED_TIME_ZONE": "Pacific/Kiritimati"})
    assert settings.fixed_today == ""
    assert settings.calendar_today()() == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


@pytest.mark.parametrize("zone", ["Europe/Nowhere", "", "../etc/passwd"])
def test_an_unknown_zone_is_refused_naming_the_services_variable(zone):
    with pytest.raises(ConfigError, match=r"^RECERT_DEMO_TIME_ZONE: unknown time zone"):
        DemoSettings.from_env("demo", env={"RECERT_DEMO_TIME_ZONE": zone})
    with pytest.raises(ConfigError, match=r"^RECERT_ZONED_TIME_ZONE: unknown time zone"):
        ZoneOnlySettings.from_env("zoned", env={"RECERT_ZONED_TIME_ZONE": zone})


@pytest.mark.parametrize("day", ["2026-02-30", "31-12-2026", "tomorrow"])
def test_a_fixed_day_that_is_no_iso_date_is_refused_naming_the_services_variable(day):
    with pytest.raises(ConfigError, match=r"^RECERT_DEMO_TODAY: not an ISO date"):
        DemoSettings.from_env("demo", env={"RECERT_DEMO_TODAY": day})
