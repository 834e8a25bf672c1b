"""The PE registry's rules, without a database: points, the checks on an activity, periods, who may read,
what Noloc sends, deduplication and the summary."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from recert_common.domain_errors import FieldsRefused
from recert_common.rules import InvalidPeAmount, UnknownUnit, load_framework
from recert_pe_registry.domain import (
    PERIOD_FALLBACK,
    PERIOD_REQUESTED,
    SOURCE_MANUAL,
    SOURCE_NOLOC,
    Activity,
    ActivityFacts,
    Dedup,
    Evidence,
    HoldOutsideSeen,
    PeChangedSinceSeen,
    Period,
    SummaryItem,
    Viewer,
    changed_since_seen,
    check_activity,
    check_hold,
    day_text,
    dedup,
    evidence_missing_message,
    fallback_period,
    has_proof,
    may_read,
    needs_assignment_check,
    noloc_study_load,
    refused_changes,
    requested_period,
    study_load,
    summarise,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FRAMEWORK = load_framework(2024)
TODAY = date(2024, 6, 15)
PERIOD_START = date(2023, 1, 1)


def _check(**overrides):
    values = dict(category=1, amount=Decimal("3"), unit="sbu", completed_on=date(2024, 5, 1),
                  framework=FRAMEWORK, period_start=PERIOD_START, today=TODAY)
    values.update(overrides)
    return check_activity(**values)


def _errors(**overrides) -> dict[str, list[str]]:
    with pytest.raises(FieldsRefused) as caught:
        _check(**overrides)
    return {name: [m.render("nl") for m in messages] for name, messages in caught.value.errors.items()}


@pytest.mark.parametrize(("amount", "unit", "plain_amount", "points"), [
    ("2.5", "sbu", "2.5", "2.5"), ("0.5", "ects", "0.5", "14"), ("1", "ects", "1", "28"),
    ("4", "points", "4", "4"), ("2.50", "sbu", "2.5", "2.5"), ("500", "sbu", "500", "500"),
    ("20.00", "ects", "20", "560"),
])
def test_points_follow_from_amount_and_unit_written_plainly(amount, unit, plain_amount, points):
    load = study_load(Decimal(amount), unit, FRAMEWORK)
    assert (str(load.amount), load.unit, str(load.points)) == (plain_amount, unit, points)


def test_an_unknown_unit_is_refused():
    with pytest.raises(UnknownUnit):
        study_load(Decimal(1), "hours", FRAMEWORK)  # the framework's word, not the API's


def test_a_valid_activity_passes_at_the_edges_of_its_period():
    assert _check(completed_on=TODAY).points == 3
    assert _check(completed_on=PERIOD_START).points == 3
    assert _check(category=6).points == 3


@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"category": 7}, "category", "Categorie 7 bestaat niet; kies uit 1, 2, 3, 4, 5, 6."),
    ({"category": 0}, "category", "Categorie 0 bestaat niet"),
    ({"amount": Decimal("-1")}, "amount", "Het aantal mag niet negatief zijn."),
    ({"amount": Decimal("0")}, "amount", "Het aantal moet groter dan nul zijn."),
    ({"amount": Decimal("10000")}, "amount", "Meer dan 500 studiebelastingsuren (sbu) voor één activiteit"),
    ({"amount": Decimal("500.01")}, "amount", "Meer dan 500"),
    ({"amount": Decimal("21"), "unit": "ects"}, "amount", "Meer dan 20 ECTS-studiepunten"),
    ({"unit": "uren"}, "unit", "Onbekende eenheid 'uren'"),
    ({"completed_on": date(2024, 6, 16)}, "completed_on", "De datum 16 juni 2024 ligt in de toekomst."),
    ({"completed_on": date(2022, 12, 31)}, "completed_on",
     "De datum 31 december 2022 ligt vóór het begin van je huidige periode (1 januari 2023)"),
])
def test_each_broken_rule_is_named_on_its_field(overrides, field, text):
    errors = _errors(**overrides)
    assert list(errors) == [field]
    assert text in errors[field][0]


def test_all_broken_rules_are_reported_together_and_in_english_too():
    with pytest.raises(FieldsRefused) as caught:
        _check(category=9, amount=Decimal("-2"), completed_on=date(2025, 1, 1))
    assert set(caught.value.errors) == {"category", "amount", "completed_on"}
    assert caught.value.errors["completed_on"][0].render("en") == "The date 1 January 2025 is in the future."


def test_without_a_certificate_the_period_is_one_validity_up_to_today():
    assert fallback_period(date(2024, 2, 29), FRAMEWORK) == Period(date(2020, 2, 29), date(2024, 2, 29),
                                                                   PERIOD_FALLBACK)


def test_a_requested_period_fills_in_from_the_default_and_must_run_forward():
    default = Period(date(2023, 1, 1), date(2026, 12, 31), "certificate")
    assert requested_period(default, None, None) is default
    assert requested_period(default, date(2024, 1, 1), None) == Period(date(2024, 1, 1), date(2026, 12, 31),
                                                                       PERIOD_REQUESTED)
    with pytest.raises(FieldsRefused) as caught:
        requested_period(default, date(2027, 1, 1), None)
    assert "ligt na de einddatum" in caught.value.errors["from"][0].render("nl")


OWNER = uuid.uuid4()


@pytest.mark.parametrize(("roles", "own", "assigned", "allowed"), [
    ({"jobcoach"}, True, False, True),
    ({"jobcoach"}, False, False, False),
    ({"jobcoach"}, False, True, False),  # an assignment means nothing without the assessor role
    ({"assessor"}, False, True, True),
    ({"assessor"}, False, False, False),
    ({"dnv_officer"}, False, False, True),
    ({"noloc_admin"}, False, False, False),
])
def test_who_may_read_a_jobcoach_pe(roles, own, assigned, allowed):
    viewer = Viewer(OWNER if own else uuid.uuid4(), frozenset(roles))
    assert may_read(viewer, OWNER, assigned=assigned) is allowed


def test_only_an_assessor_reading_another_account_needs_an_assignment_lookup():
    assert needs_assignment_check(Viewer(uuid.uuid4(), frozenset({"assessor"})), OWNER)
    assert not needs_assignment_check(Viewer(OWNER, frozenset({"assessor", "jobcoach"})), OWNER)
    assert not needs_assignment_check(Viewer(uuid.uuid4(), frozenset({"assessor", "dnv_officer"})), OWNER)
    assert not needs_assignment_check(Viewer(uuid.uuid4(), frozenset({"jobcoach"})), OWNER)


def test_noloc_sends_a_study_load_or_points():
    assert noloc_study_load(amount=Decimal("0.25"), unit="ects", points=None, framework=FRAMEWORK).points == 7
    load = noloc_study_load(amount=None, unit=None, points=Decimal("2"), framework=FRAMEWORK)
    assert (load.amount, load.unit, load.points) == (2, "points", 2)
    with pytest.raises(InvalidPeAmount):
        noloc_study_load(amount=None, unit=None, points=None, framework=FRAMEWORK)
    with pytest.raises(InvalidPeAmount):
        noloc_study_load(amount=Decimal("900"), unit="sbu", points=None, framework=FRAMEWORK)


def _activity(source: str) -> Activity:
    now = datetime.now(UTC)
    return Activity(uuid.uuid4(), OWNER, "t", "p", TODAY, 1, Decimal(1), "sbu", Decimal(1), None, source,
                    "x" if source == SOURCE_NOLOC else None, "2024.1", now, now)


def test_an_imported_activity_allows_only_its_description_to_change():
    assert refused_changes(_activity(SOURCE_MANUAL), ["title", "amount"]) == []
    assert refused_changes(_activity(SOURCE_NOLOC), ["description"]) == []
    assert refused_changes(_activity(SOURCE_NOLOC), ["title", "description", "amount"]) == ["amount", "title"]


def _evidence(activity_id) -> Evidence:
    return Evidence(uuid.uuid4(), activity_id, OWNER, "key", "0" * 64, 1, "application/pdf", "a.pdf", "other",
                    datetime.now(UTC))


def test_dedup_recognises_the_same_file_per_activity_and_across_activities():
    here, elsewhere = uuid.uuid4(), uuid.uuid4()
    assert dedup(here, []).outcome is Dedup.NEW
    other = _evidence(elsewhere)
    assert (dedup(here, [other]).outcome, dedup(here, [other]).existing) == (Dedup.LINK, other)
    own = _evidence(here)
    verdict = dedup(here, [other, own])
    assert (verdict.outcome, verdict.existing) == (Dedup.SAME_ACTIVITY, own)


def _item(category: int, points: str, *, evidenced: bool = True, title: str = "Cursus",
          completed_on: date = date(2024, 5, 1)) -> SummaryItem:
    return SummaryItem(uuid.uuid4(), title, completed_on, category, Decimal(points), evidenced)


def test_the_summary_counts_activities_and_leaves_out_categories_the_framework_dropped():
    period = Period(date(2023, 1, 1), date(2026, 12, 31), "certificate")
    items = [_item(1, "20"), _item(1, "5"), _item(2, "30"), _item(42, "100")]
    summary = summarise(OWNER, period, items, FRAMEWORK)
    assert summary.activity_counts == {1: 2, 2: 1}
    assert (summary.result.raw_total, summary.result.counted_total) == (55, 45)
    assert summary.result.missing_messages() == [
        "Nog 5 punten in categorie 1 nodig.",
        "Nog 30 punten in totaal nodig, waarvan minstens 5 in categorie 1."]


def test_only_activities_with_proof_count_and_the_others_are_named():
    period = Period(date(2023, 1, 1), date(2026, 12, 31), "certificate")
    lacking = _item(1, "2.5", evidenced=False, title="Webinar")
    summary = summarise(OWNER, period, [_item(1, "40"), lacking], FRAMEWORK)
    totals = (summary.result.raw_total, summary.recorded_total, summary.without_evidence_total)
    assert totals == (40, Decimal("42.5"), Decimal("2.5"))
    assert summary.activity_counts == {1: 1}
    assert summary.without_evidence == (lacking,)
    message = evidence_missing_message(lacking)
    nl, en = message.render("nl"), message.render("en")
    assert nl.startswith(f"Bewijs ontbreekt bij 'Webinar' ({day_text(date(2024, 5, 1), 'nl')})")
    assert "2,5 punten" in nl
    assert en.startswith("Evidence missing for 'Webinar'") and "2.5 points" in en


def test_a_noloc_import_is_its_own_proof_a_manual_activity_needs_a_file():
    assert has_proof("noloc_academy", 0) and has_proof("manual", 1)
    assert not has_proof("manual", 0)


# --- holding a submission's activities (ADR 0044) ---------------------------------------------------------


def _facts(**overrides) -> ActivityFacts:
    values = {"id": uuid.uuid4(), "category": 1, "title": "Training", "completed_on": date(2026, 2, 1),
              "points": Decimal("2.5"), "evidence_sha256s": frozenset({"a" * 64})}
    return ActivityFacts(**{**values, **overrides})


def test_what_portfolio_saw_must_be_what_is_held_field_by_field():
    held = _facts()
    assert changed_since_seen([held], [held]) == []
    assert changed_since_seen([_facts(id=held.id, points=Decimal("2.50"))], [held]) == []  # same number
    for change in ({"category": 2}, {"title": "Andere titel"}, {"completed_on": date(2026, 2, 2)},
                   {"points": Decimal("3")}, {"evidence_sha256s": frozenset()},
                   {"evidence_sha256s": frozenset({"a" * 64, "b" * 64})}):
        assert changed_since_seen([_facts(id=held.id, **change)], [held]) == [held.id], change


def test_an_activity_on_one_side_only_is_changed_and_the_answer_is_sorted():
    only_seen, only_held, both = _facts(), _facts(), _facts()
    assert changed_since_seen([only_seen, both], [both, only_held]) == sorted([only_seen.id, only_held.id],
                                                                            key=str)


def test_a_hold_is_refused_for_an_activity_not_compared_or_when_anything_differs():
    held = _facts()
    check_hold([held], [held], [held.id])
    check_hold([held], [held], [])
    with pytest.raises(HoldOutsideSeen):
        check_hold([held], [held], [uuid.uuid4()])
    with pytest.raises(PeChangedSinceSeen) as refused:
        check_hold([_facts(id=held.id, title="Oud")], [held], [held.id])
    assert refused.value.activity_ids == [held.id]
