"""Certificate dates and reflection-meeting counts, pinned to the packaged frameworks."""
from datetime import date, datetime

import pytest

from recert_common.rules import (
    FRAMEWORK_DIR_ENV,
    RESULT_DUE_SOON,
    RESULT_ON_TRACK,
    RESULT_OVERDUE,
    add_months,
    add_years,
    can_submit,
    certificate_validity,
    clear_framework_cache,
    load_framework,
    new_portfolio_deadline,
    next_cycle_start,
    pe_period,
    pe_period_first_day,
    pe_period_last_day,
    renewed_validity,
    required_reflection_meetings,
    required_reflection_reports,
    result_due_on,
    result_expected_window,
    result_status,
    submission_window,
    supplement_deadline,
)


@pytest.fixture(autouse=True, scope="module")
def packaged_only():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(FRAMEWORK_DIR_ENV, raising=False)
        clear_framework_cache()
        yield
    clear_framework_cache()


# --- month arithmetic ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (date(2025, 5, 31), -3, date(2025, 2, 28)),
        (date(2024, 5, 31), -3, date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 8, 31), 3, date(2025, 11, 30)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 2, 15), -3, date(2023, 11, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 7, 14), 0, date(2024, 7, 14)),
        (date(2025, 1, 30), 2, date(2025, 3, 30)),
        (date(2025, 4, 30), 1, date(2025, 5, 30)),
        (date(2024, 1, 1), -1, date(2023, 12, 1)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    "start, years, expected",
    [
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2096, 2, 29), 4, date(2100, 2, 28)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2021, 6, 30), 4, date(2025, 6, 30)),
    ],
)
def test_add_years_handles_29_february(start, years, expected):
    assert add_years(start, years) == expected


def test_datetimes_are_refused_because_the_day_depends_on_a_time_zone():
    with pytest.raises(TypeError):
        add_months(datetime(2025, 1, 1, 12), 1)
    with pytest.raises(TypeError):
        result_status(date(2025, 1, 1), datetime(2025, 3, 1, 12))


# --- validity ------------------------------------------------------------------------------------------


def test_first_certificate_is_valid_for_four_years_inclusive():
    validity = certificate_validity(date(2020, 6, 15))
    assert (validity.valid_from, validity.expires_on) == (date(2020, 6, 15), date(2024, 6, 15))
    assert date(2020, 6, 15) in validity and date(2024, 6, 15) in validity
    assert date(2020, 6, 14) not in validity and date(2024, 6, 16) not in validity
    assert validity.lapses_on == date(2024, 6, 16)


def test_renewed_certificate_runs_from_the_old_expiry_date():
    validity = renewed_validity(date(2025, 6, 15))
    assert (validity.valid_from, validity.expires_on) == (date(2025, 6, 15), date(2029, 6, 15))
    leap = renewed_validity(date(2024, 2, 29))
    assert leap.expires_on == date(2028, 2, 29)


def test_a_new_cycle_starts_the_day_after_certification():
    assert next_cycle_start(date(2025, 12, 31)) == date(2026, 1, 1)
    assert next_cycle_start(date(2024, 2, 28)) == date(2024, 2, 29)


# --- the PE period: one rule for pe-registry, portfolio and assessment -------------------------------------


def test_pe_period_of_an_imported_certificate_starts_on_its_first_day():
    assert pe_period_first_day(valid_from=date(2023, 3, 1), decided_on=None) == date(2023, 3, 1)


def test_pe_period_after_a_decision_starts_the_day_after_it():
    # Decided before the old expiry: the renewed certificate runs from that expiry, PE from the decision.
    assert pe_period_first_day(valid_from=date(2027, 3, 1), decided_on=date(2027, 1, 20)) == date(2027, 1, 21)
    # Decided after the expiry (a supplement came first): still the day after the decision, so the
    # supplement's activities after expiry do not count twice.
    assert pe_period_first_day(valid_from=date(2027, 3, 1), decided_on=date(2027, 5, 10)) == date(2027, 5, 11)
    assert pe_period_first_day(valid_from=date(2025, 1, 1), decided_on=date(2024, 12, 31)) == date(2025, 1, 1)


def test_pe_period_ends_at_expiry_or_a_later_deadline():
    assert pe_period_last_day(date(2027, 3, 1)) == date(2027, 3, 1)
    assert pe_period_last_day(date(2027, 3, 1), extended_until=date(2027, 6, 10)) == date(2027, 6, 10)
    assert pe_period_last_day(date(2027, 3, 1), extended_until=date(2027, 2, 1)) == date(2027, 3, 1)
    period = pe_period(valid_from=date(2023, 3, 1), decided_on=None, expires_on=date(2027, 3, 1),
                       extended_until=date(2027, 6, 10))
    assert (period.first, period.last) == (date(2023, 3, 1), date(2027, 6, 10))
    assert date(2023, 3, 1) in period and date(2027, 6, 10) in period and date(2027, 6, 11) not in period


def test_pe_period_refuses_instants():
    with pytest.raises(TypeError):
        pe_period_first_day(valid_from=datetime(2023, 3, 1, 12), decided_on=None)
    with pytest.raises(TypeError):
        pe_period_last_day(date(2027, 3, 1), extended_until=datetime(2027, 6, 1, 12))


# --- submission window ---------------------------------------------------------------------------------


def test_submission_window_edges_are_inclusive():
    expiry = date(2025, 6, 15)
    window = submission_window(expiry)
    assert (window.first, window.last) == (date(2025, 3, 15), date(2025, 6, 15))
    assert can_submit(expiry, date(2025, 3, 15))
    assert can_submit(expiry, date(2025, 6, 15))
    assert not can_submit(expiry, date(2025, 3, 14))
    assert not can_submit(expiry, date(2025, 6, 16))


def test_submission_window_at_a_month_end_opens_at_the_end_of_february():
    assert submission_window(date(2025, 5, 31)).first == date(2025, 2, 28)
    assert submission_window(date(2028, 5, 31)).first == date(2028, 2, 29)
    assert not can_submit(date(2025, 5, 31), date(2025, 2, 27))
    assert can_submit(date(2025, 5, 31), date(2025, 2, 28))


# --- deadlines after an advice or decision -------------------------------------------------------------


def test_supplement_period_is_three_months_after_a_postponed_advice():
    assert supplement_deadline(date(2025, 3, 10)) == date(2025, 6, 10)
    assert supplement_deadline(date(2025, 11, 30)) == date(2026, 2, 28)


def test_new_portfolio_period_is_three_months_after_a_negative_decision():
    assert new_portfolio_deadline(date(2025, 4, 1)) == date(2025, 7, 1)
    assert new_portfolio_deadline(date(2025, 8, 31)) == date(2025, 11, 30)


# --- when the result is due ----------------------------------------------------------------------------


def test_result_is_due_eight_weeks_after_submission():
    submitted = date(2025, 1, 6)
    assert result_due_on(submitted) == date(2025, 3, 3)
    window = result_expected_window(submitted)
    assert (window.first, window.last) == (date(2025, 2, 17), date(2025, 3, 3))


@pytest.mark.parametrize(
    "today, status",
    [
        (date(2025, 1, 6), RESULT_ON_TRACK),
        (date(2025, 2, 16), RESULT_ON_TRACK),
        (date(2025, 2, 17), RESULT_DUE_SOON),
        (date(2025, 3, 3), RESULT_DUE_SOON),
        (date(2025, 3, 4), RESULT_OVERDUE),
    ],
)
def test_result_status(today, status):
    assert result_status(date(2025, 1, 6), today) == status


def test_period_numbers_of_the_packaged_frameworks():
    for year in (2023, 2024):
        periods = load_framework(year).periods
        assert (periods.validity_years, periods.submission_window_months) == (4, 3)
        assert (periods.supplement_months, periods.new_portfolio_months) == (3, 3)
        assert (periods.result_normal_weeks, periods.result_due_weeks) == (6, 8)


# --- reflection meetings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expiry_year, meetings",
    [(2019, 1), (2023, 1), (2024, 1), (2025, 2), (2026, 3), (2027, 4), (2028, 4), (2040, 4)],
)
def test_required_reflection_meetings_by_expiry_year(expiry_year, meetings):
    assert required_reflection_meetings(expiry_year) == meetings


def test_the_same_table_is_in_every_packaged_file():
    for year in (2023, 2024):
        framework = load_framework(year)
        counts = [required_reflection_meetings(y, framework=framework) for y in range(2022, 2029)]
        assert counts == [1, 1, 1, 2, 3, 4, 4]


def test_exactly_one_reflection_report():
    assert required_reflection_reports() == 1
