"""PE points and the PE summary, pinned to the packaged 2024 framework, plus property tests."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recert_common.rules import (
    FRAMEWORK_DIR_ENV,
    MISSING_CATEGORY_MINIMUM,
    MISSING_TOTAL,
    UNIT_ECTS,
    UNIT_HOURS,
    UNIT_POINTS,
    InvalidPeAmount,
    PeItem,
    UnknownCategory,
    UnknownUnit,
    clear_framework_cache,
    load_framework,
    pe_points,
    pe_summary,
)

D = Decimal


@pytest.fixture(autouse=True, scope="module")
def packaged_only():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(FRAMEWORK_DIR_ENV, raising=False)
        clear_framework_cache()
        yield
    clear_framework_cache()


# --- points per unit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, unit, points",
    [
        (D("1"), UNIT_HOURS, D("1")),
        (D("1.5"), UNIT_HOURS, D("1.5")),
        (D("500"), UNIT_HOURS, D("500")),
        (D("1"), UNIT_ECTS, D("28")),
        (D("2.5"), UNIT_ECTS, D("70")),
        (D("20"), UNIT_ECTS, D("560")),
        (D("12"), UNIT_POINTS, D("12")),
        (D("500"), UNIT_POINTS, D("500")),
        (3, UNIT_ECTS, D("84")),
        ("0.25", UNIT_HOURS, D("0.25")),
    ],
)
def test_points_per_unit(amount, unit, points):
    result = pe_points(amount, unit)
    assert isinstance(result, Decimal)
    assert result == points


@pytest.mark.parametrize(
    "amount, unit, reason",
    [
        (D("-1"), UNIT_HOURS, "negative"),
        (D("-0.01"), UNIT_ECTS, "negative"),
        (D("0"), UNIT_POINTS, "zero"),
        (D("500.01"), UNIT_HOURS, "too_large"),
        (D("20.01"), UNIT_ECTS, "too_large"),
        (D("501"), UNIT_POINTS, "too_large"),
        (D("NaN"), UNIT_HOURS, "not_a_number"),
        (D("Infinity"), UNIT_HOURS, "not_a_number"),
        ("veel", UNIT_HOURS, "not_a_number"),
    ],
)
def test_impossible_amounts_are_rejected(amount, unit, reason):
    with pytest.raises(InvalidPeAmount) as caught:
        pe_points(amount, unit)
    assert caught.value.params["reason"] == reason
    assert caught.value.code == "invalid_pe_amount"
    assert caught.value.text("nl") and caught.value.text("en")
    assert str(caught.value) == caught.value.text("nl")


def test_too_large_names_the_maximum_in_both_languages():
    with pytest.raises(InvalidPeAmount) as caught:
        pe_points(D("21"), UNIT_ECTS)
    assert caught.value.params["maximum"] == D("20")
    assert caught.value.text("nl") == "Meer dan 20 ECTS-studiepunten voor één activiteit is niet aannemelijk."
    assert caught.value.text("en") == "More than 20 ECTS credits for one activity is not plausible."


def test_unknown_unit_and_floats_are_refused():
    with pytest.raises(UnknownUnit):
        pe_points(D("1"), "days")
    with pytest.raises(TypeError):
        pe_points(1.5, UNIT_HOURS)


# --- the framework's PE numbers ------------------------------------------------------------------------


def test_pe_numbers_of_the_packaged_frameworks():
    for year in (2023, 2024):
        rules = load_framework(year).pe
        assert rules.required_total == 75
        assert [(c.number, c.minimum, c.maximum) for c in rules.categories] == [
            (1, 30, None), (2, 0, 20), (3, 0, 20), (4, 0, 15), (5, 0, 15), (6, 0, 10),
        ]
        assert rules.category(1).name.nl == "Bij- en nascholing in het vakgebied"
        assert all(c.name.nl and c.name.en for c in rules.categories)
        maxima = [rules.units[u].max_per_activity for u in (UNIT_HOURS, UNIT_ECTS, UNIT_POINTS)]
        assert maxima == [500, 20, 500]


# --- the summary ---------------------------------------------------------------------------------------


def test_all_75_may_come_from_category_1():
    summary = pe_summary([(1, D(75))])
    assert summary.met and summary.total_met and summary.minimum_met
    assert summary.counted_total == 75
    assert summary.missing == () and summary.points_still_needed == 0


def test_one_point_short_in_total():
    summary = pe_summary([PeItem(1, D(40)), PeItem(2, D(20)), PeItem(6, D(14))])
    assert summary.counted_total == 70 and summary.raw_total == 74
    assert not summary.met and summary.minimum_met
    assert summary.missing_total == 5
    assert summary.missing_messages("nl") == ["Nog 5 punten in totaal nodig."]
    assert summary.missing_messages("en") == ["5 more points needed in total."]


def test_points_above_a_maximum_are_recorded_but_do_not_count():
    summary = pe_summary([(1, D(30)), (2, D(25)), (2, D(25)), (6, D(11))])
    cat2, cat6 = summary.category(2), summary.category(6)
    assert (cat2.raw, cat2.counted, cat2.uncounted, cat2.room) == (50, 20, 30, 0)
    assert (cat6.raw, cat6.counted, cat6.uncounted, cat6.room) == (11, 10, 1, 0)
    assert summary.category(3).room == 20 and summary.category(1).room is None
    assert summary.raw_total == 91 and summary.counted_total == 60
    assert summary.missing_total == 15 and not summary.met
    assert summary.missing_messages() == ["Nog 15 punten in totaal nodig."]


def test_total_reached_but_category_1_short():
    # 29 + 20 + 20 + 15 + 15 + 10 = 109 counted, yet category 1 lacks 1 point.
    summary = pe_summary([(1, D(29)), (2, D(20)), (3, D(20)), (4, D(15)), (5, D(15)), (6, D(10))])
    assert summary.total_met and not summary.minimum_met and not summary.met
    assert summary.category(1).missing == 1
    assert summary.points_still_needed == 1
    assert [(m.code, m.category, m.points) for m in summary.missing] == [(MISSING_CATEGORY_MINIMUM, 1, 1)]
    assert summary.missing_messages("nl") == ["Nog 1 punt in categorie 1 nodig."]
    assert summary.missing_messages("en") == ["1 more point needed in category 1."]


def test_both_short_says_how_much_of_the_total_must_be_category_1():
    summary = pe_summary([(1, D(18)), (2, D(20))])
    assert summary.counted_total == 38
    assert summary.missing_total == 37 and summary.category(1).missing == 12
    assert summary.points_still_needed == 37
    codes = [(m.code, m.points) for m in summary.missing]
    assert codes == [(MISSING_CATEGORY_MINIMUM, 12), (MISSING_TOTAL, 37)]
    assert summary.missing_messages("nl") == [
        "Nog 12 punten in categorie 1 nodig.",
        "Nog 37 punten in totaal nodig, waarvan minstens 12 in categorie 1.",
    ]
    assert summary.missing_messages("en") == [
        "12 more points needed in category 1.",
        "37 more points needed in total, of which at least 12 in category 1.",
    ]


def test_when_the_minimum_asks_more_than_the_total_only_the_minimum_is_mentioned():
    # Counted 70: 5 short in total, but the 20 missing in category 1 cover that as well.
    summary = pe_summary([(1, D(10)), (2, D(20)), (3, D(20)), (4, D(15)), (6, D(5))])
    assert summary.missing_total == 5 and summary.category(1).missing == 20
    assert summary.points_still_needed == 20
    assert summary.missing_messages() == ["Nog 20 punten in categorie 1 nodig."]


def test_nothing_recorded_yet():
    summary = pe_summary([])
    assert summary.raw_total == 0 and summary.counted_total == 0
    assert [c.number for c in summary.categories] == [1, 2, 3, 4, 5, 6]
    assert summary.points_still_needed == 75
    assert summary.missing_messages() == [
        "Nog 30 punten in categorie 1 nodig.",
        "Nog 75 punten in totaal nodig, waarvan minstens 30 in categorie 1.",
    ]


def test_fractional_points_are_written_per_language():
    summary = pe_summary([(1, D("29.5")), (2, D(20)), (3, D(20)), (4, D(15))])
    assert summary.missing_messages("nl") == ["Nog 0,5 punten in categorie 1 nodig."]
    assert summary.missing_messages("en") == ["0.5 more points needed in category 1."]


def test_bad_items_are_refused():
    with pytest.raises(UnknownCategory) as caught:
        pe_summary([(7, D(1))])
    assert caught.value.params["category"] == 7
    with pytest.raises(InvalidPeAmount):
        pe_summary([(1, D(-1))])
    with pytest.raises(TypeError):
        pe_summary([(1, 2.5)])


def test_summary_follows_the_framework_it_is_given():
    assert pe_summary([(1, D(75))], framework=load_framework(2023)).framework_version == "2023.1"


# --- properties ----------------------------------------------------------------------------------------

points = st.decimals(min_value=0, max_value=120, places=2, allow_nan=False, allow_infinity=False)
item = st.tuples(st.integers(min_value=1, max_value=6), points)
items = st.lists(item, max_size=25)


@given(items)
def test_counted_never_exceeds_raw_nor_a_maximum(entries):
    summary = pe_summary(entries)
    for category in summary.categories:
        assert 0 <= category.counted <= category.raw
        if category.maximum is not None:
            assert category.counted <= category.maximum
        else:
            assert category.counted == category.raw
        assert category.raw == sum((p for c, p in entries if c == category.number), D(0))


@given(items)
def test_totals_are_the_sums_of_the_categories(entries):
    summary = pe_summary(entries)
    assert summary.counted_total == sum(c.counted for c in summary.categories)
    assert summary.raw_total == sum(c.raw for c in summary.categories) == sum((p for _, p in entries), D(0))
    assert summary.missing_total == max(D(75) - summary.counted_total, D(0))


@given(st.data())
def test_order_of_items_does_not_matter(data):
    entries = data.draw(items)
    shuffled = data.draw(st.permutations(entries))
    assert pe_summary(shuffled) == pe_summary(entries)


@given(items, item)
def test_adding_points_never_lowers_the_counted_total(entries, extra):
    before, after = pe_summary(entries), pe_summary([*entries, extra])
    assert after.counted_total >= before.counted_total
    assert after.points_still_needed <= before.points_still_needed
    assert not (before.met and not after.met)


@given(items)
def test_met_iff_75_counted_and_30_in_category_1(entries):
    summary = pe_summary(entries)
    expected = summary.counted_total >= 75 and summary.category(1).counted >= 30
    assert summary.met is expected
    assert (summary.points_still_needed == 0) is expected
    assert (summary.missing == ()) is expected


@given(items)
def test_points_still_needed_in_category_1_complete_the_cycle(entries):
    summary = pe_summary(entries)
    if not summary.met:
        assert pe_summary([*entries, (1, summary.points_still_needed)]).met
        if summary.points_still_needed > D("0.01"):
            assert not pe_summary([*entries, (1, summary.points_still_needed - D("0.01"))]).met


def test_with_minima_in_two_categories_the_total_names_both_joined_by_and():
    import dataclasses

    base = load_framework()
    categories = tuple(dataclasses.replace(c, minimum=Decimal(10)) if c.number == 2 else c
                       for c in base.pe.categories)
    framework = dataclasses.replace(base, pe=dataclasses.replace(base.pe, categories=categories))
    summary = pe_summary([(1, D(18)), (2, D(4))], framework=framework)
    short = {m.code for m in summary.missing}
    assert short == {MISSING_CATEGORY_MINIMUM, MISSING_TOTAL}
    assert summary.missing_messages("nl")[-1].endswith(
        "waarvan minstens 12 in categorie 1 en 6 in categorie 2.")
    assert summary.missing_messages("en")[-1].endswith(
        "of which at least 12 in category 1 and 6 in category 2.")
