"""Certificate and account events handled late (retried to the back of the queue, or a dead letter replayed
days later), on the real database through the real consumer: the register fee starts from the certificate
year running on the day the event happened, in Amsterdam, not on the day billing handles it (ADR 0013,
amended 2026-12-07)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FIRST_YEAR = (date(2024, 9, 1), date(2025, 8, 31))
SECOND_YEAR = (date(2025, 9, 1), date(2026, 8, 31))
THIRD_YEAR = (date(2026, 9, 1), date(2027, 8, 31))


def _register_fee_from(billing, coach):
    return billing.scalar("SELECT register_fee_from FROM certificates WHERE account_id = %s",
                          coach.account_id)


def test_a_certificate_registered_before_its_anniversary_and_handled_after_it_owes_the_year_then(billing):
    coach = billing.coach("affiliate")
    billing.clock.day = date(2025, 9, 3)  # billing handles it after the next certificate year started
    certificate_id = billing.certificate(coach, valid_from=date(2024, 9, 1),
                                         at=datetime.combine(date(2025, 8, 20), time(14), AMSTERDAM))
    assert billing.periods(coach.account_id) == [FIRST_YEAR, SECOND_YEAR]
    assert {r["issued_on"] for r in billing.invoices(coach.account_id)} == {date(2025, 9, 3)}
    assert _register_fee_from(billing, coach) == date(2024, 9, 1)
    # The same certificate's event again, redelivered or replayed: nothing new, nothing moved.
    billing.certificate(coach, certificate_id=certificate_id, valid_from=date(2024, 9, 1),
                        at=datetime.combine(date(2025, 8, 20), time(14), AMSTERDAM))
    assert billing.periods(coach.account_id) == [FIRST_YEAR, SECOND_YEAR]


def test_the_day_of_a_certificate_event_is_amsterdams(billing):
    """22:30 UTC on 31 August 2025 is already 1 September in Amsterdam."""
    coach = billing.coach("affiliate")
    billing.clock.day = date(2025, 9, 3)
    billing.certificate(coach, valid_from=date(2024, 9, 1), at=datetime(2025, 8, 31, 22, 30, tzinfo=UTC))
    assert billing.periods(coach.account_id) == [SECOND_YEAR]


def test_a_member_whose_change_to_affiliate_is_handled_late_owes_the_year_running_at_the_change(billing):
    billing.clock.day = date(2025, 1, 10)
    coach = billing.coach("member")
    billing.certificate(coach, valid_from=date(2024, 9, 1))
    coach.kind, coach.number = "affiliate", f"EXT-{uuid.uuid4().int % 1_000_000:06d}"
    billing.clock.day = date(2026, 9, 2)
    billing.account_event(coach, "identity.account.updated",
                          at=datetime.combine(date(2026, 8, 25), time(9), AMSTERDAM))
    assert billing.periods(coach.account_id) == [SECOND_YEAR, THIRD_YEAR]
