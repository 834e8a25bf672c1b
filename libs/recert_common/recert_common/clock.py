"""Which instant and which calendar day it is for a service.

Days (deadlines, the submission window, due dates) are decided in the service's configured time zone, not in
UTC; demonstrations and end-to-end tests may fix "today" to an ISO date. A service's settings hold
``time_zone`` (and, where a day can be fixed, ``today``) under its own variable names and mix in
``CalendarSettings``, which reads those names back for its error messages.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recert_common.config import ConfigError

#: The platform's calendar (the jobcoaches' and DNV's); every ``RECERT_<SVC>_TIME_ZONE`` defaults to it.
DEFAULT_TIME_ZONE = "Europe/Amsterdam"
#: The same, as a zone: for what has no setting of its own (the gateway's archive names).
PLATFORM_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)


def utcnow() -> datetime:
    return datetime.now(UTC)


def platform_today() -> date:
    """Today in the platform's calendar (``DEFAULT_TIME_ZONE``), the day services with the default settings
    call today. Tests and scripts that talk to such services use it rather than ``date.today()``, the
    machine's day, which in UTC is the day before for the last hour or two before midnight in Amsterdam."""
    return datetime.now(PLATFORM_ZONE).date()


def local_day(instant: datetime, zone: tzinfo) -> date:
    """The calendar day ``instant`` falls on in ``zone`` (a service's configured time zone)."""
    return instant.astimezone(zone).date()


def today_in(zone: ZoneInfo, fixed: str = "") -> Callable[[], date]:
    """A clock of calendar days: the fixed ISO day when given, else today's date in ``zone``."""
    if fixed:
        fixed_day = date.fromisoformat(fixed)
        return lambda: fixed_day
    return lambda: datetime.now(zone).date()


class CalendarSettings:
    """Mixin for a settings dataclass with a ``time_zone`` field and, optionally, a ``today`` field."""

    time_zone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def fixed_today(self) -> str:
        return getattr(self, "today", "")

    def calendar_today(self) -> Callable[[], date]:
        """The production clock of calendar days (see ``today_in``)."""
        return today_in(self.zone, self.fixed_today)

    def check_calendar(self) -> None:
        """Refuse an unknown time zone or a fixed day that is no ISO date; call from ``__post_init__``."""
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"{self._env_name('time_zone')}: unknown time zone {self.time_zone!r}") from exc
        if self.fixed_today:
            try:
                date.fromisoformat(self.fixed_today)
            except ValueError as exc:
                raise ConfigError(
                    f"{self._env_name('today')}: not an ISO date: {self.fixed_today!r}") from exc

    def _env_name(self, field_name: str) -> str:
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            if field.name == field_name:
                return field.metadata.get("env", field_name)
        return field_name
